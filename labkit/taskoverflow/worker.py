"""The Celery app for ``celery --app labkit.taskoverflow.worker worker`` (and `labkit worker`).

Named ``celery`` (not ``app``) so Celery's app lookup finds it and not the Flask app.
"""

from __future__ import annotations

from labkit.taskoverflow.app import create_app

flask_app = create_app({"TASKOVERFLOW_CREATE_TABLES": False})
celery = flask_app.extensions["celery"]
