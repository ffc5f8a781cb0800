"""A small requests-based client for the TaskOverflow API (notebooks, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from labkit.waiting import wait_until

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


class TaskOverflowError(RuntimeError):
    """The API answered an error; ``status_code`` and ``body`` hold what it said."""

    def __init__(self, status_code: int, message: str, body: Any = None) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.body = body


class TaskOverflowUnavailable(TaskOverflowError):
    """Nothing answers at the API's address."""


class CalendarJobFailed(TaskOverflowError):
    """The calendar job ended in FAILURE; ``message`` is the worker's reason."""


class TaskOverflowClient:
    """Todos and calendar jobs over HTTP; errors raise `TaskOverflowError` with the API's message."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_url = f"{self.base_url}/api/v1"
        self.timeout = timeout
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"TaskOverflowClient({self.base_url!r})"

    @property
    def ui_url(self) -> str:
        """The web page students open in a browser."""
        return f"{self.base_url}/"

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise TaskOverflowUnavailable(
                0,
                f"the TaskOverflow API at {self.base_url} does not answer: start it with "
                "`labkit up` (or `labkit api`)",
            ) from None
        except requests.Timeout:
            raise TaskOverflowUnavailable(
                0,
                f"the TaskOverflow API at {self.base_url} took longer than {self.timeout:g} s to "
                "answer: check `labkit status`, or pass a longer timeout to TaskOverflowClient",
            ) from None
        if response.status_code >= 400:
            try:
                body = response.json()
                message = body.get("error", response.text) if isinstance(body, dict) else body
            except ValueError:
                body, message = response.text, response.text
            raise TaskOverflowError(response.status_code, str(message), body)
        return response

    # ---- todos ----
    def health(self) -> dict:
        return self._request("GET", "/health").json()

    def list_todos(self, completed: bool | None = None, window: int | None = None) -> list[dict]:
        params: dict = {}
        if completed is not None:
            params["completed"] = "true" if completed else "false"
        if window is not None:
            params["window"] = str(window)
        return self._request("GET", "/todos", params=params).json()

    def get_todo(self, todo_id: int) -> dict:
        return self._request("GET", f"/todos/{todo_id}").json()

    def create_todo(
        self,
        title: str,
        description: str | None = None,
        completed: bool = False,
        deadline_at: str | None = None,
    ) -> dict:
        body = {"title": title, "description": description, "completed": completed}
        if deadline_at is not None:
            body["deadline_at"] = deadline_at
        return self._request("POST", "/todos", json=body).json()

    def update_todo(self, todo_id: int, **fields: Any) -> dict:
        return self._request("PUT", f"/todos/{todo_id}", json=fields).json()

    def delete_todo(self, todo_id: int) -> dict:
        return self._request("DELETE", f"/todos/{todo_id}").json()

    def delete_all_todos(self) -> int:
        """Delete every todo; returns how many there were (a clean slate for a lesson)."""
        todos = self.list_todos()
        for todo in todos:
            self.delete_todo(todo["id"])
        return len(todos)

    # ---- calendar jobs ----
    def start_calendar(self, delay_seconds: float | None = None) -> dict:
        """``POST /todos/ical``: ``{"task_id", "task_url"}``; the delay overrides the worker's."""
        body = None if delay_seconds is None else {"delay_seconds": delay_seconds}
        return self._request("POST", "/todos/ical", json=body).json()

    def calendar_status(self, task_id: str) -> dict:
        return self._request("GET", f"/todos/ical/{task_id}/status").json()

    def calendar_result(self, task_id: str) -> str:
        return self._request("GET", f"/todos/ical/{task_id}/result").text

    def wait_for_calendar(
        self,
        task_id: str,
        timeout: float = 120.0,
        poll_interval: float = 0.1,
        on_status: Callable[[dict], None] | None = None,
    ) -> str:
        """Poll the status until the job ends, then download the calendar.

        ``on_status`` sees every status body (e.g. to move a progress bar). Raises
        CalendarJobFailed with the worker's reason, TimeoutError after ``timeout`` seconds.
        """
        last: dict = {}

        def ended() -> bool:
            last.update(self.calendar_status(task_id))
            if on_status is not None:
                on_status(dict(last))
            if last["task_status"] != "SUCCESS" and last["task_status"] in FINISHED:
                raise CalendarJobFailed(409, last.get("error") or last["task_status"], dict(last))
            return last["task_status"] == "SUCCESS"

        try:
            wait_until(ended, timeout, f"calendar job {task_id}", poll_interval)
        except TimeoutError:
            raise TimeoutError(
                f"calendar job {task_id} still {last.get('task_status')} after {timeout:g} s: "
                "is a worker running (`labkit status`)?"
            ) from None
        return self.calendar_result(task_id)

    def export_calendar(
        self,
        delay_seconds: float | None = None,
        timeout: float = 120.0,
        poll_interval: float = 0.1,
        on_status: Callable[[dict], None] | None = None,
    ) -> str:
        """Start a calendar job, wait for it and return the iCalendar text."""
        job = self.start_calendar(delay_seconds)
        return self.wait_for_calendar(job["task_id"], timeout, poll_interval, on_status)
