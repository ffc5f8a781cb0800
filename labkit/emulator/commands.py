"""`labkit sqs-server`: the local SQS emulator in the foreground."""

from __future__ import annotations

import argparse
import sys


def _run(args: argparse.Namespace) -> int:
    from labkit.emulator.server import serve_forever

    try:
        serve_forever(host=args.host, port=args.port, seed=args.seed)
    except OSError as exc:
        print(
            f"labkit sqs-server: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "pick another port with --port, or stop whatever uses it.",
            file=sys.stderr,
        )
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `sqs-server` to the `labkit` parser."""
    parser = sub.add_parser(
        "sqs-server",
        help="run the local SQS emulator (AWS JSON protocol) in the foreground",
        description=(
            "Serve an SQS-compatible API on HTTP. With LABKIT_EMULATOR_SECRET set (the stack sets"
            " it) every request must be SigV4-signed with a key derived from it; without, any"
            " credentials are accepted."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9324, help="port (default 9324)")
    parser.add_argument(
        "--seed", type=int, default=None, help="make shard placement and sampling reproducible"
    )
    parser.set_defaults(func=_run)
