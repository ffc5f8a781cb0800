"""The calendar function: valid RFC 5545, deterministic, tolerant of todos without deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from labkit.taskoverflow.calendar import (
    PRODID,
    CalendarInputError,
    build_calendar,
    calendar_events,
    event_uid,
)
from labkit.taskoverflow.samples import sample_todos

STAMP = datetime(2025, 4, 1, 9, 30)
TODOS = [
    {
        "id": 1,
        "title": "Project Proposal",
        "description": "CSSE6400 Project Proposal Due",
        "deadline_at": "2023-04-03T14:00:00",
    },
    {"id": 2, "title": "No deadline", "description": "skipped", "deadline_at": None},
    {
        "id": 3,
        "title": "Überprüfung 検討 ✓",
        "description": None,
        "deadline_at": "2025-04-09 14:00:00.000",
    },
    {"id": 4, "title": "Fraction", "deadline_at": "2025-04-09T14:00:00.123456"},
    {
        "id": 5,
        "title": "Empty description",
        "description": "",
        "deadline_at": "2025-05-01T08:00:00",
    },
]


def events(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_calendar_header():
    cal = icalendar.Calendar.from_ical(build_calendar(TODOS, STAMP))
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["VERSION"]) == "2.0"


def test_one_event_per_todo_with_a_deadline():
    found = events(build_calendar(TODOS, STAMP))
    assert [str(e["UID"]) for e in found] == [event_uid(i) for i in (1, 3, 4, 5)]
    for event in found:
        for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert prop in event, prop
        assert event.decoded("DTSTAMP") == STAMP.replace(tzinfo=UTC)


def test_fields():
    by_uid = {str(e["UID"]): e for e in events(build_calendar(TODOS, STAMP))}
    first = by_uid[event_uid(1)]
    assert str(first["SUMMARY"]) == "Project Proposal"
    assert str(first["DESCRIPTION"]) == "CSSE6400 Project Proposal Due"
    assert first.decoded("DTSTART") == datetime(2023, 4, 3, 14, 0)
    unicode_event = by_uid[event_uid(3)]
    assert str(unicode_event["SUMMARY"]) == "Überprüfung 検討 ✓"
    assert "DESCRIPTION" not in unicode_event  # never "DESCRIPTION:None"
    assert "DESCRIPTION" not in by_uid[event_uid(5)]
    assert by_uid[event_uid(4)].decoded("DTSTART").replace(microsecond=0) == datetime(
        2025, 4, 9, 14, 0
    )


def test_no_none_text_and_deterministic():
    text = build_calendar(TODOS, STAMP)
    assert "None" not in text
    assert text == build_calendar(TODOS, STAMP)


def test_empty_and_deadline_free_lists_are_valid():
    for todos in ([], [{"id": 1, "title": "t"}]):
        text = build_calendar(todos, STAMP)
        assert events(text) == []
        assert text.startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    "todos",
    [
        [{"id": 1, "title": "t", "deadline_at": "not a date"}],
        [{"title": "t", "deadline_at": "2025-01-01T00:00:00"}],
        [{"id": 1, "title": "", "deadline_at": "2025-01-01T00:00:00"}],
        ["not a todo"],
    ],
)
def test_malformed_todos_raise(todos):
    with pytest.raises(CalendarInputError):
        build_calendar(todos, STAMP)


def test_events_read_back():
    rows = calendar_events(build_calendar(TODOS, STAMP))
    assert [r["uid"] for r in rows] == [event_uid(i) for i in (1, 3, 4, 5)]
    assert rows[1]["description"] is None and rows[0]["description"].startswith("CSSE6400")


def test_sample_todos_are_repeatable_and_valid():
    first, again = sample_todos(15, seed=1), sample_todos(15, seed=1)
    assert first == again and first != sample_todos(15, seed=2)
    assert sum("deadline_at" not in t for t in first) == 5  # every third has none
    assert len({t["title"] for t in first}) == 15
    numbered = [{"id": i, **t} for i, t in enumerate(first, 1)]
    assert len(calendar_events(build_calendar(numbered, STAMP))) == 10


def test_control_characters_never_reach_the_ics_text():
    """VT, ESC (a terminal escape in a calendar app's log), DEL and C1 controls are dropped;
    a line break stays a line break, escaped as RFC 5545 says."""
    nasty = "a\x0bb\x1b[31mred\x7fc\x85d\x00e"
    text = build_calendar(
        [{"id": 9, "title": nasty, "description": "x\r\ny\x1b", "deadline_at": "2025-01-01"}],
        stamp=STAMP,
    )
    for control in ("\x0b", "\x1b", "\x7f", "\x85", "\x00"):
        assert control not in text
    (event,) = calendar_events(text)
    assert event["summary"] == "ab[31mredcde"
    assert event["description"] == "x\ny"
