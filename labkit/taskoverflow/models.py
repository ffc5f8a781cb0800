"""The database tables: todos, and the calendar jobs the API issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labkit.taskoverflow.dates import format_datetime, utcnow
from labkit.taskoverflow.db import db

TITLE_MAX = 80
DESCRIPTION_MAX = 120


class Todo(db.Model):
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX), nullable=True)
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "completed": self.completed,
            "deadline_at": format_datetime(self.deadline_at),
            "created_at": format_datetime(self.created_at),
            "updated_at": format_datetime(self.updated_at),
        }


class CalendarJob(db.Model):
    """A calendar job this API published.

    Celery reports PENDING for any id it never saw; keeping the ids we issued lets the API answer
    404 for the others instead of "pending" forever.
    """

    __tablename__ = "calendar_jobs"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    todo_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
