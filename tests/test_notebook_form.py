"""Notebooks open in JupyterLab unmodified: committed in the form JupyterLab would write."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.paths import REPO_ROOT
from labkit.stack.notebook_contents import LabContentsManager
from labkit.tools.notebook_form import KERNELSPEC, STRIPPED_KEY, committed_metadata

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("**/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_form_jupyterlab_writes(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    fix = "run `python -m labkit.tools.notebook_form` on it"
    assert (notebook["nbformat"], notebook["nbformat_minor"]) == (4, 5), fix
    assert all(cell.get("id") for cell in notebook["cells"]), f"a cell has no id: {fix}"
    metadata = notebook["metadata"]
    assert metadata.get("kernelspec") == KERNELSPEC, fix
    assert metadata.get("language_info") == committed_metadata()["language_info"], fix


@pytest.mark.parametrize("path", NOTEBOOKS[:2], ids=lambda p: p.name)
def test_nbstripout_keeps_the_form(path: Path) -> None:
    """git's clean filter (as `make` installs it) leaves a committed notebook byte for byte."""
    argv = [sys.executable, "-m", "nbstripout", "--extra-keys", STRIPPED_KEY, "-t", str(path)]
    stripped = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert stripped == path.read_text(encoding="utf-8")


def test_lab_contents_manager_hands_jupyterlab_what_the_kernel_reports(tmp_path: Path) -> None:
    """JupyterLab marks a notebook modified unless kernelspec and language_info already equal
    what it sets from the kernel; a save, once stripped, gives back the committed file."""
    from ipykernel.ipkernel import IPythonKernel

    source = NOTEBOOKS[0]
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    manager = LabContentsManager(root_dir=str(tmp_path))
    model = asyncio.run(manager.get(source.name))
    metadata = model["content"]["metadata"]
    assert metadata["language_info"] == IPythonKernel.language_info
    assert metadata["kernelspec"] == KERNELSPEC
    asyncio.run(manager.save({"type": "notebook", "content": model["content"]}, source.name))
    saved = tmp_path / source.name
    argv = [sys.executable, "-m", "nbstripout", "--extra-keys", STRIPPED_KEY, "-t", str(saved)]
    stripped = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert stripped == source.read_text(encoding="utf-8"), "a save in JupyterLab shows in git"
