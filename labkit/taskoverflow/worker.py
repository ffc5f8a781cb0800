"""The Celery app for ``celery --app labkit.taskoverflow.worker worker`` (and `labkit worker`).

Named ``celery`` (not ``app``) so Celery's app lookup finds it and not the Flask app.
"""

from __future__ import annotations

from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.settings import WORKER_RESULT_RETRIES

flask_app = create_app({"TASKOVERFLOW_CREATE_TABLES": False})
celery = flask_app.extensions["celery"]
# A result that cannot be stored at once is retried, not turned into a FAILURE of done work.
celery.conf.update(WORKER_RESULT_RETRIES)
