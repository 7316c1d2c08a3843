"""The console's finish (issue 15): what a dispatcher trips over in a real walkthrough. A real
Chromium against the real server, citizens and officers as Python sync clients (`make pwa` first).

- closing without an outcome is said next to the field, in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .center_helpers import (
    NO_TILES,
    TAN_PHU,
    open_console,
    report,
    tan_phu,
    write,
)
from .server_checks import rows

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
WARD = f"ward-{TAN_PHU}"

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def open_incident(page: Page, incident_id: str):
    """Open an incident by its address (as a push notification does), loaded and ready."""
    page.evaluate("id => { location.hash = '#/incident/' + id; }", incident_id)
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    return detail


def append(client, incident_id: str, log: str, **entry) -> None:
    answer = write(client, incident_id, log, **entry)
    assert answer.status_code == 200, answer.text


# --- closing without an outcome ---------------------------------------------------------------


def test_closing_without_an_outcome_is_said_next_to_the_field_in_the_pages_language(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    _, incident_id = report(live_server, "fire", "Cháy quán ăn.", where=tan_phu())
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    detail = open_incident(page, incident_id)
    page.keyboard.press("c")
    close = page.locator('[data-form="close"]')
    close.get_by_role("button", name="Đóng vụ việc").click()

    outcome = close.get_by_role("group", name="Kết quả")
    expect(outcome.get_by_role("alert")).to_have_text("Chọn kết quả xử lý trước khi đóng vụ việc.")
    expect(outcome).to_have_attribute("aria-invalid", "true")
    expect(outcome.locator("input").first).to_be_focused()
    # The form checks itself: no browser bubble (that speaks the browser's language, not the page's).
    assert close.evaluate("form => form.noValidate && form.checkValidity()")
    expect(close.locator("[required]")).to_have_count(0)
    # Nothing was sent.
    expect(detail).to_have_attribute("data-status", "new")
    sql = "SELECT status, outcome FROM incidents WHERE id = ?"
    assert rows(live_server, sql, incident_id)[0] == {"status": "new", "outcome": None}

    page.get_by_role("button", name="English").click()
    outcome = close.get_by_role("group", name="Outcome")
    expect(outcome.get_by_role("alert")).to_have_text(
        "Choose an outcome before closing the incident."
    )
    close.locator("label.choice", has_text="False alarm").click()
    expect(close.get_by_role("alert")).to_have_count(0)  # chosen: the message goes
    close.get_by_role("button", name="Close incident").click()
    expect(detail).to_have_attribute("data-status", "closed")
    assert rows(live_server, sql, incident_id)[0] == {"status": "closed", "outcome": "false_alarm"}
    assert errors == []
