"""`QueueContext`: what a lesson helper needs to know about the SQS it is handed, decided once.

A notebook cell passes a bare boto3 client (``experiment(lab.sqs, url)``), yet the helpers need
more: is this the lab's emulator or AWS, which emulator account does the client act in, where
are the emulator's admin routes, which seed did `start_clean` give it. `Lab` knows all of that
when it builds its clients, so it writes it down here once (`register`), keyed by the client
object; a helper asks `context_of(sqs)` and gets the same answer every call, with no HTTP probe
and nothing read from botocore's private attributes. A client labkit builds elsewhere
(`emulator_client`, the AWS clients) is registered by its builder; a client built by hand is
judged once by its endpoint (`is_aws_endpoint`) and acts in the class account.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from labkit.stack.emulator_admin import EmulatorAdmin

Kind = Literal["emulator", "aws"]

#: The host part that makes an endpoint AWS's own (every SQS/SNS endpoint of every region).
AWS_DOMAIN = "amazonaws.com"


def is_aws_endpoint(endpoint: str | None) -> bool:
    """The one rule for a URL alone: AWS's endpoints are under amazonaws.com."""
    return AWS_DOMAIN in (endpoint or "")


@dataclass(eq=False)
class QueueContext:
    """One SQS client and what is known about it: ``kind`` ("emulator" or "aws"), ``account``
    (the emulator account it acts in; None on AWS), its ``endpoint``, the emulator's ``admin``
    routes in that account, and the ``seed`` this kernel gave that account (`start_clean`).
    It answers the client's own calls too, so every helper taking ``sqs`` takes a context."""

    sqs: Any
    kind: Kind
    account: str | None = None
    seed: int | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return getattr(self.sqs.meta, "endpoint_url", "") or ""

    @property
    def emulator(self) -> bool:
        """True on the lab's emulator (which has admin routes and a clock), False on AWS."""
        return self.kind == "emulator"

    @cached_property
    def admin(self) -> EmulatorAdmin:
        """The emulator's admin routes in this client's account (AdminError on use on AWS)."""
        from labkit.stack.emulator_admin import EmulatorAdmin

        endpoint = self.endpoint if self.emulator else ""
        return EmulatorAdmin(endpoint, account=self.account)

    def __getattr__(self, name: str) -> Any:
        """Anything else is the client's (``context.send_message(...)``, ``context.meta``): a
        context goes wherever a boto3 client does."""
        if name.startswith("__") or name == "sqs":
            raise AttributeError(name)
        return getattr(self.sqs, name)

    def __repr__(self) -> str:
        account = f", account {self.account}" if self.account else ""
        return f"QueueContext({self.kind} at {self.endpoint}{account})"


_contexts: weakref.WeakKeyDictionary[Any, QueueContext] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def register(sqs: Any, kind: Kind, account: str | None = None) -> QueueContext:
    """Record what the builder of ``sqs`` knows about it; the context every helper will get."""
    context = QueueContext(sqs, kind, account if kind == "emulator" else None)
    with _lock:
        _contexts[sqs] = context
    return context


def context_of(sqs: Any) -> QueueContext:
    """The context of a boto3 client (or ``sqs`` itself when it is a context already).

    A client no labkit builder registered is judged once, by its endpoint, and acts in the
    class account there (the emulator's rule for a key id that is not 12 digits).
    """
    if isinstance(sqs, QueueContext):
        return sqs
    with _lock:
        known = _contexts.get(sqs)
    if known is not None:
        return known
    from labkit.stack.clients import CLASS_ACCOUNT

    endpoint = getattr(getattr(sqs, "meta", None), "endpoint_url", "") or ""
    if not endpoint or is_aws_endpoint(endpoint):
        return register(sqs, "aws")
    return register(sqs, "emulator", CLASS_ACCOUNT)


def client_of(sqs: Any) -> Any:
    """The boto3 client behind ``sqs`` (a client or a `QueueContext`)."""
    return sqs.sqs if isinstance(sqs, QueueContext) else sqs
