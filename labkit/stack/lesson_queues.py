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
        urls = create(sqs, queues, update=update)
        if update and definitions is None:  # on AWS, Terraform makes the topics too
            create_lesson_topics(sqs)
        return urls
    except (BotoCoreError, ClientError) as exc:
        from labkit.stack.context import context_of

        context = context_of(sqs)
        raise StackError(
            f"sqs: {explain(exc, context.endpoint if context.emulator else None)}"
        ) from None


def create_lesson_topics(sqs: Any) -> dict[str, dict]:
    """The SNS topics of terraform/ with their queue subscriptions, on the emulator ``sqs``
    talks to (SNS shares its port). Idempotent; the queues must exist already."""
    from labkit.stack.clients import emulator_client
    from labkit.terraform import TerraformError
    from labkit.terraform.topics import ensure_topics, topic_definitions

    try:
        topics = topic_definitions()
    except TerraformError as exc:
        raise StackError(f"terraform: {exc}; fix terraform/, then run `labkit up` again") from None
    sns = emulator_client(sqs.meta.endpoint_url, sqs.meta.region_name, service="sns")
    return ensure_topics(sns, sqs, topics)
