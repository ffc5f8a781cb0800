"""The lab's facts in `terraform/`: its SQS queues (as SQS API attributes, dead-letter queues
first) and its ECS task definitions and services, from the folder `labkit.terraform.read` reads.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.paths import TERRAFORM_DIR
from labkit.terraform.attributes import API_ATTRIBUTES, api_attributes
from labkit.terraform.read import TerraformFiles, Unresolved

log = logging.getLogger(__name__)

#: Terraform argument of `aws_sqs_queue` -> SQS API attribute name.
QUEUE_ATTRIBUTES = API_ATTRIBUTES["aws_sqs_queue"]
#: Arguments that are not queue attributes at all (no need to report them as skipped).
_NOT_ATTRIBUTES = {"name", "tags", "lifecycle", "depends_on", "provider", "count", "for_each"}


@dataclass(frozen=True)
class QueueDefinition:
    """One `aws_sqs_queue`: its name and SQS API attributes (string values, as the API takes).

    ``skipped`` lists (argument, reason) for arguments that could not be turned into attributes.
    """

    name: str
    attributes: dict[str, str]
    resource: str = ""
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def dead_letter_target(self) -> str | None:
        """Name of the queue this one's redrive policy sends failing messages to."""
        policy = self.attributes.get("RedrivePolicy")
        if not policy:
            return None
        return json.loads(policy)["deadLetterTargetArn"].rsplit(":", 1)[-1]


@dataclass(frozen=True)
class TaskDefinition:
    """An `aws_ecs_task_definition`, evaluated as far as is known before apply."""

    resource: str
    family: str
    cpu: Any
    memory: Any
    execution_role: str
    task_role: str
    containers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Service:
    """An `aws_ecs_service` and what it runs."""

    resource: str
    name: str
    task_definition: str
    desired_count: Any
    load_balancer: dict[str, Any] | None


class TerraformFolder(TerraformFiles):
    """The `terraform/` folder read offline (`TerraformFiles`), with the lab's facts drawn from it."""

    # -- the lab's facts --

    def queue_definitions(self) -> list[QueueDefinition]:
        """Each `aws_sqs_queue` with SQS attributes; a dead-letter queue before its users."""
        definitions: list[QueueDefinition] = []
        for resource, body in self.resources("aws_sqs_queue").items():
            try:
                name = self.evaluate(body.get("name"))
            except Unresolved as exc:
                log.warning("aws_sqs_queue.%s skipped: its name %s", resource, exc)
                continue
            if not isinstance(name, str) or not name:
                log.warning("aws_sqs_queue.%s skipped: it has no literal name", resource)
                continue
            attributes, skipped = api_attributes(self, "aws_sqs_queue", body)
            if "RedrivePolicy" in attributes:
                try:
                    attributes["RedrivePolicy"] = _redrive_policy(attributes["RedrivePolicy"])
                except (ValueError, KeyError, TypeError) as exc:
                    del attributes["RedrivePolicy"]
                    skipped.append(("redrive_policy", str(exc)))
            skipped += [
                (argument, "not an attribute the lab's emulator models")
                for argument in body
                if argument not in QUEUE_ATTRIBUTES and argument not in _NOT_ATTRIBUTES
            ]
            for argument, reason in skipped:
                log.warning("aws_sqs_queue.%s: %s skipped: %s", resource, argument, reason)
            definitions.append(QueueDefinition(name, attributes, resource, tuple(skipped)))
        return _dead_letters_first(definitions)

    def task_definitions(self) -> list[TaskDefinition]:
        """Each `aws_ecs_task_definition`; unknown-before-apply parts stay as `${...}` text."""
        found = []
        for resource, body in self.resources("aws_ecs_task_definition").items():
            containers = self.evaluate(body.get("container_definitions", "[]"), strict=False)
            try:
                containers = json.loads(containers) if isinstance(containers, str) else containers
            except json.JSONDecodeError:
                containers = []
            found.append(
                TaskDefinition(
                    resource=resource,
                    family=self.evaluate(body.get("family", ""), strict=False),
                    cpu=self.evaluate(body.get("cpu"), strict=False),
                    memory=self.evaluate(body.get("memory"), strict=False),
                    execution_role=self.evaluate(body.get("execution_role_arn", ""), strict=False),
                    task_role=self.evaluate(body.get("task_role_arn", ""), strict=False),
                    containers=list(containers or []),
                )
            )
        return found

    def container_table(self) -> list[dict[str, Any]]:
        """One row per container of each ECS service: what it runs, where, and as which role."""
        tasks = {task.resource: task for task in self.task_definitions()}
        rows = []
        for service in self.services():
            task = tasks.get(service.task_definition)
            if task is None:
                continue
            for container in task.containers:
                rows.append(
                    {
                        "service": service.name,
                        "container": container.get("name", ""),
                        "command": " ".join(str(part) for part in container.get("command", [])),
                        "ports": [
                            p.get("containerPort") for p in container.get("portMappings", [])
                        ],
                        "load balancer": bool(service.load_balancer),
                        "tasks": service.desired_count,
                        "cpu": task.cpu,
                        "memory": task.memory,
                        "execution role": str(task.execution_role).rsplit("/", 1)[-1],
                        "task role": str(task.task_role).rsplit("/", 1)[-1],
                    }
                )
        return rows

    def services(self) -> list[Service]:
        """Each `aws_ecs_service` with the task definition resource it runs."""
        found = []
        for resource, body in self.resources("aws_ecs_service").items():
            task = body.get("task_definition", "")
            balancers = body.get("load_balancer") or []
            found.append(
                Service(
                    resource=resource,
                    name=self.evaluate(body.get("name", resource), strict=False),
                    task_definition=self.referenced_instance(task) or str(task),
                    desired_count=self.evaluate(body.get("desired_count", 1), strict=False),
                    load_balancer=self.evaluate(balancers[0], strict=False) if balancers else None,
                )
            )
        return found


