"""The real TaskOverflow worker with a short broker visibility timeout, for bounded fault tests.

kombu's Redis transport gives an unacknowledged job back to the queue once it has been out
for ``visibility_timeout`` seconds (900 in the lab's settings, longer than any job may run).
A test cannot wait 15 minutes, so this module shortens it and sweeps every second; everything
else (task, acks_late, reject_on_worker_lost, result backend) is the lab's own configuration.
"""

from __future__ import annotations

from labkit.taskoverflow.worker import celery

VISIBILITY_TIMEOUT = 3

celery.conf.broker_transport_options = {
    **celery.conf.broker_transport_options,
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
