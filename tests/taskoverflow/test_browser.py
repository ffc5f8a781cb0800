"""The web page in headless Chromium (Playwright): list, create, complete, delete, export."""

from __future__ import annotations

import os

import icalendar
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_TITLE = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_todos_in_the_page(page, live, tmp_path):
    live.create_todo("Made through the API")
    page.goto(live.ui_url)
    rows = page.locator("#todos tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1

    page.fill("#title", HOSTILE_TITLE)
    page.fill("#description", "Café ✓")
    page.fill("#deadline", "2025-04-09T14:00:00")
    page.click("#add")
    page.wait_for_function("document.querySelectorAll('#todos tbody tr').length === 2")

    title_cell = rows.nth(1).locator("td.title")
    assert title_cell.text_content() == HOSTILE_TITLE  # shown as text...
    assert title_cell.locator("script, img").count() == 0  # ...never parsed as HTML
    assert page.evaluate("window.pwned") is None  # and it did not run
    created = live.list_todos()[1]
    assert created["title"] == HOSTILE_TITLE
    assert created["deadline_at"] == "2025-04-09T14:00:00"

    rows.nth(1).locator("input.complete").check()
    page.wait_for_selector("#todos tbody tr.done")
    assert live.get_todo(created["id"])["completed"] is True

    with page.expect_download() as download_info:
        page.click("#export")
    path = tmp_path / "taskoverflow.ics"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename == "taskoverflow.ics"
    cal = icalendar.Calendar.from_ical(path.read_text(encoding="utf-8"))
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert summaries == [HOSTILE_TITLE]  # only the todo with a deadline
    assert page.text_content("#job-status") == "SUCCESS"

    rows.first.locator("button.delete").click()
    page.wait_for_function("document.querySelectorAll('#todos tbody tr').length === 1")
    assert [t["id"] for t in live.list_todos()] == [created["id"]]
    assert page.evaluate("window.pwned") is None


def test_errors_show_as_text(page, live):
    page.goto(live.ui_url)
    page.wait_for_selector("#empty:not([hidden])")
    # The browser's maxlength stops typing past 80; remove it to see the API's answer.
    page.evaluate("document.getElementById('title').removeAttribute('maxlength')")
    page.fill("#title", "x" * 81)
    page.click("#add")
    page.wait_for_selector("#message.error")
    assert "at most 80 characters" in page.text_content("#message")
    assert live.list_todos() == []
