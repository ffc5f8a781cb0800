"""JupyterLab's contents manager for `labkit lab`: a lesson opens unmodified.

JupyterLab writes the kernel's `language_info` into a notebook as soon as the kernel answers,
and marks the notebook modified unless the value is already there, equal. The committed
notebooks carry everything of it except `version` (the student's Python, which differs from
machine to machine; `make` has git's nbstripout filter drop it again on `git add`), so this
manager fills the serving Python's version in on load: the kernel (the same interpreter, by
the `python3` kernelspec) then reports exactly what the notebook holds.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

from labkit.tools.notebook_form import kernel_language_info


class LabContentsManager(AsyncLargeFileManager):
    """The default manager, with `language_info.version` completed on notebooks it loads."""

    async def get(self, path: str, content: bool = True, type: str | None = None, **kw: Any):  # noqa: A002, ANN201
        model = await super().get(path, content=content, type=type, **kw)
        if content and model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            complete_language_info(model["content"])
        return model


def complete_language_info(notebook: Any) -> None:
    """Add the running Python's version to a Python notebook's `language_info` when missing."""
    info = notebook.get("metadata", {}).get("language_info")
    wanted = kernel_language_info()
    # only the committed form: a notebook from elsewhere keeps whatever it says
    if isinstance(info, dict) and info == {k: v for k, v in wanted.items() if k != "version"}:
        info["version"] = wanted["version"]
