"""The SQS emulator's admin routes (`/_labkit/...`) from Python, in one client.

AWS has no such routes: they let a lesson move the emulator's clock (dedup windows, visibility
timeouts and delays expire as if time had passed), empty it, seed its random choices or make a
queue hand out duplicates. Notebook helpers, tests and the CLI all call them through
`EmulatorAdmin`, so a route's payload and its errors are written once:

    admin = lab.admin                     # or EmulatorAdmin.of(sqs), EmulatorAdmin(url)
    admin.advance_clock(301)
    admin.configure(duplicate_rate=0.1, queue="csse6400_lesson03")
    admin.seed(6400)
    admin.empty_queue(queue_url)          # its messages and FIFO dedup; the queue stays
    admin.reset()                         # in the admin's account: empty all its queues

An admin with an ``account`` (what `lab.admin` and `EmulatorAdmin.of(sqs)` give: the account
the notebook's client acts in) touches only that account: its clock, seed and queues, so one
notebook leaves every other notebook on the same emulator alone. Without one, a call acts on
the whole emulator (reset then forgets every queue), as a tutor's terminal would.

Routes, methods and payload names come from the emulator's own table (`labkit.emulator.admin`),
so nothing here spells them a second time.

Every call is SigV4-signed like boto3's requests: with the account's own key, or, for an
emulator-wide call, with the admin key (`labkit.emulator.sigv4.ADMIN_KEY`), whose secret is
derived from the stack's secret in stack.json and is in no kernel's environment.
"""

from __future__ import annotations

import json
from typing import Any

from labkit.emulator.admin import (
    ACCOUNT,
    ADVANCE,
    CLOCK,
    CONFIG,
    DUPLICATE_RATE,
    HEALTH,
    MESSAGES,
    NOW,
    QUEUE,
    RESET,
    SEED,
    Route,
)
from labkit.stack.errors import StackError
from labkit.stack.health import http_ok


class AdminError(StackError):
    """An admin call failed; the message says what to do next (one line)."""


def is_aws_endpoint(endpoint: str) -> bool:
    return "amazonaws.com" in (endpoint or "")


class EmulatorAdmin:
    """The admin routes of the emulator at ``endpoint`` (its base URL, as boto3's endpoint_url).

    ``account`` (12 digits), when given, is sent with each call so that it touches only that
    account's queues (for emulators that scope admin calls per account).
    """

    def __init__(
        self,
        endpoint: str,
        timeout: float = 10.0,
        account: str | None = None,
        secret: str | None = None,
    ) -> None:
        self.endpoint = (endpoint or "").rstrip("/")
        self.timeout = timeout
        self.account = account
        self.secret = secret  # the stack's emulator secret; None: the running stack's

    def _signed_headers(self, url: str, body: bytes) -> dict[str, str]:
        """SigV4 headers for POSTing ``body`` to ``url``: the account's key, or the admin key
        for a call on the whole emulator."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        from labkit.emulator.sigv4 import ADMIN_KEY
        from labkit.stack.clients import DEFAULT_REGION, account_credentials, key_credentials

        if self.account is None:
            keys = key_credentials(ADMIN_KEY, self.secret)
        else:
            keys = account_credentials(self.account, self.secret)
        request = AWSRequest(
            method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
        )
        credentials = Credentials(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(credentials, "sqs", DEFAULT_REGION).add_auth(request)
        return dict(request.headers.items())

    @classmethod
    def of(cls, sqs: Any, timeout: float = 10.0, account: str | None = None) -> EmulatorAdmin:
        """The admin client of the emulator a boto3 SQS client talks to, in the account the
        client acts in (its key id when that is 12 digits, else the class account)."""
        from labkit.stack.clients import client_account

        endpoint = getattr(sqs.meta, "endpoint_url", "") or ""
        return cls(endpoint, timeout, account or client_account(sqs))

    def __repr__(self) -> str:
        return f"EmulatorAdmin({self.endpoint!r})"

    def url(self, route: Route) -> str:
        """The URL of ``route``; AdminError when the endpoint is AWS, which has no admin routes."""
        if is_aws_endpoint(self.endpoint) or not self.endpoint:
            raise AdminError(
                f"{route.name} needs the lab's SQS emulator, and this client talks to AWS "
                f"({self.endpoint or 'no endpoint'}); run the notebook with MODE = 'embedded'"
            )
        return self.endpoint + route.path

    def answers(self, timeout: float = 2.0) -> bool:
        """True when an emulator answers at the endpoint (False for AWS or nothing there);
        the same probe as the stack's health check."""
        try:
            self.url(HEALTH)
        except AdminError:
            return False
        return http_ok(self.endpoint, HEALTH.path, timeout)

    def call(self, route: Route, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST ``payload`` to ``route``; the JSON answer, or AdminError saying what went wrong."""
        import requests

        url = self.url(route)
        body = dict(payload or {})
        if self.account is not None:
            body.setdefault(ACCOUNT, self.account)
        data = json.dumps(body).encode()
        try:
            headers = self._signed_headers(url, data)
            reply = requests.post(url, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            raise AdminError(
                f"the SQS emulator at {self.endpoint} does not answer: start the lab stack "
                "(`labkit up`, or labkit.up() in a notebook)"
            ) from None
        if reply.status_code != 200:
            raise AdminError(f"the emulator refused {route.name}: {reply.text.strip()}")
        return reply.json()

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward by ``seconds``; returns its new time."""
        return float(self.call(CLOCK, {ADVANCE: seconds})[NOW])

    def reset(self) -> dict[str, Any]:
        """With an account: empty its queues (messages, FIFO dedup; the queues stay). Without:
        forget every queue and message of the emulator (a fresh emulator, same port)."""
        return self.call(RESET)

    def empty_queue(self, queue_url: str) -> int:
        """Empty one queue (visible, in flight, delayed; FIFO dedup forgotten), in the account
        its URL names (`http://HOST/<account>/<name>`); returns how many messages went."""
        from labkit.stack.clients import CLASS_ACCOUNT, is_account

        parts = queue_url.rstrip("/").rsplit("/", 2)
        account = parts[-2] if len(parts) == 3 and is_account(parts[-2]) else None
        scope = {QUEUE: parts[-1], ACCOUNT: account or self.account or CLASS_ACCOUNT}
        return int(self.call(RESET, scope).get(MESSAGES, 0))

    def configure(
        self,
        *,
        seed: int | None = None,
        duplicate_rate: float | None = None,
        queue: str | None = None,
    ) -> dict[str, Any]:
        """Seed the random choices and/or set the share of deliveries that leave a duplicate
        (of every queue, or of ``queue`` by name); returns the emulator's settings."""
        payload: dict[str, Any] = {}
        if seed is not None:
            payload[SEED] = int(seed)
        if duplicate_rate is not None:
            payload[DUPLICATE_RATE] = duplicate_rate
        if queue is not None:
            payload[QUEUE] = queue
        return self.call(CONFIG, payload)

    def seed(self, seed: int) -> None:
        """Seed the emulator's random choices (the order a standard queue hands messages out)."""
        self.configure(seed=seed)

    def settings(self) -> dict[str, Any]:
        """The emulator's current settings (seed, duplicate rates), as its account sees them."""
        return self.call(CONFIG)
