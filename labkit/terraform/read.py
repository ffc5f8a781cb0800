"""Reading `terraform/` offline: every `*.tf` file parsed by python-hcl2 and merged as
Terraform merges a module, and what its names refer to (variables with their defaults, locals,
resources and their `for_each` instances, data sources; queue, topic and LabRole ARNs and queue
URLs), so that `expressions.Evaluator` can evaluate its expressions on the parse tree. Anything
not knowable before `terraform apply` is `Unresolved`, with the reason, never guessed.

The facts the lab draws from the folder are `labkit.terraform.facts` (queues, ECS) and
`labkit.terraform.topics` (SNS); putting queues and topics on an endpoint is `sync`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hcl2.rules.literal_rules import IdentifierRule

from labkit.emulator.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION
from labkit.paths import TERRAFORM_DIR
from labkit.terraform.expressions import (
    OPTIONS,
    Context,
    Evaluator,
    Expression,
    Failed,
    Reference,
    Unresolved,
    bind,
    source,
    steps_of,
    template,
    values_of,
)

log = logging.getLogger(__name__)

#: The account id used in ARNs and URLs computed offline (the emulators' convention).
OFFLINE_ACCOUNT_ID = DEFAULT_ACCOUNT

__all__ = ["OFFLINE_ACCOUNT_ID", "TerraformError", "TerraformFiles", "Unresolved"]


class TerraformError(ValueError):
    """The Terraform folder cannot be read (missing, or a file that does not parse)."""


# --- Parsing ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _parse_file(path: Path, mtime_ns: int) -> dict:
    import hcl2

    try:
        return values_of(hcl2.parses(path.read_text(encoding="utf-8"), discard_comments=True).body)
    except Exception as exc:  # lark raises several unrelated exception types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerraformError(f"{path} does not parse as HCL: {first_line}") from exc


class TerraformFiles(Evaluator):
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
        """Bodies of the `resource "<rtype>" "<name>"` blocks, by name, in file order; a block
        with `for_each` gives one body per instance, named as Terraform does (`name["key"]`),
        in which `each.key` and `each.value` are known."""
        found: dict[str, dict] = {}
        for name, body in self._labelled("resource", rtype).items():
            found.update(self._instances(name, body))
        return found

    def data_sources(self, dtype: str) -> dict[str, dict]:
        """Bodies of the `data "<dtype>" "<name>"` blocks, by name (`dynamic` blocks made)."""
        return {
            name: self._dynamic_blocks(body) for name, body in self._labelled("data", dtype).items()
        }

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

    # -- what names refer to --

    def _instances(self, name: str, body: dict) -> dict[str, dict]:
        """{address: body} of a block: one per `for_each` key (`name["key"]`, `each` bound),
        else {name: body}; `dynamic` blocks made into the blocks they generate."""
        if "for_each" not in body:
            return {name: self._dynamic_blocks(body)}
        try:
            each = self.evaluate(body["for_each"])
        except Unresolved as exc:
            log.warning("%s: its for_each is not known offline: %s", name, exc)
            return {name: body}
        pairs = each.items() if isinstance(each, dict) else ((key, key) for key in each)
        return {
            f"{name}[{json.dumps(str(key))}]": self._dynamic_blocks(
                bind(body, {"each": {"key": str(key), "value": value}})
            )
            for key, value in pairs
        }

    def _dynamic_blocks(self, body: dict) -> dict:
        """``body`` with each `dynamic "x"` block replaced by the `x` blocks it generates (its
        iterator, `x` or the one it names, bound in each); one not known offline stays."""
        if "dynamic" not in body:
            return body
        expanded = {key: value for key, value in body.items() if key != "dynamic"}
        for block in body["dynamic"]:
            for label, spec in block.items():
                iterator = spec.get("iterator", label)
                if isinstance(iterator, Expression):
                    iterator = source(iterator.node)
                try:
                    each = self.evaluate(spec.get("for_each"))
                    pairs = each.items() if isinstance(each, dict) else enumerate(each)
                except (Unresolved, TypeError) as exc:
                    log.warning("dynamic %s: its for_each is not known offline: %s", label, exc)
                    expanded.setdefault("dynamic", []).append({label: spec})
                    continue
                for key, value in pairs:
                    names = {iterator: {"key": key, "value": value}}
                    expanded.setdefault(label, []).extend(
                        self._dynamic_blocks(bind(content, names))
                        for content in spec.get("content", [])
                    )
        return expanded

    def reference(self, name: str, steps: list[Any], node: Any, context: Context) -> Any:
        """`var.x`, `local.x`, `data.type.name`, `type.name` (a resource): the value or the
        `Reference` they name, and the steps left to take on it."""
        count = 2 if name == "data" else 1  # data.<type>.<name>; var.<name>, <type>.<name>
        if len(steps) < count or not all(isinstance(step, str) for step in steps[:count]):
            raise Unresolved(source(node), f"a reference to {name} this reader does not follow")
        named, rest = steps[:count], steps[count:]
        if name == "var":
            return self._variable(named[0], source(node), context), rest
        if name == "local":
            if named[0] not in self._locals:
                raise Unresolved(source(node), f"no local value named {named[0]!r}")
            inner = context.deeper(source(node))
            return self.value(self._locals[named[0]], inner), rest
        if name == "data":
            return self._resource("data", named[0], named[1], node), rest
        if name in ("each", "count", "self", "path", "terraform"):
            raise Unresolved(source(node), f"`{name}` is not known here")
        return self._resource("resource", name, named[0], node), rest

    def _variable(self, name: str, where: str, context: Context) -> Any:
        if name in self.overrides:
            return self.overrides[name]
        defaults = self.variable_defaults()
        if name not in defaults:
            raise Unresolved(where, f"variable {name!r} has no default")
        return self.value(defaults[name], context.deeper(where))

    def _resource(self, kind: str, rtype: str, name: str, node: Any) -> Reference:
        body = self._labelled(kind, rtype).get(name)
        prefix = "data." if kind == "data" else ""
        if body is None:
            raise Unresolved(source(node), f"no {kind} {prefix}{rtype}.{name} in {self.directory}")
        if "for_each" in body:
            return _Instances(self, kind, rtype, name, self._instances(name, body))
        return _Instance(self, kind, rtype, name, body)

    def attribute(self, instance: _Instance, attr: str, context: Context) -> Any:
        """An attribute of a resource instance: the ARNs and URLs that follow from its name,
        else an argument it sets, else `Unresolved` (known only after apply)."""
        where = f"{instance.address}.{attr}"
        body, inner = instance.body, context.deeper(where)
        if (instance.rtype, attr) in _FROM_NAME:
            if body.get("name") is None:
                raise Unresolved(where, "it has no name: known only after `terraform apply`")
            name = str(self.value(body["name"], replace(inner, strict=True)))  # needed whole
            return _FROM_NAME[instance.rtype, attr].format(
                region=self.region, account=self.account_id, name=name
            )
        if attr in body:
            return self.value(body[attr], inner)
        raise Unresolved(where, "known only after `terraform apply`")

    def referenced_instance(self, value: Any) -> str | None:
        """The resource instance (`name`, or `name["key"]`) that a reference such as
        `aws_x.name.arn` or `aws_x.name[each.key].arn` reads an attribute of, else None."""
        if isinstance(value, str) and not isinstance(value, Expression) and "${" in value:
            value = template(value)
        if not isinstance(value, Expression):
            return None
        node = value.node
        root, steps = steps_of(node)
        if not steps:
            return None
        context = Context(scope=value.scope)
        if not isinstance(root, IdentifierRule):
            return None
        try:
            target, rest = self.reference(root.serialize(OPTIONS), steps[:-1], node, context)
            for step in rest:
                target = self.step(target, step, node, context)
        except Unresolved:
            return None
        return target.name if isinstance(target, _Instance) else None


#: Attributes that follow from a resource's name: its ARN, and a queue's URL.
_FROM_NAME = {
    ("aws_sqs_queue", "arn"): "arn:aws:sqs:{region}:{account}:{name}",
    ("aws_sqs_queue", "url"): "https://sqs.{region}.amazonaws.com/{account}/{name}",
    ("aws_sqs_queue", "id"): "https://sqs.{region}.amazonaws.com/{account}/{name}",
    ("aws_sns_topic", "arn"): "arn:aws:sns:{region}:{account}:{name}",
    ("aws_sns_topic", "id"): "arn:aws:sns:{region}:{account}:{name}",
    ("aws_iam_role", "arn"): "arn:aws:iam::{account}:role/{name}",
}


class _Instance(Reference):
    """One resource (or data source) instance; its attributes come from `TerraformFiles`."""

    def __init__(self, files: TerraformFiles, kind: str, rtype: str, name: str, body: dict):
        self.files, self.kind, self.rtype, self.name, self.body = files, kind, rtype, name, body
        self.address = f"{'data.' if kind == 'data' else ''}{rtype}.{name}"

    def get(self, key: Any, context: Context) -> Any:
        return self.files.attribute(self, str(key), context)


class _Instances(Reference):
    """A `for_each` resource: its instances by key."""

    def __init__(
        self, files: TerraformFiles, kind: str, rtype: str, name: str, bodies: dict[str, dict]
    ):
        self.instances = {
            address: _Instance(files, kind, rtype, address, body)
            for address, body in bodies.items()
        }
        self.name = name

    def get(self, key: Any, context: Context) -> Any:
        address = f"{self.name}[{json.dumps(str(key))}]"
        if address not in self.instances:
            raise Failed(address, f"no instance with the key {str(key)!r}")
        return self.instances[address]
