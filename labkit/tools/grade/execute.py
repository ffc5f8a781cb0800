"""Run one submitted notebook headless in its box and record what happened, cell by cell.

    python -m labkit.tools.grade.execute SPEC.json

Runs in the grader's own process tree (not in the box): it drives an nbclient kernel that the
`labkit-grade` kernel spec starts inside the box. Errors do not stop the run (later exercises
still count); a cell over its time limit is interrupted and the run goes on; a dead kernel or
the notebook's own time limit ends it. Output beyond the limit is counted, not kept, so a
notebook printing megabytes costs the grader nothing. Writes the executed copy and a summary.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

KERNEL_NAME = "labkit-grade"


def install_kernelspec(folder: Path) -> Path:
    """A kernel spec whose kernel enters the box first; ``folder`` goes on JUPYTER_PATH."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-s", "-m", "labkit.tools.grade.sandbox", "--"]
    argv += [sys.executable, "-s", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "labkit grade (boxed)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
    return folder


def _client_class() -> type:
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Keeps at most ``output_limit`` bytes of output; counts the rest."""

        output_limit = 2_000_000
        kept = 0
        dropped = 0

        def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
            size = len(json.dumps(msg.get("content", {}), default=str))
            if self.kept + size > self.output_limit:
                self.dropped += size
                return None
            self.kept += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _error_of(cell: dict[str, Any]) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = str(out.get("evalue", "")).strip().splitlines()
            return f"{out.get('ename', 'Error')}: {value[0] if value else ''}"[:300]
    return ""


def _keep_captures(folder: Path, keep: Path) -> None:
    """Copy the answers recorded so far out of the box, so a later cell that deletes (or
    fills up) its own folder cannot take back what an earlier check was given."""
    keep.mkdir(parents=True, exist_ok=True)
    try:
        records = list(folder.glob("*.pkl"))
    except OSError:
        return
    for record in records:
        try:
            if record.is_file() and not record.is_symlink():
                (keep / record.name).write_bytes(record.read_bytes())
        except OSError:
            continue


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Execute ``spec["notebook"]``; the summary says how far it got and why it stopped."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    from labkit.tools.grade.capture import hook_cell

    nb = nbformat.reads(Path(spec["notebook"]).read_text(encoding="utf-8"), as_version=4)
    nb.cells.insert(0, nbformat.from_dict(hook_cell()))
    limits = spec["limits"]
    deadline = time.monotonic() + limits["notebook_seconds"]
    client = _client_class()(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=int(limits["cell_seconds"]),
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeout", "evalue": "over the cell time limit"},
        record_timing=False,
        resources={"metadata": {"path": spec["workdir"]}},
    )
    client.output_limit = limits["output_kb"] * 1024
    cells, status, started = [], "completed", time.monotonic()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                status = "timeout"
                break
            client.timeout = int(max(1, min(limits["cell_seconds"], left)))
            began = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                status = "kernel died"
            seconds = round(time.monotonic() - began, 2)
            error = _error_of(cell)
            if status == "completed" and seconds >= client.timeout - 0.5:
                error = f"CellTimeout: over the {client.timeout} s limit, interrupted"
                status = "timeout" if time.monotonic() >= deadline else status
            _keep_captures(Path(spec["workdir"]) / ".capture", Path(spec["captured"]))
            cells.append(
                {"index": index - 1, "id": cell.get("id"), "seconds": seconds, "error": error}
            )
            if status != "completed":
                cells[-1]["error"] = cells[-1]["error"] or status
                break
    nb.cells.pop(0)
    Path(spec["executed"]).write_text(nbformat.writes(nb), encoding="utf-8")
    return {
        "status": status,
        "seconds": round(time.monotonic() - started, 2),
        "cells": cells,
        "output_dropped_bytes": client.dropped,
    }


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    summary = run(spec)
    Path(spec["summary"]).write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
