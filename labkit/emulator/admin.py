"""The lab's own routes (`/_labkit/...`; AWS has none), in one place: their table and answers.

They let a lesson move the emulator's clock (delays, visibility timeouts and deduplication
windows expire as if time had passed), empty it, seed its random choices or make a queue
hand out duplicates. `ROUTES` (paths, methods, payload names) is the one spelling of them:
the HTTP server routes by it and the stack's client (`labkit.stack.emulator_admin`) builds
its requests from it. Standard library only, cheap to import.

    GET  /_labkit/health                      {"status": "ok"}
    POST /_labkit/clock   {advance, account?} {"now", "offset"}
    POST /_labkit/reset   {account?, region?, queue?}
    GET|POST /_labkit/config {duplicate_rate?, seed?, queue?, account?, region?}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.emulator.accounts import Caller, is_account_id
from labkit.emulator.auth import is_admin, scoped
from labkit.emulator.sqs.errors import SQSError
from labkit.web_guard import MAX_JSON_DEPTH, json_depth

if TYPE_CHECKING:
    from labkit.emulator.sns.service import SNSService
    from labkit.emulator.sqs.backend import SQSBackend

PREFIX = "/_labkit/"
MAX_CLOCK_ADVANCE = 365 * 24 * 3600.0  # one call moves the clock a year at most

# Payload and answer names, spelled once.
ADVANCE, ACCOUNT, REGION, QUEUE = "advance", "account", "region", "queue"
SEED, DUPLICATE_RATE = "seed", "duplicate_rate"
NOW, MESSAGES = "now", "messages"


@dataclass(frozen=True)
class Route:
    """One admin route: its name (the path's last part), methods and payload names."""

    name: str
    methods: tuple[str, ...]
    payload: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return PREFIX + self.name


HEALTH = Route("health", ("GET",))
CLOCK = Route("clock", ("POST",), (ADVANCE, ACCOUNT))
RESET = Route("reset", ("POST",), (ACCOUNT, REGION, QUEUE))
CONFIG = Route("config", ("GET", "POST"), (DUPLICATE_RATE, SEED, QUEUE, ACCOUNT, REGION))
ROUTES: dict[str, Route] = {route.path: route for route in (HEALTH, CLOCK, RESET, CONFIG)}

Answer = tuple[int, dict[str, Any]]  # (HTTP status, JSON body)


def is_admin_path(path: str) -> bool:
    return path.startswith(PREFIX)


class Admin:
    """Answers the admin routes for one emulator's SQS backend and SNS service."""

    def __init__(self, sqs: SQSBackend, sns: SNSService) -> None:
        self.sqs = sqs
        self.sns = sns

    def get(
        self, path: str, caller: Caller | None = None, secret: str | None = None
    ) -> Answer | None:
        """The answer to ``GET path`` (its query ignored); None when no route answers a GET.
        With a ``secret`` (signatures checked) a caller without the admin key sees its own
        account's settings only, no other account's id."""
        route = ROUTES.get(path.split("?")[0])
        if route is None or "GET" not in route.methods:
            return None
        if route is HEALTH:
            return 200, {"status": "ok"}
        if is_admin(caller, secret):
            return 200, self.sqs.configure()
        assert caller is not None
        return 200, self.sqs.configure(account=caller.account)

    def post(
        self, path: str, body: bytes, caller: Caller | None = None, secret: str | None = None
    ) -> Answer:
        """The answer to ``POST path`` with a JSON object ``body``: 400 with ``{"error"}`` for
        a bad payload, 404 for no such route, 403 for another account's (or everyone's) when
        the caller holds no admin key (`labkit.emulator.auth.scoped`)."""
        try:
            if json_depth(body) > MAX_JSON_DEPTH:
                raise ValueError
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise ValueError
        except (ValueError, RecursionError):
            return 400, {"error": "the body must be a JSON object"}
        route = ROUTES.get(path)
        handler = _POST.get(route) if route is not None else None
        if handler is None:
            return 404, {"error": f"no admin route {path}"}
        try:
            params = scoped(params, caller, secret)
        except PermissionError as exc:
            return 403, {"error": f"AccessDenied: {exc}"}
        try:
            return 200, handler(self, params)
        except (ValueError, SQSError) as exc:
            return 400, {"error": str(exc)}

    def clock(self, params: dict) -> dict:
        """Move the clock: everyone's, or one ``account``'s alone."""
        advance = params.get(ADVANCE, 0)
        if (
            isinstance(advance, bool)
            or not isinstance(advance, int | float)
            or not math.isfinite(advance)
            or not 0 <= advance <= MAX_CLOCK_ADVANCE
        ):
            raise ValueError(
                f"advance must be a finite number of seconds from 0 to "
                f"{MAX_CLOCK_ADVANCE:.0f} (a year)"
            )
        _, account, _ = _scope(params)
        if account is None:
            now = self.sqs.clock.advance(float(advance))
            return {NOW: now, "offset": self.sqs.clock.offset}
        return self.sqs.advance_account(account, float(advance))

    def reset(self, params: dict) -> dict:
        """``{}``: forget every queue and topic. ``{"account": ...}`` (optionally ``region``,
        ``queue``): empty that account's queues and forget their FIFO deduplication, keeping
        the queues (and everyone's topics); answers ``{"status": "emptied", "account",
        "queues": [names], "messages": n}``."""
        queue, account, region = _scope(params)
        if account is None:
            if queue is not None or region is not None:
                raise ValueError("name the account whose queues to empty")
            self.sqs.reset()  # also forgets every account's clock moves
            self.sqs.clock.rewind()  # a reset emulator runs on real time again
            result = {"status": "reset", "offset": self.sqs.clock.offset}
        else:
            result = {"status": "emptied", **self.sqs.empty_account(account, region, queue)}
        if ACCOUNT not in params:  # one account's reset keeps everyone's topics
            self.sns.reset()
        return result

    def config(self, params: dict) -> dict:
        """Seed and/or duplicate rate (see `SQSBackend.configure`); the settings."""
        rate, seed = params.get(DUPLICATE_RATE), params.get(SEED)
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
            raise ValueError("duplicate_rate must be a number from 0 to 1")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        queue, account, region = _scope(params)
        return self.sqs.configure(
            duplicate_rate=rate, seed=seed, queue=queue, account=account, region=region
        )


_POST = {CLOCK: Admin.clock, RESET: Admin.reset, CONFIG: Admin.config}


def _scope(params: dict) -> tuple[str | None, str | None, str | None]:
    """The optional ``queue`` (name or URL), ``account`` and ``region`` of an admin request."""
    queue, account, region = params.get(QUEUE), params.get(ACCOUNT), params.get(REGION)
    if queue is not None and not isinstance(queue, str):
        raise ValueError("queue must be a queue name or URL")
    if account is not None and not is_account_id(account):
        raise ValueError("account must be a 12-digit account id")
    if region is not None and not isinstance(region, str):
        raise ValueError("region must be a region name such as us-east-1")
    return queue, account, region
