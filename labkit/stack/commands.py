"""`labkit up | down | status | logs | lab`: the stack from a terminal.

Errors are one line saying what to do next, with exit code 1; usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

LOG_SERVICES = ("sqs", "redis", "api", "worker", "compose")


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `labkit` parser."""
    p = sub.add_parser("up", help="start the lab stack (or check the running one)")
    _mode(p)
    _stack_options(p)
    _compose_ports(p)
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("status", help="health of every service; exit 0 only when all answer")
    p.add_argument("--mode", choices=["aws"], help="check SQS on AWS instead of the local stack")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("logs", help="the last lines of the services' logs")
    p.add_argument("service", nargs="?", choices=LOG_SERVICES, help="one service (default all)")
    p.add_argument("-n", "--lines", type=int, default=20, help="lines per log (default 20)")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("down", help="stop the lab stack; leaves no process behind")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("lab", help="start the stack, then JupyterLab on notebooks/ (127.0.0.1)")
    p.add_argument(
        "--mode",
        choices=["embedded", "compose"],
        help="embedded: JupyterLab here (default); compose: the stack's `lab` container, its "
        "address and token printed (default when a compose stack runs)",
    )
    p.add_argument("--port", type=int, default=None, help="JupyterLab port (default 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    _stack_options(p)
    p.set_defaults(func=cmd_lab)


def _stack_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ical-delay", type=float, default=None, help="seconds the ical task sleeps")
    p.add_argument("--sqs-port", type=int, help="port of the SQS emulator (default 9324)")
    p.add_argument("--api-port", type=int, help="port of the TaskOverflow API (default 6400)")
    p.add_argument("--redis-db", type=int, help="Redis database number (default 0)")
    p.add_argument("--seed", type=int, help="seed of the emulator's randomness")


def _compose_ports(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redis-port", type=int, help="compose: host port of Redis (default 6379)")
    p.add_argument(
        "--database-port", type=int, help="compose: host port of PostgreSQL (default 5432)"
    )


def _mode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=["embedded", "compose", "aws"],
        default="embedded",
        help="embedded (default: no Docker, no AWS), compose (Docker), aws (SQS on AWS)",
    )


def _fail(message: str) -> int:
    from labkit.redact import redact

    print(f"labkit: {redact(message)}", file=sys.stderr)  # a URL's password never shows
    return 1


def _up(args: argparse.Namespace) -> Any:
    """`labkit.stack.up` with the CLI's options; any failure comes out as one StackError."""
    from labkit.stack import up
    from labkit.stack.errors import StackError

    options = {}
    keys = {
        "embedded": ("ical_delay", "sqs_port", "api_port", "redis_db", "seed"),
        "compose": ("sqs_port", "api_port", "redis_port", "database_port", "lab_port"),
    }
    for key in keys.get(args.mode, ()):
        if getattr(args, key, None) is not None:
            options[key] = getattr(args, key)
    try:
        return up(mode=args.mode, **options)
    except StackError:
        raise
    except ImportError as exc:
        raise StackError(
            f"a package is missing ({exc.name or exc}); run `make .venv/.installed`"
        ) from None
    except OSError as exc:
        raise StackError(
            f"cannot start the stack: {exc}; check the disk and `labkit logs`, then `labkit up`"
        ) from None


def cmd_up(args: argparse.Namespace) -> int:
    from labkit.redact import mask_url
    from labkit.stack.errors import StackError

    try:
        lab = _up(args)
    except StackError as exc:
        return _fail(str(exc).splitlines()[0] if args.mode == "compose" else str(exc))
    print(f"lab stack up ({lab.mode} mode)")
    for name, url in lab.urls.items():
        if url:
            print(f"  {name:<9}{mask_url(url)}")
    for note in lab.notes:
        print(f"  note: {note}")
    if lab.mode == "embedded":
        print(
            "  `labkit status` checks it, `labkit logs SERVICE` shows logs, `labkit down` stops it"
        )
    return 0


def format_table(rows: list[dict[str, Any]]) -> str:
    columns = ["service", "status", "url", "pid", "detail"]
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    from labkit.stack import status_rows
    from labkit.stack.state import read_state

    rows = status_rows(args.mode)
    print(format_table(rows))
    if args.mode is None and read_state() is None:
        print("no lab stack is running: start it with `labkit up`")
    return 0 if rows and all(row["status"] == "ok" for row in rows) else 1


def _state_dir_error(exc: OSError, command: str) -> int:
    """One line for a state dir the command cannot use (read-only, full, not a folder)."""
    home = os.environ.get("LABKIT_HOME") or ".labkit/"
    return _fail(
        f"cannot use the lab's state folder {home} ({exc.strerror or exc}): make it writable "
        f"or set LABKIT_HOME to a writable folder, then run `labkit {command}` again"
    )


def cmd_logs(args: argparse.Namespace) -> int:
    try:
        return _logs(args)
    except OSError as exc:
        return _state_dir_error(exc, "logs")


def _logs(args: argparse.Namespace) -> int:
    from labkit.paths import log_dir
    from labkit.stack.processes import log_tail

    names = [args.service] if args.service else [n for n in LOG_SERVICES if n != "compose"]
    shown = 0
    for name in names:
        path = Path(log_dir()) / f"{name}.log"
        if not path.exists():
            if args.service:
                return _fail(f"no log for {name} yet ({path}); start the stack with `labkit up`")
            continue
        if len(names) > 1:
            print(f"==> {path} <==")
        print(log_tail(path, args.lines))
        shown += 1
    if not shown:
        return _fail("no logs yet; start the stack with `labkit up`")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from labkit.stack import down
    from labkit.stack.errors import StackError

    try:
        stopped = down()
    except StackError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _state_dir_error(exc, "down")
    print(f"stopped: {', '.join(stopped)}" if stopped else "no lab stack was running")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from labkit.paths import NOTEBOOK_DIR
    from labkit.stack.errors import StackError
    from labkit.stack.state import state_path

    if args.mode is None:
        from labkit.stack.state import read_state

        args.mode = "compose" if (read_state() or {}).get("mode") == "compose" else "embedded"
    if args.mode == "compose":
        return _compose_lab(args)
    stack_was_running = state_path().exists()
    try:
        lab = _up(args)
    except StackError as exc:
        return _fail(str(exc))
    print(f"lab stack up: API {lab.urls['api']}, SQS {lab.urls['sqs']}")
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={args.port or 8888}",
        f"--ServerApp.root_dir={NOTEBOOK_DIR}",
    ]
    if args.no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers run as root
        argv.append("--allow-root")
    code = run_until_signal(argv)
    if stack_was_running:
        print("JupyterLab stopped; the stack keeps running (`labkit down` stops it)")
    else:
        from labkit.stack import down

        stopped = down()  # this command started it: leave nothing running
        print(f"JupyterLab stopped; stopped the stack it started: {', '.join(stopped) or 'none'}")
    return code


