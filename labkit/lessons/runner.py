"""`labkit run`: execute lesson notebooks with papermill, one child process per notebook.

Each notebook runs with its own folder as working directory (as under JupyterLab and nbval) and
is written to ``build/notebooks/``; a table of outcomes and seconds follows, and the exit code
is non-zero when any notebook failed. ``-p``/``-r`` are handed to papermill unchanged, so values
are parsed exactly as papermill parses them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from labkit.paths import BUILD_DIR, NOTEBOOK_DIR

KERNEL = "python3"


@dataclass
class Outcome:
    notebook: Path
    output: Path
    ok: bool
    seconds: float
    error: str = ""


def register(sub: argparse._SubParsersAction) -> None:
    """Add `labkit run` to the `labkit` parser."""
    parser = sub.add_parser(
        "run",
        help="execute notebooks with papermill into build/notebooks/",
        description="Execute notebooks with papermill (default: every lesson, then every "
        "solutions notebook) and print a table of outcomes.",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter, typed as papermill types it (e.g. -p COUNT 50)",
    )
    parser.add_argument(
        "-r",
        "--raw-parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter kept as a string (e.g. -r PREFIX 007)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=BUILD_DIR / "notebooks", help="default build/notebooks"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--solutions", action="store_true", help="only the solutions notebooks")
    which.add_argument("--lessons", action="store_true", help="only the lesson notebooks")
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds one cell may take (default 600)"
    )
    parser.add_argument(
        "--keep-stack",
        action="store_true",
        help="leave a lab stack the notebooks started running afterwards (default: stop it)",
    )
    parser.set_defaults(func=main)


def default_notebooks(lessons: bool = True, solutions: bool = True) -> list[Path]:
    """Every ``notebooks/[0-9]*.ipynb``, then every ``notebooks/solutions/*.ipynb``."""
    found: list[Path] = []
    if lessons:
        found += sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
    if solutions:
        found += sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb"))
    return found


def ensure_kernel(name: str = KERNEL) -> None:
    """Make kernel ``name`` start this interpreter, so a fresh venv runs notebooks on itself.

    A spec whose command is plain ``python`` is started with the caller's interpreter by
    jupyter_client; anything else (say a user-wide spec for another Python) is shadowed by a
    spec installed into this environment, which the child prefers (JUPYTER_PREFER_ENV_PATH).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        command = spec.argv[0] if spec.argv else ""
        if command in {"python", "python3", sys.executable}:
            return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, prefix=sys.prefix)


def output_path(notebook: Path, output_dir: Path) -> Path:
    """Where a notebook's executed copy goes: solutions keep their subfolder."""
    notebook = notebook.resolve()
    try:
        relative = notebook.relative_to(NOTEBOOK_DIR.resolve())
    except ValueError:
        relative = Path(notebook.name)
    return output_dir / relative


def first_error(executed: Path) -> str:
    """``Name: message`` of the first error in an executed notebook, or "" when none."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return ""
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return ""


def run_notebook(
    notebook: Path, output: Path, parameters: list[list[str]], raw: list[list[str]], timeout: int
) -> Outcome:
    """Execute one notebook in its own papermill process; its log sits beside the output."""
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(notebook),
        str(output),
        "--cwd",
        str(notebook.resolve().parent),
        "--kernel",
        KERNEL,
        "--no-progress-bar",
        "--execution-timeout",
        str(timeout),
    ]
    for name, value in parameters:
        command += ["-p", name, value]
    for name, value in raw:
        command += ["-r", name, value]
    log = output.with_suffix(".log")
    start = time.monotonic()
    with log.open("w") as sink:
        code = subprocess.call(command, stdout=sink, stderr=subprocess.STDOUT, env=os.environ)
    seconds = time.monotonic() - start
    if code == 0:
        return Outcome(notebook, output, True, seconds)
    error = first_error(output) if output.exists() else ""
    if not error:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        error = lines[-1] if lines else f"papermill exited with {code}"
    return Outcome(notebook, output, False, seconds, error)


def print_table(outcomes: list[Outcome]) -> None:
    names = [_shown(o.notebook) for o in outcomes]
    width = max([len("notebook"), *map(len, names)])
    print(f"{'notebook':<{width}}  {'outcome':<7}  {'seconds':>7}")
    for name, outcome in zip(names, outcomes, strict=True):
        state = "passed" if outcome.ok else "FAILED"
        print(f"{name:<{width}}  {state:<7}  {outcome.seconds:7.1f}")
        if not outcome.ok:
            print(f"{'':<{width}}    {outcome.error}")
            print(f"{'':<{width}}    see {_shown(outcome.output)} and its .log")
    failed = sum(not o.ok for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    print(f"{len(outcomes) - failed} passed, {failed} failed in {total:.1f} s")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(args: argparse.Namespace) -> int:
    notebooks = list(args.notebooks) or default_notebooks(
        lessons=not args.solutions, solutions=not args.lessons
    )
    if not notebooks:
        print(f"no notebooks found in {NOTEBOOK_DIR}: name some, e.g. `labkit run nb.ipynb`")
        return 2
    absent = [str(nb) for nb in notebooks if not nb.is_file()]
    if absent:
        print(f"no such notebook: {', '.join(absent)} (check the path)")
        return 2
    ensure_kernel()
    from labkit.stack.state import state_path

    stack_was_running = state_path().exists()
    outcomes = []
    for notebook in notebooks:
        print(f"running {_shown(notebook)} ...", flush=True)
        outcomes.append(
            run_notebook(
                notebook,
                output_path(notebook, args.output_dir),
                args.parameter,
                args.raw_parameter,
                args.timeout,
            )
        )
    print_table(outcomes)
    if not stack_was_running and not args.keep_stack and state_path().exists():
        from labkit.stack import down

        down()  # the notebooks started it; a stack the user had running is left alone
    return 0 if all(o.ok for o in outcomes) else 1