def _redrive_policy(text: str) -> str:
    """A queue's redrive policy in the SQS API's form; ValueError when it names no queue."""
    policy = json.loads(text)
    target = str(policy["deadLetterTargetArn"])
    if not target.startswith("arn:aws:sqs:"):
        raise ValueError(f"deadLetterTargetArn {target!r} is not an SQS queue ARN")
    count = int(policy["maxReceiveCount"])
    return json.dumps(
        {"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":")
    )


def _dead_letters_first(definitions: list[QueueDefinition]) -> list[QueueDefinition]:
    by_name = {d.name: d for d in definitions}
    ordered: list[QueueDefinition] = []
    placed: set[str] = set()

    def place(definition: QueueDefinition, seen: frozenset[str]) -> None:
        if definition.name in placed:
            return
        target = definition.dead_letter_target
        if target in by_name and target not in seen:
            place(by_name[target], seen | {definition.name})
        placed.add(definition.name)
        ordered.append(definition)

    for definition in definitions:
        place(definition, frozenset())
    return ordered


# --- Public API ---------------------------------------------------------------------------------


def queue_definitions(
    directory: Path = TERRAFORM_DIR, variables: dict[str, Any] | None = None
) -> list[QueueDefinition]:
    """The queues declared in the Terraform folder, ready for SQS CreateQueue.

    Redrive targets are resolved to `arn:aws:sqs:<region>:000000000000:<name>`, and a
    dead-letter queue comes before the queue that names it.
    """
    return TerraformFolder(directory, variables=variables).queue_definitions()


def with_prefix(definitions: list[QueueDefinition], prefix: str) -> list[QueueDefinition]:
    """The same queues under other names (``prefix`` + name), redrive targets renamed too: a
    private copy a lesson can break without touching the shared queues."""
    renamed = []
    for definition in definitions:
        attributes = dict(definition.attributes)
        if "RedrivePolicy" in attributes:
            policy = json.loads(attributes["RedrivePolicy"])
            arn, _, target = policy["deadLetterTargetArn"].rpartition(":")
            policy["deadLetterTargetArn"] = f"{arn}:{prefix}{target}"
            attributes["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
        renamed.append(
            QueueDefinition(
                prefix + definition.name, attributes, definition.resource, definition.skipped
            )
        )
    return renamed
