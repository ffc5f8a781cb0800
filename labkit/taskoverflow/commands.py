"""`labkit api` (waitress) and `labkit worker` (Celery), the two TaskOverflow processes."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `labkit` parser."""
    api = sub.add_parser(
        "api",
        help="serve the TaskOverflow API and web page with waitress",
        description="Serve TaskOverflow (config from SQLALCHEMY_DATABASE_URI, CELERY_BROKER_URL, "
        "CELERY_RESULT_BACKEND, CELERY_DEFAULT_QUEUE, ICAL_DELAY_SECONDS).",
    )
    api.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=6400, help="port (default 6400)")
    api.add_argument("--threads", type=int, default=8, help="waitress worker threads (default 8)")
    api.set_defaults(func=run_api)

    worker = sub.add_parser(
        "worker",
        help="run the TaskOverflow calendar worker (Celery)",
        description="Run the Celery worker for the `ical` task; same as `celery --app "
        "labkit.taskoverflow.worker worker`, started without mingle/gossip and with events on.",
    )
    worker.add_argument("--concurrency", type=int, default=1, help="worker processes (default 1)")
    worker.add_argument("--loglevel", default="info", help="log level (default info)")
    worker.add_argument(
        "--pool", default="prefork", choices=["prefork", "solo", "threads"], help="pool type"
    )
    worker.add_argument("--queues", help="comma-separated queues (default CELERY_DEFAULT_QUEUE)")
    worker.add_argument("--hostname", help="node name, e.g. worker1@%%h (default celery@%%h)")
    worker.set_defaults(func=run_worker)


def _fail(message: str) -> int:
    from labkit.redact import redact

    print(f"labkit: {redact(message)}", file=sys.stderr)  # a URL's password never shows
    return 1


def run_api(args: argparse.Namespace) -> int:
    from labkit.net import port_is_free

    if args.host in ("127.0.0.1", "0.0.0.0", "localhost") and not port_is_free(
        args.port, args.host
    ):
        return _fail(
            f"port {args.port} is in use: stop what runs there (`labkit down`) or pass --port"
        )
    try:
        from labkit.taskoverflow.app import create_app
        from labkit.taskoverflow.serve import make_server

        app = create_app()
        server = make_server(app, args.host, args.port, args.threads)
    except ValueError as exc:
        return _fail(f"{exc}")
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port} ({exc.strerror}): pass --port")
    except Exception as exc:  # noqa: BLE001 - e.g. the database refuses the connection
        return _fail(
            f"the API could not start ({exc.__class__.__name__}): check SQLALCHEMY_DATABASE_URI "
            "and that the database runs"
        )
    print(f"TaskOverflow API listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.run()
    finally:
        server.close()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    try:
        from labkit.taskoverflow.worker import celery
    except ValueError as exc:
        return _fail(f"{exc}")
    if not celery.conf.broker_url:
        return _fail(
            "CELERY_BROKER_URL is not set: e.g. export CELERY_BROKER_URL=redis://localhost:6379"
        )
    # The worker is built directly, not through Celery's click CLI (`worker_main`), whose
    # imports (click-repl, prompt_toolkit, pygments) cost ~9 MB in each worker process.
    from celery.utils.log import LOG_LEVELS
    from celery.utils.nodenames import default_nodename, host_format

    worker = celery.Worker(
        hostname=host_format(default_nodename(args.hostname)),  # %h, %n, %d as in Celery's CLI
        loglevel=LOG_LEVELS.get(args.loglevel.upper(), args.loglevel),
        concurrency=args.concurrency,
        pool_cls=args.pool,
        queues=args.queues.split(",") if args.queues else None,
        without_mingle=True,
        without_gossip=True,
        task_events=True,
    )
    worker.start()
    return int(worker.exitcode or 0)
