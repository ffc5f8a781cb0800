"""`labkit grade` and `labkit grade-worker`: the command lines of the grader."""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    """Add `labkit grade` and `labkit grade-worker` to the `labkit` parser."""
    parser = sub.add_parser(
        "grade",
        help="grade a course's submitted notebooks: marks, feedback, dashboard",
        description="Run every student's notebooks in a sandbox on one shared lab stack, judge "
        "the answers, and write per-student JSON/HTML/Gradescope results, JUnit XML, a class "
        "CSV and dashboard.html into --out. See docs/grading.md.",
    )
    parser.add_argument(
        "submissions",
        nargs="?",
        type=Path,
        metavar="SUBMISSIONS",
        help="one folder or .zip per student, named by the student's id",
    )
    parser.add_argument(
        "--one",
        type=Path,
        metavar="NOTEBOOK",
        help="grade one notebook (a student's own CI) and print its marks",
    )
    parser.add_argument("--out", type=Path, metavar="RESULTS", help="where the results go")
    parser.add_argument("--lessons", default="", help="e.g. 01,02,03 (default: every lesson)")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds per notebook (default 900)"
    )
    parser.add_argument(
        "--cell-timeout", type=float, default=180, help="seconds per cell (default 180)"
    )
    parser.add_argument(
        "--memory", type=int, default=3072, help="MB of memory per notebook (default 3072)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at once on this machine (default 1)"
    )
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="send the jobs to `labkit grade-worker`s on this Celery broker",
    )
    parser.add_argument(
        "--force", action="store_true", help="grade again what is already graded in --out"
    )
    parser.add_argument(
        "--keep-stack", action="store_true", help="leave a stack the grader started running"
    )
    parser.add_argument(
        "--strict", action="store_true", help="with --one: exit 1 unless every exercise is right"
    )
    parser.set_defaults(func=main)
    worker = sub.add_parser(
        "grade-worker",
        help="run grading jobs sent by `labkit grade --broker URL`",
        description="A Celery worker for `labkit grade --broker`: starts (or attaches to) this "
        "machine's lab stack and grades the jobs it receives, --concurrency at a time.",
    )
    worker.add_argument("--broker", required=True, metavar="URL")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--name", default="", help="the worker's name (default grade-PID@host)")
    worker.set_defaults(func=worker_main)


def _limits(args: argparse.Namespace) -> Any:
    from labkit.tools.grade.sandbox import Limits

    return Limits(
        notebook_seconds=args.timeout,
        cell_seconds=min(args.cell_timeout, args.timeout),
        memory_mb=args.memory,
    )


def _ensure_stack() -> bool:
    """Start the lab stack unless one runs; True when this call started it."""
    import labkit
    from labkit.stack.state import read_state

    running = read_state() is not None
    labkit.up(mode="embedded")
    return not running


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _open_to_others(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH))


def main(args: argparse.Namespace) -> int:
    if args.one:
        from labkit.tools.grade.one import grade_one

        return grade_one(args)
    if args.submissions is None or args.out is None:
        print(
            "labkit grade: give SUBMISSIONS and --out RESULTS (or --one NOTEBOOK)", file=sys.stderr
        )
        return 2
    from labkit.tools.grade import dashboard, fanout, reports, sandbox
    from labkit.tools.grade.collect import CollectError, handins, students
    from labkit.tools.grade.released import released_lessons

    try:
        lessons = released_lessons([n.strip() for n in args.lessons.split(",") if n.strip()])
        args.out.mkdir(parents=True, exist_ok=True)
        args.out.chmod(0o700)
        found = students(args.submissions, args.out / ".unpacked")
    except (CollectError, ValueError) as error:
        print(f"labkit grade: {error}", file=sys.stderr)
        return 2
    if _open_to_others(args.submissions):
        print(
            f"note: {args.submissions} is readable by other users; `chmod 700` it", file=sys.stderr
        )
    todo = [h for student, folder in found.items() for h in handins(folder, student, lessons)]
    graded = {(r["student"], r["lesson"]) for r in fanout.load_rows(args.out)}
    skipped = [h for h in todo if (h.student, h.lesson.number) in graded and not args.force]
    todo = [h for h in todo if h not in skipped]
    run_id, limits = fanout.new_run_id(), _limits(args)
    specs = [fanout.job_spec(h, limits, run_id) for h in todo]
    began, started = time.monotonic(), False
    os.environ[sandbox.RUN_ENV] = run_id
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if specs and not args.broker:
            started = _ensure_stack()
        _run(specs, args, fanout)
    except KeyboardInterrupt:
        print("labkit grade: interrupted; run it again to resume", file=sys.stderr)
        return 130
    finally:
        sandbox.kill_run(run_id)
        if started and not args.keep_stack:
            import labkit

            labkit.down()
    wanted = {(s, lesson.number) for s in found for lesson in lessons}
    rows = [r for r in fanout.load_rows(args.out) if (r["student"], r["lesson"]) in wanted]
    reports.write_all(rows, args.out)
    page = dashboard.write(rows, args.out)
    print(
        f"graded {len(specs)} notebooks ({len(skipped)} already graded, skipped) for "
        f"{len(found)} students in {time.monotonic() - began:.0f} s; open {page}"
    )
    return 0


def _run(specs: list[dict[str, Any]], args: argparse.Namespace, fanout: Any) -> None:
    from tqdm import tqdm

    with tqdm(total=len(specs), desc="grading", unit="notebook", file=sys.stderr) as bar:

        def done(row: dict[str, Any]) -> None:
            fanout.save_row(args.out, row)
            bar.update(1)
            bar.set_postfix_str(
                f"{row['student']} {row['lesson']}: {row['points']:g}/{row['max_points']:g}"
            )

        if args.broker:
            fanout.run_broker(specs, args.broker, args.timeout * len(specs) + 600, done)
        else:
            fanout.run_local(specs, fanout.machine_context(args.out), args.jobs, done)


def worker_main(args: argparse.Namespace) -> int:
    import os

    from labkit.tools.grade.fanout import celery_app

    _ensure_stack()
    name = args.name or f"grade-{os.getpid()}@%h"
    app = celery_app(args.broker)
    app.worker_main(
        [
            "worker",
            "-P",
            "threads",
            "-c",
            str(max(1, args.concurrency)),
            "-n",
            name,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0
