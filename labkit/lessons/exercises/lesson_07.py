"""Exercises of lesson 07 (Deploying): roles, dead letters and scaling, checked against the
Terraform folder and the notebook's own run."""

from __future__ import annotations

from typing import Any

from labkit.lessons.check import exercise, known_answer

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


@exercise(
    "07.dead_letter_receives",
    hint="count the attempts that received the job before it left the ical queue",
    prompt="How many times was the failing job received before it moved to the dead-letter queue?",
)
def dead_letter_receives(answer: Any, data: Any = None, **context: Any) -> bool | str:
    """``data``: the notebook's table of attempts, or a TerraformFolder (maxReceiveCount)."""
    if data is not None and hasattr(data, "columns"):
        expected = int(data["received"].sum())
    else:
        import json

        from labkit.terraform import TerraformFolder

        folder = data if isinstance(data, TerraformFolder) else TerraformFolder()
        (ical,) = (q for q in folder.queue_definitions() if q.name == "ical")
        expected = int(json.loads(ical.attributes["RedrivePolicy"])["maxReceiveCount"])
    if int(answer) == expected:
        return True
    return "look for maxReceiveCount in terraform/sqs.tf, then count the received rows"


@exercise(
    "07.parallel_jobs",
    hint="each worker task runs `labkit worker --concurrency N`: multiply by the task count",
    prompt="With `terraform apply -var worker_count=3`, how many calendar jobs run at once?",
)
def parallel_jobs(answer: Any, data: Any = None, **context: Any) -> bool:
    from labkit.terraform import TerraformFolder

    folder = data if isinstance(data, TerraformFolder) else TerraformFolder()
    (worker,) = next(t for t in folder.task_definitions() if t.resource == "worker").containers
    command = [str(part) for part in worker["command"]]
    concurrency = int(command[command.index("--concurrency") + 1])
    return int(answer) == 3 * concurrency
