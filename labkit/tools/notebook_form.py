"""The form notebooks are committed in, so that JupyterLab opens them unmodified.

JupyterLab rewrites on open what a notebook lacks: cell ids (nbformat 4.5), the kernelspec it
starts (name, display name, language) and the kernel's `language_info`. The committed form has
all of it, exactly as the lab's kernel reports it, except `language_info.version` (each
student's Python; `labkit lab` fills it in on load, git's nbstripout filter drops it).

``python -m labkit.tools.notebook_form notebooks/*.ipynb notebooks/solutions/*.ipynb`` rewrites
notebooks into that form; `tests/test_notebook_form.py` fails on one that is not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: What JupyterLab's `_updateSpec` writes for the lab's `python3` kernel (ipykernel's spec).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: nbstripout's extra key that drops the student's Python version from `git add`.
STRIPPED_KEY = "metadata.language_info.version"


def kernel_language_info() -> dict:
    """The `language_info` the lab's kernel (ipykernel on this Python) reports."""
    from ipykernel.ipkernel import IPythonKernel

    return json.loads(json.dumps(IPythonKernel.language_info))


def committed_metadata() -> dict:
    """The notebook-level metadata every lesson is committed with."""
    info = {k: v for k, v in kernel_language_info().items() if k != "version"}
    return {"kernelspec": dict(KERNELSPEC), "language_info": info}


def normalize(notebook: dict) -> dict:
    """``notebook`` in the committed form (metadata, nbformat 4.5, an id on every cell)."""
    notebook["metadata"] = {**notebook.get("metadata", {}), **committed_metadata()}
    notebook["nbformat"], notebook["nbformat_minor"] = 4, 5
    for index, cell in enumerate(notebook["cells"]):
        cell.setdefault("id", str(index))
    return notebook


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        notebook = normalize(json.loads(path.read_text(encoding="utf-8")))
        text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
