"""The calendar function: valid RFC 5545, deterministic, tolerant of todos without deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from labkit.taskoverflow.calendar import PRODID, CalendarInputError, build_calendar, event_uid

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