def run_until_signal(argv: list[str], grace: float = 15.0) -> int:
    """Run ``argv`` (JupyterLab) in a session of its own until it exits or we get SIGTERM /
    SIGINT; the signal is passed on as SIGTERM (Jupyter then shuts its kernels down), and
    whatever it started that outlives it after ``grace`` seconds is stopped too.
    """
    import signal
    import subprocess

    import psutil

    proc = subprocess.Popen(argv, start_new_session=True)
    seen: dict[int, psutil.Process] = {}

    def remember_descendants() -> None:
        try:
            for child in psutil.Process(proc.pid).children(recursive=True):
                seen.setdefault(child.pid, child)
        except psutil.Error:
            pass

    def forward(signum: int, _frame: object) -> None:
        remember_descendants()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = proc.wait(timeout=2)
                break
            except subprocess.TimeoutExpired:
                remember_descendants()  # kernels started since, and their lesson workers
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        from labkit.stack.processes import stop_group

        stop_group(proc.pid, timeout=1)  # anything left in JupyterLab's own group
        left = [p for p in seen.values() if p.is_running()]
        for each in left:
            with contextlib.suppress(psutil.Error):
                each.terminate()
        _, alive = psutil.wait_procs(left, timeout=grace)
        for each in alive:
            with contextlib.suppress(psutil.Error):
                each.kill()
    return 0 if code in (0, -signal.SIGTERM, 128 + signal.SIGTERM) else code


def _compose_lab(args: argparse.Namespace) -> int:
    """The compose stack's `lab` container: start it and print its address with the token."""
    from labkit.stack import compose
    from labkit.stack.errors import StackError
    from labkit.stack.state import read_state

    args.lab_port = args.port
    try:
        _up(args)
        url = compose.start_lab(read_state() or {})
    except StackError as exc:
        return _fail(str(exc).splitlines()[0])
    print(f"JupyterLab (compose `lab` container): {url}")
    print("  `labkit status` shows it again, `labkit down` stops the whole stack")
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    return 0
