"""TaskOverflow: the course's todo API with its calendar worker (Flask + Celery).

`create_app()` builds the API; `labkit.taskoverflow.worker` holds the Celery app for
`celery --app labkit.taskoverflow.worker worker`; `client.TaskOverflowClient` talks to it.
"""

from __future__ import annotations


def create_app(test_config: dict | None = None):
    """Import on use, so `labkit --help` and the client stay light."""
    from labkit.taskoverflow.app import create_app as factory

    return factory(test_config)


__all__ = ["create_app"]
