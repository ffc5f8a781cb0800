"""Flask's "Celery background tasks" pattern: a Celery app whose tasks run in the app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Build the Celery app from ``app.config["CELERY"]`` and store it in ``app.extensions``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery("taskoverflow", task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def has_result_backend(celery_app: Celery) -> bool:
    backend = celery_app.conf.result_backend
    return bool(backend) and backend != "disabled"
