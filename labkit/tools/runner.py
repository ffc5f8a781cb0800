"""`labkit run`: execute lesson notebooks with papermill, one child process per notebook.

Each notebook runs with its own folder as working directory (as under JupyterLab and nbval) and
is written to ``build/notebooks/``; a table of outcomes and seconds follows, and the exit code
is non-zero when any notebook failed. ``-p`` values are typed the way papermill types them and
checked against the notebook's `parameters` cell first: an unknown name or a value of the wrong
type is one line before anything runs. A failure names the cell (its index and first line), a
timed-out cell says so with the limit, and progress bars are left out of the executed copies.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.paths import BUILD_DIR, NOTEBOOK_DIR

KERNEL = "python3"


@dataclass
class Outcome:
    notebook: Path
    output: Path
    ok: bool
    seconds: float
    error: str = ""
    cell: str = ""


class ParameterError(ValueError):
    """A `-p`/`-r` the notebooks cannot take (unknown name, wrong type): one line, run nothing."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add `labkit run` to the `labkit` parser."""
    parser = sub.add_parser(
        "run",
        help="execute notebooks with papermill into build/notebooks/",
        description="Execute notebooks with papermill (default: every lesson, then every "
        "solutions notebook) and print a table of outcomes.",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK")
    # Two repeatable NAME VALUE options that differ only in how VALUE is typed.
    for short, long, help_text in (
        ("-p", "--parameter", "a parameter, typed as papermill types it (e.g. -p COUNT 50)"),
        ("-r", "--raw-parameter", "a parameter kept as a string (e.g. -r PREFIX 007)"),
    ):
        parser.add_argument(
            short,
            long,
            nargs=2,
            action="append",
            default=[],
            metavar=("NAME", "VALUE"),
            help=help_text,
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


def typed(value: str) -> Any:
    """A `-p` value as papermill types it: True/False/None, an int, a float, else the string."""
    if value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value]
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


#: What a declared type accepts (papermill's inferred type names); others accept anything.
ACCEPTS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
}


def notebook_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The `parameters` cell of ``notebook``: {name: {"inferred_type_name", "default", ...}}."""
    from papermill.inspection import inspect_notebook

    return dict(inspect_notebook(str(notebook)))


def _type_error(notebook: Path, name: str, declared: str, value: Any, raw: bool) -> str | None:
    accepted = ACCEPTS.get(declared)
    if accepted is None or (
        isinstance(value, accepted) and not (declared != "bool" and isinstance(value, bool))
    ):
        return None
    flag = "-r" if raw else "-p"
    hint = {
        "int": f"a whole number, e.g. -p {name} 100",
        "float": f"a number, e.g. -p {name} 0.5",
        "bool": f"True or False, e.g. -p {name} True",
        "str": f"text: use -r {name} VALUE to keep it a string",
    }[declared]
    return (
        f"{name} in {_shown(notebook)} is {'an' if declared == 'int' else 'a'} {declared}, "
        f"not {value!r} ({flag} {name} {value}); give {hint}"
    )


def check_parameters(
    notebooks: list[Path], parameters: list[list[str]], raw: list[list[str]]
) -> dict[Path, list[tuple[str, str, str]]]:
    """Which (flag, name, value) each notebook gets; ParameterError (one line) when a name is
    no notebook's parameter or a value does not fit the declared type.

    A name declared by only some of the notebooks goes to those only.
    """
    given = [("-p", name, value) for name, value in parameters]
    given += [("-r", name, value) for name, value in raw]
    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    for _, name, _ in given:
        if not any(name in params for params in declared.values()):
            if len(notebooks) == 1:
                names = ", ".join(declared[notebooks[0]]) or "none"
                where = f"{_shown(notebooks[0])} has no parameter {name}; its parameters: {names}"
            else:
                names = ", ".join(sorted({n for params in declared.values() for n in params}))
                where = f"no notebook has a parameter {name}; their parameters: {names or 'none'}"
            raise ParameterError(where)
    plan: dict[Path, list[tuple[str, str, str]]] = {}
    for nb, params in declared.items():
        plan[nb] = []
        for flag, name, value in given:
            if name not in params:
                continue
            parsed = value if flag == "-r" else typed(value)
            kind = params[name].get("inferred_type_name") or "None"
            problem = _type_error(nb, name, kind, parsed, flag == "-r")
            if problem:
                raise ParameterError(problem)
            plan[nb].append((flag, name, value))
    return plan


#: Cells papermill adds to an executed notebook (not in the notebook the student opens).
ADDED_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


def _first_line(cell: dict) -> str:
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= 70 else line[:67] + "..."


def failed_cell(executed: Path) -> tuple[int, str, dict | None]:
    """(index in the original notebook, first source line, error output) of the cell that
    failed, or (-1, "", None). Cells papermill added (parameters, error banners) are skipped."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return -1, "", None
    index = -1
    for cell in cells:
        if ADDED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        index += 1
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        marked = cell.get("metadata", {}).get("papermill", {}).get("exception")
        if errors or marked:
            return index, _first_line(cell), errors[0] if errors else None
    return -1, "", None


