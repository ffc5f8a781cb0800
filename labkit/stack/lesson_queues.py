"""The queues the lessons use, created on whichever SQS the stack talks to.

They come from the Terraform definitions in `terraform/` (`labkit.terraform`), so the emulator
and AWS hold the same queues with the same attributes (dead-letter queues first).
"""

from __future__ import annotations

from typing import Any

from labkit.stack.errors import StackError


def lesson_queues() -> list[Any]:
    """Queue definitions from terraform/ (objects with `name` and `attributes`).

    StackError (one line, naming the file) when the Terraform folder cannot be read.
    """
    from labkit.terraform import TerraformError, queue_definitions

    try:
        return list(queue_definitions())
    except TerraformError as exc:
        raise StackError(
            f"terraform: {exc}; fix terraform/ (`git diff terraform/` shows your changes), "
            "then run `labkit up` again"
        ) from None


def create_lesson_queues(
    sqs: Any, definitions: list[Any] | None = None, *, update: bool = True
) -> dict[str, str]:
    """Create each queue unless it exists (idempotent); return {name: queue URL}.

    ``update=False`` leaves an existing queue's attributes alone: on AWS, Terraform owns them.
    An SQS refusal (e.g. AWS denying CreateQueue) becomes a one-line StackError.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from labkit.stack.aws import explain
    from labkit.terraform import ensure_queues as create

    queues = definitions if definitions is not None else lesson_queues()
    try:
        return create(sqs, queues, update=update)
    except (BotoCoreError, ClientError) as exc:
        endpoint = sqs.meta.endpoint_url
        local = endpoint if "amazonaws.com" not in endpoint else None
        raise StackError(f"sqs: {explain(exc, local)}") from None
