"""What one request says about its caller, handed by the HTTP layer to the SQS and SNS actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from labkit.emulator.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION, Caller


@dataclass
class Context:
    """The URL the caller used, its account, region and key id; the HTTP layer's hooks."""

    base_url: str
    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    access_key: str = ""
    client_gone: Callable[[], bool] = lambda: False  # the HTTP layer says if the caller hung up
    # Extra response headers (emulator-only, beside AWS's body), e.g. x-labkit-deduplicated.
    reply_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, base_url: str, caller: Caller, **kwargs) -> Context:
        return cls(base_url, caller.account, caller.region, caller.access_key, **kwargs)
