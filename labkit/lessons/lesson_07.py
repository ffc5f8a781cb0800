"""Lesson 07's plumbing: private copies of the Terraform queues on the emulator, and the two
experiments run on them (two workers and a visibility timeout; a job that crashes its worker
until the dead-letter queue takes it). The emulator's clock stands in for the minutes."""

from __future__ import annotations

import atexit
from typing import Any

PREFIX = "lesson07-"
#: The private emulator this kernel started (on AWS), and whether atexit stops it.
_private: list[Any] = []
_at_exit: list[bool] = []


def emulator_for(lab: Any) -> Any:
    """A boto3 client on an emulator: the stack's, or on AWS a private one (the clock exists
    only locally), a child process of the kernel stopped with it."""
    if lab.kind == "emulator":
        return lab.sqs
    from labkit.stack import emulator_client
    from labkit.stack.processes import start_emulator

    for earlier in _private:  # the cell run again: its emulator replaces the last one
        earlier.stop()
    _private.clear()
    private, url = start_emulator(seed=6400, name="lesson07-emulator")
    if not _at_exit:
        atexit.register(lambda: [handle.stop() for handle in _private])
        _at_exit.append(True)
    _private.append(private)
    return emulator_client(url)


def fresh_copies(sqs: Any, definitions: list[Any]) -> dict[str, str]:
    """Empty `lesson07-` copies of the queues as sqs.tf declares them; {name: url}."""
    from labkit.terraform import ensure_queues, with_prefix

    for url in sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
    return ensure_queues(sqs, with_prefix(definitions, PREFIX))


def two_workers(
    sqs: Any, definitions: list[Any], timeout: int, job_seconds: float, probe_at: float
):  # noqa: ANN201 - pandas.DataFrame
    """Worker A runs one job for ``job_seconds``; worker B polls ``probe_at`` seconds in.

    One row per run of the job (lane, name, started, succeeded: seconds); ``attrs["left"]`` is
    how many messages the queue still holds after A's delete.
    """
    import pandas as pd

    from labkit.lessons.engine.queue_state import advance_clock, queue_depth

    url = fresh_copies(sqs, definitions)[PREFIX + "ical"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(timeout)})
    sqs.send_message(QueueUrl=url, MessageBody="calendar job")
    runs = [{"lane": "worker A", "name": "calendar job", "started": 0, "succeeded": job_seconds}]
    a = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    advance_clock(sqs, probe_at)
    if sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"):
        end = probe_at + job_seconds
        runs.append(
            {"lane": "worker B", "name": "calendar job", "started": probe_at, "succeeded": end}
        )
    advance_clock(sqs, job_seconds - probe_at)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=a["ReceiptHandle"])  # A is done
    frame = pd.DataFrame(runs)
    frame.attrs["left"] = queue_depth(sqs, url)
    return frame


def crash_until_dead_letter(sqs: Any, definitions: list[Any], visibility: float):  # noqa: ANN201
    """A job whose worker crashes every time (no delete): received until the redrive policy
    moves it. Returns (attempts DataFrame indexed by attempt, bodies in the dead-letter queue)."""
    import pandas as pd

    from labkit.lessons.engine.queue_state import advance_clock

    urls = fresh_copies(sqs, definitions)
    url, dead_url = urls[PREFIX + "ical"], urls[PREFIX + "ical-dead-letter"]
    sqs.send_message(QueueUrl=url, MessageBody="a calendar job that always crashes")
    attempts = []
    for attempt in range(1, 8):
        got = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=1, MessageSystemAttributeNames=["ApproximateReceiveCount"]
        ).get("Messages", [])
        count = got[0]["Attributes"]["ApproximateReceiveCount"] if got else ""
        attempts.append({"attempt": attempt, "received": bool(got), "receive count": count})
        if not got:
            break
        advance_clock(sqs, visibility + 1)  # the worker died: no delete, the job reappears
    dead = sqs.receive_message(QueueUrl=dead_url, WaitTimeSeconds=1).get("Messages", [])
    return pd.DataFrame(attempts).set_index("attempt"), [m["Body"] for m in dead]