def timed_out(log: Path) -> bool:
    """True when papermill stopped because a cell ran past --execution-timeout."""
    try:
        return "CellTimeoutError" in log.read_text(errors="replace")
    except OSError:
        return False


#: A progress bar's text (tqdm): "desc:  62%|#####     | 62/100 [...]" or "desc: 3.0 of 10 s".
_BAR = re.compile(
    r"\d+%\||\|\s*\d+/\d*\s*\[|\b\d+(\.\d+)? of \d+(\.\d+)? s\b|\d+ ?\w+/s\]|\[\d\d:\d\d"
)


def _without_bars(text: str) -> str:
    """``text`` minus progress-bar redraws (segments between carriage returns that look like
    a bar); other lines stay."""
    kept = []
    for line in text.split("\n"):
        parts = [part for part in line.split("\r") if part.strip() and not _BAR.search(part)]
        if parts:
            kept.append(parts[-1])
        elif not line.strip("\r"):
            kept.append(line.strip("\r"))
    return "\n".join(kept)


def _clean_output(output: dict) -> dict | None:
    """The output without progress-bar text, or None when nothing else was in it."""
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        plain = data.get("text/plain", "")
        plain = "".join(plain) if isinstance(plain, list) else plain
        if "Progress(" in plain or _BAR.search(plain):
            return None  # a bar widget: its saved text is whatever it showed when drawn
        return output
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        if "\r" not in text and not _BAR.search(text):
            return output
        cleaned = _without_bars(text)
        if not cleaned.strip():
            return None
        return {**output, "text": cleaned}
    return output


def drop_progress(executed: Path) -> int:
    """Remove progress-bar text from an executed notebook (it is stale: a bar that closed at
    100% was saved as "62%"); returns how many outputs changed."""
    try:
        notebook = json.loads(executed.read_text())
    except (OSError, ValueError):
        return 0
    changed = 0
    for cell in notebook.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        cleaned = [_clean_output(o) for o in outputs]
        changed += sum(new is not old for new, old in zip(cleaned, outputs, strict=True))
        cell["outputs"] = [o for o in cleaned if o is not None]
    if changed:
        executed.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return changed


def run_notebook(
    notebook: Path, output: Path, parameters: list[tuple[str, str, str]], timeout: int
) -> Outcome:
    """Execute one notebook in its own papermill process; its log sits beside the output.

    ``parameters`` are (flag, name, value) from :func:`check_parameters`.
    """
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
    for flag, name, value in parameters:
        command += [flag, name, value]
    from labkit.stack.processes import run_to_end

    log = output.with_suffix(".log")
    log.unlink(missing_ok=True)  # this run's log only
    start = time.monotonic()
    code = run_to_end(command, log)
    seconds = time.monotonic() - start
    drop_progress(output)
    if code == 0:
        return Outcome(notebook, output, True, seconds)
    index, line, error = failed_cell(output) if output.exists() else (-1, "", None)
    cell = f"cell {index}: {line}" if index >= 0 else ""
    if timed_out(log):
        message = f"TimeoutError: the cell ran longer than --timeout {timeout} s and was stopped"
    elif error is not None:
        message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()
    else:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        message = lines[-1] if lines else f"papermill exited with {code}"
    return Outcome(notebook, output, False, seconds, message, cell)


def print_table(outcomes: list[Outcome]) -> None:
    names = [_shown(o.notebook) for o in outcomes]
    width = max([len("notebook"), *map(len, names)])
    print(f"{'notebook':<{width}}  {'outcome':<7}  {'seconds':>7}")
    for name, outcome in zip(names, outcomes, strict=True):
        state = "passed" if outcome.ok else "FAILED"
        print(f"{name:<{width}}  {state:<7}  {outcome.seconds:7.1f}")
        if not outcome.ok:
            if outcome.cell:
                print(f"{'':<{width}}    {outcome.cell}")
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
    try:
        plan = check_parameters(notebooks, args.parameter, args.raw_parameter)
    except ParameterError as exc:
        print(f"labkit run: {exc}", file=sys.stderr)
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
                plan[notebook],
                args.timeout,
            )
        )
    print_table(outcomes)
    if not stack_was_running and not args.keep_stack and state_path().exists():
        from labkit.stack import down

        down()  # the notebooks started it; a stack the user had running is left alone
    return 0 if all(o.ok for o in outcomes) else 1
