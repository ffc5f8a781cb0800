"""Health checks that run inside the compose containers (docker-compose.yml's `healthcheck:`).

The worker's check listens for the heartbeat its own Celery node publishes every two seconds
(workers run with task events on) instead of importing the Celery app and pinging it: the check
runs every few seconds for as long as the stack is up, and the app's imports cost far more than
the Redis client's. The node is named `celery@<host name>`, read with `socket.gethostname()`,
not from `$HOSTNAME`, which the exec of a podman health check does not set.

    python -m labkit.stack.container_health worker   # exit 0: this container's worker beats
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
from typing import Any

from labkit.waiting import Deadline

HEARTBEAT_TYPES = {"worker-heartbeat", "worker-online"}


def event_of(payload: bytes | str) -> dict[str, Any] | None:
    """The Celery event inside one message kombu published on Redis, or None."""
    try:
        message = json.loads(payload)
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        event = json.loads(body)
    except (ValueError, KeyError, TypeError):
        return None
    return event if isinstance(event, dict) else None


def worker_beats(broker_url: str, node: str, timeout: float = 6.0) -> bool:
    """True when Celery node ``node`` sends a heartbeat over the Redis broker within ``timeout``."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=timeout)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.psubscribe("*celeryev*")
        deadline = Deadline(timeout)
        while (left := deadline.left()) > 0:
            message = pubsub.get_message(timeout=left)
            if not message:
                continue
            event = event_of(message["data"])
            if event and event.get("type") in HEARTBEAT_TYPES and event.get("hostname") == node:
                return True
        return False
    except redis.RedisError:
        return False
    finally:
        pubsub.close()
        client.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["worker"]:
        print("usage: python -m labkit.stack.container_health worker", file=sys.stderr)
        return 2
    broker = os.environ.get("CELERY_BROKER_URL", "redis://redis:6379")
    if not broker.startswith(("redis://", "rediss://")):
        # SQS (handout section 6) carries no broadcast: the running process is all there is.
        return 0
    node = f"celery@{socket.gethostname()}"
    if worker_beats(broker, node):
        return 0
    print(f"no heartbeat from {node} on {broker}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
