"""The facts declared in `terraform/`, read offline: queues, task definitions, services.

The lab creates its local queues from the same `aws_sqs_queue` blocks that students apply on AWS,
so the two cannot drift. Terraform itself is not needed: python-hcl2 parses the files and a small
evaluator resolves what is knowable before `terraform apply` (variable defaults, locals,
`jsonencode`, `tostring`, queue ARNs and URLs, the LabRole ARN). Anything else is reported as
unresolved with the reason, never guessed.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from labkit.aws_errors import is_existing_queue, is_missing_queue
from labkit.paths import TERRAFORM_DIR
from labkit.sqs.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION

log = logging.getLogger(__name__)

#: The account id used in ARNs and URLs computed offline (the emulators' convention).
OFFLINE_ACCOUNT_ID = DEFAULT_ACCOUNT

#: Terraform argument of `aws_sqs_queue` -> SQS API attribute name.
QUEUE_ATTRIBUTES = {
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
    "visibility_timeout_seconds": "VisibilityTimeout",
    "message_retention_seconds": "MessageRetentionPeriod",
    "delay_seconds": "DelaySeconds",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "max_message_size": "MaximumMessageSize",
    "redrive_policy": "RedrivePolicy",
}
#: Arguments that are not queue attributes at all (no need to report them as skipped).
_NOT_ATTRIBUTES = {"name", "tags", "lifecycle", "depends_on", "provider", "count", "for_each"}

_REFERENCE = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+")
_CALL = re.compile(r"([a-z_][a-z0-9_]*)\(", re.S)


class TerraformError(ValueError):
    """The Terraform folder cannot be read (missing, or a file that does not parse)."""


class Unresolved(Exception):
    """An expression whose value is not known offline."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"`{expression}`: {reason}")
        self.expression = expression
        self.reason = reason


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


# --- Parsing ------------------------------------------------------------------------------------


def _parse(text: str) -> dict:
    import hcl2

    options = hcl2.SerializationOptions(
        strip_string_quotes=True, with_comments=False, explicit_blocks=False
    )
    return hcl2.loads(text, serialization_options=options)


@lru_cache(maxsize=64)
def _parse_file(path: Path, mtime_ns: int) -> dict:
    try:
        return _parse(path.read_text(encoding="utf-8"))
    except Exception as exc:  # lark raises several unrelated exception types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerraformError(f"{path} does not parse as HCL: {first_line}") from exc


