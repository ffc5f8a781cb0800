"""The SQS actions, as moto separates them from its backend: one function per AWS action that
parses and checks the wire parameters (in AWS's order), calls the typed backend, and shapes
AWS's answer. Errors are `SQSError`.

    server.py (HTTP)  ->  ACTIONS[name](backend, params, ctx)  ->  SQSBackend  ->  queues.py

Transport-free: the HTTP server only decodes the JSON body and encodes the answer. The queue
actions are here; send, receive, delete and visibility in `message_actions.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from labkit.emulator.context import Context
from labkit.emulator.sqs import attributes as qattrs
from labkit.emulator.sqs import message_actions as messages
from labkit.emulator.sqs.backend import SQSBackend, check_tags
from labkit.emulator.sqs.errors import SQSError, invalid, missing, no_queue, unknown_attribute
from labkit.emulator.sqs.message_actions import queue_of
from labkit.emulator.sqs.params import get_list, get_map, get_str
from labkit.emulator.sqs.urls import queue_url
from labkit.emulator.sqs.wire import url_page

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
Action = Callable[[SQSBackend, dict, Context], dict]


def _written_redrive(raw: object, given: dict[str, str]) -> object:
    """The RedrivePolicy as the caller wrote it (errors echo it), when there is one."""
    if not given.get("RedrivePolicy"):
        return None
    return raw.get("RedrivePolicy") if isinstance(raw, dict) else given["RedrivePolicy"]


def _check_queue_name(name: str, fifo: bool) -> None:
    if fifo:
        if not name.endswith(".fifo") or not _QUEUE_NAME.match(name[:-5] + "_fifo"):
            raise invalid(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                "or underscores, must end with .fifo suffix and be 1 to 80 in length"
            )
    elif not _QUEUE_NAME.match(name):
        raise invalid(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def create_queue(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    name = get_str(params, "QueueName")
    raw = params.get("Attributes")
    flag = raw.get("FifoQueue") if isinstance(raw, dict) else None
    fifo = flag is True or (isinstance(flag, str) and flag.lower() == "true")
    _check_queue_name(name, fifo)
    given = qattrs.normalise(raw, fifo=fifo, creating=True)
    sqs.check_redrive(given, _written_redrive(raw, given), fifo, ctx.account, ctx.region)
    tags = get_map(params, "tags") or {}
    check_tags(tags, name)
    queue = sqs.create_queue(ctx.account, ctx.region, name, fifo, given, tags)
    return {"QueueUrl": queue_url(ctx.base_url, queue.account, queue.name)}


def get_queue_url(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    name = get_str(params, "QueueName")
    owner = get_str(params, "QueueOwnerAWSAccountId", required=False) or ctx.account
    queue = sqs.find(owner, ctx.region, name)
    if queue is None:
        raise no_queue()
    return {"QueueUrl": queue_url(ctx.base_url, queue.account, queue.name)}


def list_queues(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    prefix = get_str(params, "QueueNamePrefix", required=False) or ""
    names = sqs.queue_names(ctx.account, ctx.region, prefix)
    return url_page(params, f"{ctx.base_url}/{ctx.account}", names, "QueueUrls", omit_empty=True)


def delete_queue(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    sqs.delete_queue(queue_of(sqs, params, ctx))
    return {}


def get_queue_attributes(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    names = get_list(params, "AttributeNames")
    for name in names:
        if name != "All" and name not in qattrs.ALL_NAMES:
            raise unknown_attribute(name)
    attrs = sqs.queue_attributes(queue, names)
    return {"Attributes": attrs} if attrs else {}


def set_queue_attributes(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    raw = params.get("Attributes")
    if raw is None:
        raise missing("Attributes")
    given = qattrs.normalise(raw, fifo=queue.fifo, creating=False)
    written = _written_redrive(raw, given)
    sqs.check_redrive(given, written, queue.fifo, ctx.account, ctx.region, queue.arn)
    sqs.set_queue_attributes(queue, given)
    return {}


def purge_queue(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    sqs.purge_queue(queue_of(sqs, params, ctx))
    return {}


def list_dead_letter_source_queues(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    target = queue_of(sqs, params, ctx)
    names = sqs.dead_letter_sources(target)
    return url_page(params, f"{ctx.base_url}/{target.account}", names, "queueUrls")


def tag_queue(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    tags = get_map(params, "Tags")
    if not tags:
        raise missing("Tags")
    sqs.tag_queue(queue, tags)
    return {}


def untag_queue(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    keys = get_list(params, "TagKeys")
    if not keys or not all(1 <= len(key) <= 128 for key in keys):
        raise invalid("Tag keys must be between 1 and 128 characters in length.")
    sqs.untag_queue(queue, keys)
    return {}


def list_queue_tags(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    tags = sqs.tags_of(queue_of(sqs, params, ctx))
    return {"Tags": tags} if tags else {}


def add_permission(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    label = get_str(params, "Label")
    accounts = get_list(params, "AWSAccountIds")
    actions = get_list(params, "Actions")
    sqs.add_permission(queue, label, accounts, actions)
    return {}


def remove_permission(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    sqs.remove_permission(queue, get_str(params, "Label"))
    return {}


# Every action the emulator answers, by AWS's name.
ACTIONS: dict[str, Action] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "DeleteQueue": delete_queue,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "ListQueueTags": list_queue_tags,
    "SendMessage": messages.send_message,
    "SendMessageBatch": messages.send_message_batch,
    "ReceiveMessage": messages.receive_message,
    "DeleteMessage": messages.delete_message,
    "DeleteMessageBatch": messages.delete_message_batch,
    "ChangeMessageVisibility": messages.change_message_visibility,
    "ChangeMessageVisibilityBatch": messages.change_message_visibility_batch,
}


def dispatch(sqs: SQSBackend, action: str, params: dict, ctx: Context) -> dict:
    """Run ``action`` (AWS's name) with the request's ``params``; its answer, or SQSError."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise SQSError(
            "UnsupportedOperation", f"The action {action} is not valid for this endpoint."
        )
    return handler(sqs, params, ctx)
