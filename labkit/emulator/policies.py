"""Resource policies (a queue's or a topic's ``Policy`` attribute), evaluated as AWS does.

One evaluator for SQS and SNS, and the emulator's access boundary between accounts: a request
from another account, or SNS delivering into a queue, goes through only when the resource's
policy allows it. What is evaluated is the part of IAM's policy language AWS documents for
these two services (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"):

- ``Effect`` Allow or Deny; an explicit Deny wins over any Allow.
- ``Principal`` ``"*"``, ``{"AWS": ...}`` (``*``, an account id, ``arn:aws:iam::<id>:root`` or
  an IAM ARN of that account) and ``{"Service": "sns.amazonaws.com"}``; ``NotPrincipal`` too.
- ``Action``/``NotAction`` and ``Resource``/``NotResource`` with ``*`` and ``?`` wildcards
  (actions case-insensitive, resources case-sensitive).
- ``Condition`` with the String, Arn, Bool and Null operators, their ``IfExists`` forms and
  ``ForAnyValue:``/``ForAllValues:`` prefixes; keys are case-insensitive, as on AWS.

Identity-based policies do not exist here (every caller may do everything in its own account),
so the owner's account needs no policy; another account, or a service, needs a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from labkit.emulator.accounts import is_account_id
from labkit.web_guard import bounded_loads

ALLOW, DENY, NONE = "allow", "deny", "none"
_IAM_ARN = re.compile(r"^arn:aws:(?:iam|sts)::(\d{12}):")


@dataclass(frozen=True)
class Request:
    """Who asks for what: an account (``account``) or an AWS service (``service``), the action
    as ``service:Action`` and the resource's ARN, with the condition keys AWS sets."""

    action: str
    resource: str
    account: str | None = None
    service: str | None = None
    context: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _statements(text: str) -> tuple[dict, ...]:
    try:
        document = bounded_loads(text)
    except (ValueError, RecursionError):
        return ()
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return ()
    return tuple(s for s in statements if isinstance(s, dict))


def evaluate(policy: str | None, request: Request) -> str:
    """``"deny"`` when a statement denies, else ``"allow"`` when one allows, else ``"none"``."""
    if not policy:
        return NONE
    verdict = NONE
    for statement in _statements(policy):
        if not _applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return DENY
        if statement.get("Effect") == "Allow":
            verdict = ALLOW
    return verdict


def allows(policy: str | None, request: Request, owner: str | None = None) -> bool:
    """True when ``request`` may go ahead: the owner's account unless a statement denies it,
    anyone else only when a statement allows it and none denies it."""
    verdict = evaluate(policy, request)
    if owner is not None and request.account == owner and request.service is None:
        return verdict != DENY
    return verdict == ALLOW


def _applies(statement: dict, request: Request) -> bool:
    if "Principal" in statement:
        if not _principal(statement["Principal"], request):
            return False
    elif "NotPrincipal" in statement:
        if _principal(statement["NotPrincipal"], request):
            return False
    else:
        return False  # a resource policy without a principal grants nobody anything
    if not _named(statement, "Action", request.action, ignore_case=True):
        return False
    if not _named(statement, "Resource", request.resource, ignore_case=False):
        return False
    return _conditions(statement.get("Condition", {}), request.context)


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _principal(principal: object, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if request.service is not None:
        return request.service in _listed(principal.get("Service", []))
    for entry in _listed(principal.get("AWS", [])):
        if entry == "*":
            return True
        if not isinstance(entry, str):
            continue
        match = _IAM_ARN.match(entry)
        account = match.group(1) if match else entry if is_account_id(entry) else None
        if account is not None and account == request.account:
            return True
    return False


@lru_cache(maxsize=2048)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(glob: str, value: str, ignore_case: bool = False) -> bool:
    """``glob`` with ``*`` (any run) and ``?`` (one character) matches all of ``value``."""
    return bool(_pattern(glob, ignore_case).match(value))


def _named(statement: dict, element: str, value: str, ignore_case: bool) -> bool:
    if element in statement:
        return any(
            isinstance(g, str) and like(g, value, ignore_case) for g in _listed(statement[element])
        )
    negated = f"Not{element}"
    if negated in statement:
        return not any(
            isinstance(g, str) and like(g, value, ignore_case) for g in _listed(statement[negated])
        )
    return False


def _string_test(operator: str):  # noqa: ANN202 - a (wanted, actual) -> bool function
    base = operator.removesuffix("IfExists")
    tests = {
        "StringEquals": lambda w, a: w == a,
        "StringNotEquals": lambda w, a: w != a,
        "StringEqualsIgnoreCase": lambda w, a: w.lower() == a.lower(),
        "StringNotEqualsIgnoreCase": lambda w, a: w.lower() != a.lower(),
        "StringLike": lambda w, a: like(w, a),
        "StringNotLike": lambda w, a: not like(w, a),
        "ArnEquals": lambda w, a: like(w, a),
        "ArnLike": lambda w, a: like(w, a),
        "ArnNotEquals": lambda w, a: not like(w, a),
        "ArnNotLike": lambda w, a: not like(w, a),
        "Bool": lambda w, a: w.lower() == a.lower(),
    }
    return tests.get(base)


def _conditions(block: object, context: dict[str, str]) -> bool:
    """Every operator block holds; within one, every key; within a key, any listed value."""
    if not isinstance(block, dict):
        return False
    lowered = {k.lower(): v for k, v in context.items()}
    for raw_operator, pairs in block.items():
        if not isinstance(pairs, dict):
            return False
        qualifier, _, operator = raw_operator.rpartition(":")
        for key, wanted in pairs.items():
            actual = lowered.get(str(key).lower())
            if not _holds(operator, qualifier, _listed(wanted), actual):
                return False
    return True


def _holds(operator: str, qualifier: str, wanted: list, actual: str | None) -> bool:
    if operator == "Null":
        return any(str(w).lower() == ("true" if actual is None else "false") for w in wanted)
    if actual is None:
        return operator.endswith("IfExists") or qualifier == "ForAllValues"
    test = _string_test(operator)
    if test is None:
        return False  # an operator the emulator does not know never matches
    negative = "Not" in operator
    results = [test(str(w), actual) for w in wanted]
    return all(results) if negative else any(results)
