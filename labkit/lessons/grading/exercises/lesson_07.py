"""Exercises of lesson 07 (Deploying): the handout's `aws_sqs_queue` blocks written by the
student (read with labkit's Terraform reader, then made on the live emulator), and questions
checked against the Terraform folder and the notebook's own run."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from labkit.lessons.grading.checker import (
    NotTried,
    Observed,
    exercise,
    known_answer,
    read_whole_number,
)
from labkit.lessons.grading.exercises._live import current_lab

known_answer(
    "07.task_role",
    [
        "487813b05f477fefcd49a5e36b7ac743063193dd583e9f212def1067aa4f7c96",
        "3e9bb8dc7f7a0b0b531db6ed718410d7c61757750f9425781804bc10fe04c0a1",
        "8133adcc32e7b0e50e24ab4d102adfa368362d6e2236ae66c9e987d1b2bc4832",
        "5e86b4d01096d5534fd05c871996ea1fb82a412a8898510bcbd89763aaf9f086",
    ],
    hint="one role is used by ECS itself (pulling the image, writing logs); the other is the "
    "one the code in the container gets its credentials from",
    prompt="Which argument of aws_ecs_task_definition gives the worker's code access to SQS?",
)


def _folder() -> Any:
    from labkit.terraform import TerraformFolder

    return TerraformFolder()


@exercise(
    "07.dead_letter_receives",
    hint="look for maxReceiveCount in terraform/sqs.tf, then count the received rows",
    prompt="How many times was the failing job received before it moved to the dead-letter queue?",
)
def _check_dead_letter_receives(answer: Any, data: Any = None) -> bool:
    (ical,) = (q for q in _folder().queue_definitions() if q.name == "ical")
    expected = int(json.loads(ical.attributes["RedrivePolicy"])["maxReceiveCount"])
    return read_whole_number(answer) == expected


@exercise(
    "07.parallel_jobs",
    hint="each worker task runs `labkit worker --concurrency N`: multiply by the task count",
    prompt="With `terraform apply -var worker_count=3`, how many calendar jobs run at once?",
)
def _check_parallel_jobs(answer: Any, data: Any = None) -> bool:
    tasks = _folder().task_definitions()
    (worker,) = next(t for t in tasks if t.resource == 'taskoverflow["worker"]').containers
    command = [str(part) for part in worker["command"]]
    concurrency = int(command[command.index("--concurrency") + 1])
    return read_whole_number(answer) == 3 * concurrency


# ---------------------------------------------------------------------------------------------
# Student code: the aws_sqs_queue blocks for the three queues

_NAMES = ("csse6400_prac", "csse6400_prac.fifo", "ical")


#: The arguments aws_sqs_queue takes (hashicorp/aws 5.x), besides Terraform's meta-arguments.
_ARGUMENTS = frozenset(
    [
        "name",
        "name_prefix",
        "fifo_queue",
        "content_based_deduplication",
        "visibility_timeout_seconds",
        "message_retention_seconds",
        "delay_seconds",
        "receive_wait_time_seconds",
        "max_message_size",
        "redrive_policy",
        "redrive_allow_policy",
        "policy",
        "kms_master_key_id",
        "sqs_managed_sse_enabled",
        "kms_data_key_reuse_period_seconds",
        "deduplication_scope",
        "fifo_throughput_limit",
        "tags",
        "region",
        "count",
        "for_each",
        "provider",
        "depends_on",
        "lifecycle",
    ]
)
_JOB_SECONDS = 50  # the handout's calendar job (section 5.2 of lesson 07)


def _read(tf_file: str) -> tuple[list[Any], str | None]:
    """The queue definitions of the student's file, read alone (a folder of its own), and a
    hint when a block has an argument aws_sqs_queue does not take (Terraform would refuse it)."""
    import difflib

    from labkit.terraform import TerraformFolder

    source = Path(tf_file)
    if not source.exists():
        raise NotTried(f"run the %%writefile cell that writes {tf_file} first")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(source, Path(scratch) / "sqs.tf")
        folder = TerraformFolder(Path(scratch))
        for resource, body in folder.resources("aws_sqs_queue").items():
            for argument in sorted(set(body) - _ARGUMENTS):
                if argument.startswith("__"):
                    continue
                meant = difflib.get_close_matches(argument, _ARGUMENTS, 1)
                instead = f" (did you mean {meant[0]}?)" if meant else ""
                return [], (
                    f"aws_sqs_queue.{resource}: {argument} is not an argument of aws_sqs_queue"
                    f"{instead}; terraform plan would refuse it"
                )
        return folder.queue_definitions(), None


def _hint(definitions: list[Any]) -> str | None:
    by_name = {q.name: q for q in definitions}
    for name in ("csse6400_prac", "ical"):
        attributes = by_name[name].attributes if name in by_name else {}
        if attributes.get("FifoQueue") == "true":
            return f"{name} is a standard queue: leave fifo_queue out"
        if attributes.get("ContentBasedDeduplication") == "true":
            return (
                f"{name}: content_based_deduplication is for FIFO queues only (SQS refuses it "
                "on a standard queue)"
            )
    for q in definitions:
        if q.attributes.get("FifoQueue") == "true" and not q.name.endswith(".fifo"):
            return f"{q.name!r} has fifo_queue = true: a FIFO queue's name must end in .fifo"
    missing = [name for name in _NAMES if name not in by_name]
    if missing:
        return f"declare one aws_sqs_queue per queue; missing: {', '.join(missing)}"
    fifo = by_name["csse6400_prac.fifo"].attributes
    if fifo.get("FifoQueue") != "true":
        return "csse6400_prac.fifo needs fifo_queue = true (the name alone does not make it FIFO)"
    if fifo.get("ContentBasedDeduplication") != "true":
        return (
            "the queue tool sends no deduplication id, so the FIFO queue needs "
            "content_based_deduplication = true"
        )
    timeout = int(by_name["ical"].attributes.get("VisibilityTimeout", "30"))
    if timeout <= _JOB_SECONDS:
        default = (
            " (SQS's default)" if "VisibilityTimeout" not in by_name["ical"].attributes else ""
        )
        return (
            f"ical's visibility timeout is {timeout} s{default}: the calendar job takes "
            f"{_JOB_SECONDS} s, so SQS hands it to a second worker while the first still runs "
            f"(5.2); set visibility_timeout_seconds longer than the {_JOB_SECONDS} s job"
        )
    return None


@exercise(
    "07.sqs_blocks",
    points=2,
    hint="three aws_sqs_queue blocks: csse6400_prac, csse6400_prac.fifo (fifo_queue and "
    "content_based_deduplication true) and ical (a visibility timeout longer than its 50 s job)",
)
def _check_sqs_blocks(answer: Any, data: Any = None) -> Any:
    from labkit.terraform import ensure_queues, with_prefix

    if not isinstance(answer, str) or not answer.endswith(".tf"):
        raise ValueError('pass the file name, "student_sqs.tf"')
    definitions, hint = _read(answer)
    if hint:
        return hint
    if not definitions:
        raise NotTried(f"write the aws_sqs_queue blocks in {answer} (run its cell), then check")
    hint = _hint(definitions)
    if hint:
        return hint
    lab = current_lab()
    if lab.kind != "emulator":  # never create queues on AWS from a check
        return Observed(True, details=definitions)
    prefix = f"check07-{uuid.uuid4().hex[:6]}-"
    urls = ensure_queues(lab.sqs, with_prefix(definitions, prefix))
    try:
        fifo = urls[prefix + "csse6400_prac.fifo"]
        for _ in range(2):  # the same body twice: content-based deduplication drops the second
            lab.sqs.send_message(QueueUrl=fifo, MessageBody="Message 0", MessageGroupId="default")
        got = lab.sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        if len(got.get("Messages", [])) != 1:
            return (
                "the FIFO queue delivered the same body twice: content-based deduplication is off"
            )
    finally:
        for url in urls.values():
            lab.sqs.delete_queue(QueueUrl=url)
    return Observed(True, details=definitions)
