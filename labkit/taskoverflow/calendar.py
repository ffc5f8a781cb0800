"""Todos to iCalendar text: a pure function, so the worker, tests and benchmarks share it.

Fixes relative to the course code: todos without a deadline are skipped (they failed the whole
job), fractional seconds parse, a missing description is left out (not ``DESCRIPTION:None``) and
every VEVENT has the UID and DTSTAMP RFC 5545 requires. Output is deterministic: the stamp is
passed in (icalendar 7's ``Event.new()`` would add a random UID and the current time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from labkit.taskoverflow.dates import parse_datetime

PRODID = "-//Taskoverflow Calendar//mxm.dk//"
UID_DOMAIN = "taskoverflow"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# RFC 5545 TEXT allows no control character but HTAB (line breaks travel escaped as `\n`):
# VT, ESC (terminal escape sequences in a calendar app's log), DEL and C1 are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` fit for an iCalendar TEXT value: CRLF/CR become LF, other controls go."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class CalendarInputError(ValueError):
    """A todo the calendar cannot describe (no id or title, or a deadline that is not a date)."""


def event_uid(todo_id: object) -> str:
    """A UID that stays the same for the same todo, so calendar clients update, not duplicate."""
    return f"todo-{todo_id}@{UID_DOMAIN}"


def _as_utc(stamp: datetime) -> datetime:
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _deadline(todo: Mapping, index: int) -> datetime | None:
    raw = todo.get("deadline_at")
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        raise CalendarInputError(f"todo {todo.get('id', index)}: deadline_at {exc}") from None


def build_calendar(todos: Iterable[Mapping], stamp: datetime | None = None) -> str:
    """RFC 5545 text with one VEVENT per todo that has a deadline.

    ``todos`` are the API's todo dicts (``id``, ``title``, optional ``description`` and
    ``deadline_at``). ``stamp`` is the DTSTAMP of every event (when the calendar was asked
    for); naive values are taken as UTC. Raises CalendarInputError for a malformed todo.
    """
    import icalendar  # on first use: the worker's main process and the API never need it

    dtstamp = _as_utc(stamp) if stamp is not None else EPOCH
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    for index, todo in enumerate(todos):
        if not isinstance(todo, Mapping):
            raise CalendarInputError(f"item {index} is not a todo object")
        deadline = _deadline(todo, index)
        if deadline is None:
            continue
        if todo.get("id") is None:
            raise CalendarInputError(f"item {index} has no id")
        title = todo.get("title")
        if isinstance(title, str):
            title = clean_text(title)
        if not isinstance(title, str) or not title:
            raise CalendarInputError(f"todo {todo['id']} has no title")
        event = icalendar.Event()
        event.add("uid", event_uid(todo["id"]))
        event.add("dtstamp", dtstamp)
        event.add("dtstart", deadline)
        event.add("summary", title)
        description = todo.get("description")
        if description:
            event.add("description", clean_text(str(description)))
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def calendar_events(text: str) -> list[dict]:
    """The VEVENTs of iCalendar ``text`` as plain dicts (uid, summary, description, start, stamp).

    The reverse of `build_calendar`, for checks and tables: missing properties are None.
    """
    import icalendar  # on first use: the worker's main process and the API never need it

    calendar = icalendar.Calendar.from_ical(text)
    rows = []
    for event in calendar.walk("VEVENT"):
        rows.append(
            {
                "uid": str(event["UID"]) if "UID" in event else None,
                "summary": str(event["SUMMARY"]) if "SUMMARY" in event else None,
                "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
                "start": event.decoded("DTSTART") if "DTSTART" in event else None,
                "stamp": event.decoded("DTSTAMP") if "DTSTAMP" in event else None,
            }
        )
    return rows
