"""Reading `terraform/` offline: every `*.tf` file parsed by python-hcl2 and merged as
Terraform merges a module, with a small evaluator for what is knowable before `terraform apply`
(variable defaults, locals, `jsonencode`, `tostring`, queue ARNs and URLs, the LabRole ARN).
Anything else is `Unresolved`, with the reason, never guessed.

The facts the lab draws from the folder are `labkit.terraform.facts` (queues, ECS) and
`labkit.terraform.topics` (SNS); putting queues and topics on an endpoint is `sync`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from labkit.paths import TERRAFORM_DIR
from labkit.sqs.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION

log = logging.getLogger(__name__)

#: The account id used in ARNs and URLs computed offline (the emulators' convention).
OFFLINE_ACCOUNT_ID = DEFAULT_ACCOUNT

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


class TerraformFiles:
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
