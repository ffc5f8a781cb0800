"""Queue URLs: ``{base_url}/{account}/{name}``, the account the URL's own (12 digits) or the
caller's when a client sends a bare name or an old-style URL without one."""

from __future__ import annotations

from labkit.emulator.accounts import is_account_id


def queue_location(url: str, account: str) -> tuple[str, str]:
    """(account, name) a QueueUrl points at; a bare name means ``account``, the caller's own."""
    path = url.split("://", 1)[1] if "://" in url else url
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    if "://" in url:
        parts = parts[1:]  # the host
    name = parts[-1] if parts else ""
    owner = parts[-2] if len(parts) >= 2 and is_account_id(parts[-2]) else account
    return owner, name


def queue_url(base_url: str, account: str, name: str) -> str:
    """The URL a client uses for queue ``name`` of ``account`` at ``base_url``."""
    return f"{base_url}/{account}/{name}"