class TerraformFolder:
    """Every `*.tf` file of one folder, merged as Terraform merges them into one module.

    ``variables`` overrides variable defaults (as `-var name=value` would); ``account_id``
    stands in for the AWS account in computed ARNs and URLs.
    """

    def __init__(
        self,
        directory: Path = TERRAFORM_DIR,
        variables: dict[str, Any] | None = None,
        account_id: str = OFFLINE_ACCOUNT_ID,
        region: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise TerraformError(f"no Terraform folder at {self.directory}")
        self.files: dict[str, dict] = {
            path.name: _parse_file(path, path.stat().st_mtime_ns)
            for path in sorted(self.directory.glob("*.tf"))
        }
        self.overrides = dict(variables or {})
        self.account_id = account_id
        self._locals: dict[str, Any] = {}
        for body in self._top("locals"):
            self._locals.update(body)
        self.region = region or self._provider_region()

    # -- blocks --

    def _top(self, kind: str) -> list[dict]:
        return [block for parsed in self.files.values() for block in parsed.get(kind, [])]

    def blocks(self, kind: str) -> list[tuple[str, dict]]:
        """(file name, block) for every top-level block of a kind, e.g. "provider"."""
        return [
            (name, block) for name, parsed in self.files.items() for block in parsed.get(kind, [])
        ]

    def resources(self, rtype: str) -> dict[str, dict]:
        """Bodies of the `resource "<rtype>" "<name>"` blocks, by name, in file order."""
        return self._labelled("resource", rtype)

    def data_sources(self, dtype: str) -> dict[str, dict]:
        return self._labelled("data", dtype)

    def _labelled(self, kind: str, rtype: str) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for block in self._top(kind):
            for name, body in block.get(rtype, {}).items():
                found[name] = body
        return found

    def providers(self) -> list[tuple[str, str]]:
        """(file name, provider name) for every `provider` block."""
        return [(file, name) for file, block in self.blocks("provider") for name in block]

    def variable_defaults(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        for block in self._top("variable"):
            for name, body in block.items():
                if "default" in body:
                    defaults[name] = body["default"]
        return defaults

    def _provider_region(self) -> str:
        for block in self._top("provider"):
            if "aws" in block and "region" in block["aws"]:
                try:
                    return str(self.evaluate(block["aws"]["region"]))
                except Unresolved:
                    break
        return DEFAULT_REGION

    def inventory(self) -> list[dict[str, str]]:
        """One row per top-level block: file, kind (resource, data, provider, ...), type, name."""
        rows = []
        for file, parsed in self.files.items():
            for kind, blocks in parsed.items():
                for block in blocks:
                    if kind in ("resource", "data"):
                        for rtype, named in block.items():
                            rows += [
                                {"file": file, "kind": kind, "type": rtype, "name": n}
                                for n in named
                            ]
                    elif kind in ("provider", "variable", "output"):
                        rows += [{"file": file, "kind": kind, "type": "", "name": n} for n in block]
                    elif kind == "locals":
                        rows += [
                            {"file": file, "kind": "local", "type": "", "name": n} for n in block
                        ]
                    else:
                        rows.append({"file": file, "kind": kind, "type": "", "name": ""})
        return rows

    # -- evaluation --

    def evaluate(self, value: Any, strict: bool = True, _depth: int = 0) -> Any:
        """The value of a serialized HCL value: literals, `${...}` expressions and templates.

        With ``strict`` an unknown part raises `Unresolved`; otherwise it stays as `${...}` text.
        """
        if _depth > 40:
            raise Unresolved(str(value), "references nest too deeply (a cycle?)")
        if isinstance(value, dict):
            return {k: self.evaluate(v, strict, _depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.evaluate(v, strict, _depth + 1) for v in value]
        if not isinstance(value, str) or "${" not in value:
            return value
        parts = _split_template(value)
        if len(parts) == 1 and isinstance(parts[0], _Expr):
            return self._expression(parts[0].source, strict, _depth + 1)
        text = []
        for part in parts:
            if isinstance(part, _Expr):
                resolved = self._expression(part.source, strict, _depth + 1)
                text.append(_to_string(resolved))
            else:
                text.append(part)
        return "".join(text)

    def _expression(self, source: str, strict: bool, depth: int) -> Any:
        source = source.strip()
        try:
            if _REFERENCE.fullmatch(source):
                return self._reference(source, strict, depth)
            call = _CALL.match(source)
            if call and _closing_paren(source, call.end() - 1) == len(source) - 1:
                return self._call(call.group(1), source[call.end() : -1], strict, depth)
            parsed = _parse(f"v = {source}\n")["v"]
            unchanged = "${" + "".join(source.split()) + "}"
            if isinstance(parsed, str) and "".join(parsed.split()) == unchanged:
                raise Unresolved(source, "an expression that is only evaluated by Terraform")
            return self.evaluate(parsed, strict, depth)
        except Unresolved:
            if strict:
                raise
            return "${" + source + "}"
        except Exception as exc:  # noqa: BLE001 - a parse failure is just "not known offline"
            if strict:
                raise Unresolved(source, f"cannot be read offline ({type(exc).__name__})") from exc
            return "${" + source + "}"

    def _call(self, function: str, argument: str, strict: bool, depth: int) -> Any:
        if function not in ("jsonencode", "tostring"):
            raise Unresolved(f"{function}(...)", f"the function {function}() is not evaluated")
        value = self._expression(argument, strict, depth + 1)
        if function == "tostring":
            return _to_string(value)
        return json.dumps(value, separators=(",", ":"))

    def _reference(self, ref: str, strict: bool, depth: int) -> Any:
        parts = ref.split(".")
        head = parts[0]
        if head == "var":
            name = parts[1]
            if name in self.overrides:
                return self.overrides[name]
            defaults = self.variable_defaults()
            if name not in defaults:
                raise Unresolved(ref, f"variable {name!r} has no default")
            return self.evaluate(defaults[name], strict, depth + 1)
        if head == "local":
            if parts[1] not in self._locals:
                raise Unresolved(ref, f"no local value named {parts[1]!r}")
            return self.evaluate(self._locals[parts[1]], strict, depth + 1)
        if head == "data" and len(parts) == 4:
            return self._attribute("data", parts[1], parts[2], parts[3], strict, depth)
        if len(parts) == 3:
            return self._attribute("resource", parts[0], parts[1], parts[2], strict, depth)
        raise Unresolved(ref, "a reference this reader does not follow")

    def _attribute(
        self, kind: str, rtype: str, name: str, attr: str, strict: bool, depth: int
    ) -> Any:
        ref = f"{'data.' if kind == 'data' else ''}{rtype}.{name}.{attr}"
        body = self._labelled(kind, rtype).get(name)
        if body is None:
            raise Unresolved(ref, f"no {kind} {rtype}.{name} in {self.directory}")
        if rtype == "aws_sqs_queue" and attr in ("arn", "url", "id"):
            queue = str(self.evaluate(body.get("name"), True, depth + 1))
            if attr == "arn":
                return f"arn:aws:sqs:{self.region}:{self.account_id}:{queue}"
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{queue}"
        if rtype == "aws_sns_topic" and attr in ("arn", "id"):
            topic = str(self.evaluate(body.get("name"), True, depth + 1))
            return f"arn:aws:sns:{self.region}:{self.account_id}:{topic}"
        if rtype == "aws_iam_role" and attr == "arn":
            role = str(self.evaluate(body.get("name"), True, depth + 1))
            return f"arn:aws:iam::{self.account_id}:role/{role}"
        if attr in body:
            return self.evaluate(body[attr], strict, depth + 1)
        raise Unresolved(ref, "known only after `terraform apply`")

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
            attributes: dict[str, str] = {}
            skipped: list[tuple[str, str]] = []
            for argument, raw in body.items():
                attribute = QUEUE_ATTRIBUTES.get(argument)
                if attribute is None:
                    if argument not in _NOT_ATTRIBUTES:
                        skipped.append((argument, "not an attribute the lab's emulator models"))
                    continue
                try:
                    attributes[attribute] = _attribute_string(attribute, self.evaluate(raw))
                except (Unresolved, ValueError, KeyError, TypeError) as exc:
                    skipped.append((argument, str(exc)))
                    log.warning("aws_sqs_queue.%s: %s skipped: %s", resource, argument, exc)
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
            task = str(body.get("task_definition", ""))
            match = re.fullmatch(r"\$\{aws_ecs_task_definition\.([\w-]+)\.\w+\}", task)
            balancers = body.get("load_balancer") or []
            found.append(
                Service(
                    resource=resource,
                    name=self.evaluate(body.get("name", resource), strict=False),
                    task_definition=match.group(1) if match else task,
                    desired_count=self.evaluate(body.get("desired_count", 1), strict=False),
                    load_balancer=self.evaluate(balancers[0], strict=False) if balancers else None,
                )
            )
        return found


# --- Helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expr:
    source: str


def _closing_paren(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (skipping strings), or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    i = start
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
    return -1


def _split_template(text: str) -> list[str | _Expr]:
    """Literal text and `${...}` expressions, in order (`$${` is a literal `${`)."""
    parts: list[str | _Expr] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            literal.append("${")
            i += 3
        elif text.startswith("${", i):
            end = _closing_paren(text, i + 1)
            if end < 0:
                literal.append(text[i:])
                break
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Expr(text[i + 2 : end]))
            i = end + 1
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise Unresolved(str(value), "a collection where Terraform expects a string")
    return str(value)


def _attribute_string(attribute: str, value: Any) -> str:
    """An evaluated argument as the SQS API's string attribute value."""
    if attribute == "RedrivePolicy":
        policy = json.loads(value) if isinstance(value, str) else dict(value)
        target = str(policy["deadLetterTargetArn"])
        if not target.startswith("arn:aws:sqs:"):
            raise ValueError(f"deadLetterTargetArn {target!r} is not an SQS queue ARN")
        count = int(policy["maxReceiveCount"])
        return json.dumps(
            {"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":")
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dict, list)):
        raise ValueError(f"{attribute} must be a single value, not {type(value).__name__}")
    return str(value)


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


def queue_drift(sqs_client: Any, definitions: list[QueueDefinition]) -> list[dict[str, Any]]:
    """Terraform's value beside the live one, per queue and declared attribute.

    Rows: queue, attribute, terraform, live, same. A redrive policy is compared by meaning (the
    dead-letter queue's name and maxReceiveCount), since account ids and JSON spacing differ
    between endpoints. A queue that does not exist shows live = None.
    """
    rows: list[dict[str, Any]] = []
    for definition in definitions:
        try:
            url = sqs_client.get_queue_url(QueueName=definition.name)["QueueUrl"]
            live = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"
            ]
        except Exception as exc:  # botocore ClientError: the queue does not exist
            if not is_missing_queue(exc):
                raise
            live = None
        for attribute, declared in definition.attributes.items():
            actual = None if live is None else live.get(attribute)
            same = actual is not None and (
                _redrive_key(declared) == _redrive_key(actual)
                if attribute == "RedrivePolicy"
                else declared == actual
            )
            rows.append(
                {
                    "queue": definition.name,
                    "attribute": attribute,
                    "terraform": declared,
                    "live": actual,
                    "same": same,
                }
            )
    return rows


def _redrive_key(policy: str) -> tuple[str, int]:
    parsed = json.loads(policy)
    return str(parsed["deadLetterTargetArn"]).rsplit(":", 1)[-1], int(parsed["maxReceiveCount"])


def ensure_queues(
    sqs_client: Any, definitions: list[QueueDefinition], update: bool = True
) -> dict[str, str]:
    """Create the queues (idempotent) and return {name: queue URL}.

    Redrive policies are pointed at the dead-letter queue's ARN as this endpoint reports it
    (its account id may differ from the offline one). A queue that exists with other settings
    is brought in line with SetQueueAttributes (FifoQueue cannot change and is left alone);
    with ``update=False`` it is left as it is (on AWS, where Terraform owns the queues).
    """
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for definition in definitions:
        attributes = dict(definition.attributes)
        target = definition.dead_letter_target
        if target and target in arns:
            policy = json.loads(attributes["RedrivePolicy"])
            policy["deadLetterTargetArn"] = arns[target]
            attributes["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
        try:
            url = sqs_client.create_queue(QueueName=definition.name, Attributes=attributes)[
                "QueueUrl"
            ]
        except Exception as exc:  # botocore ClientError; the code tells whether it already exists
            if not is_existing_queue(exc):
                raise
            url = sqs_client.get_queue_url(QueueName=definition.name)["QueueUrl"]
            changeable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if changeable and update:
                sqs_client.set_queue_attributes(QueueUrl=url, Attributes=changeable)
        urls[definition.name] = url
        arns[definition.name] = sqs_client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
    return urls
