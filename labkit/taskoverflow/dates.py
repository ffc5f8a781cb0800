"""Parsing the date forms clients send: ISO 8601 and the course UI's "YYYY-MM-DD HH:MM:SS.fff".

The course code used one strptime pattern and answered 500 to anything else; here every accepted
form becomes a naive UTC-free datetime (the API's datetimes carry no zone) and anything else is a
`ValueError` the API turns into a 400 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_datetime(value: str) -> datetime:
    """A naive datetime from ISO 8601 (``T`` or space, optional fraction and offset).

    A value with an offset (``Z``, ``+10:00``) is converted to UTC and stored without a zone.
    """
    if not isinstance(value, str):
        raise ValueError("expected a string")
    text = value.strip()
    if not text or len(text) > 64:
        raise ValueError("expected an ISO 8601 date-time")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date-time; use ISO 8601 like 2025-04-09T14:00:00"
        ) from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(f"{value!r} is out of range") from None
    return parsed


def format_datetime(value: datetime | None) -> str | None:
    """ISO 8601 without zone, as the course API prints (``2023-02-27T00:00:00``)."""
    return value.isoformat() if value is not None else None


def utcnow() -> datetime:
    """The current UTC time, naive, as the API stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
