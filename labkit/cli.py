"""The one `labkit` command.

Each subcommand lives beside the code it drives; every module named in ``COMMAND_MODULES``
exposes ``register(subparsers)``, which adds its parsers and sets ``func`` on them. Heavy imports
happen inside the handlers so `labkit --help` stays instant.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

COMMAND_MODULES = (
    "labkit.taskoverflow.commands",  # api, worker
    "labkit.emulator.commands",  # sqs-server
    "labkit.stack.commands",  # up, down, status, logs, lab
    "labkit.tools.queue_cli",  # queue
    "labkit.tools.runner",  # run
    "labkit.tools.grade.commands",  # grade, grade-worker
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labkit",
        description="queue-lab: run the lab stack, its services and the course's queue tool.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from labkit.stack.environment import unsupported_platform

    problem = unsupported_platform()
    if problem:  # one line, not a traceback from a POSIX-only module
        print(f"labkit: {problem}", file=sys.stderr)
        return 1
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `labkit status | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except OSError as exc:  # a read-only LABKIT_HOME or --output-dir, a full disk...
        from labkit.redact import redact

        print(f"labkit: {redact(os_error_line(exc))}", file=sys.stderr)
        return 1


_CANNOT_WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.ENOTDIR, errno.EEXIST}


def os_error_line(exc: OSError) -> str:
    """One line for a file the command could not write, naming it and the way out."""
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    if exc.errno in _CANNOT_WRITE:
        return (
            f"cannot write{where} ({reason}): make that folder writable, or point LABKIT_HOME "
            "(the stack's files) or --output-dir / --record at a folder you can write"
        )
    return f"{reason}{where}"


if __name__ == "__main__":
    sys.exit(main())
