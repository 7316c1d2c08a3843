"""Issue 23: the citizen app's send button comes before Yjs and the offline queue, which arrive by
`import()` after the first render (pwa/src/citizen/later.js). A tap on send before they are here
must still send the report, exactly once.

Needs a build: `make pwa`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from app.settings import Settings

from .citizen_helpers import PHONE, report_id_of, stored_updates
from .server_checks import rows

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def first_screen_assets(url: str) -> set[str]:
    """What "/" names itself: its entry script, the chunks it preloads and its stylesheet."""
    return set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', httpx.get(url + "/").text))


def test_a_send_tapped_before_yjs_arrives_is_sent_once_it_does(
    live_server, new_context: NewContext, watch_console: Callable[[Page], list[str]]
) -> None:
    first = first_screen_assets(live_server.url)
    held: list[Route] = []
    released = False

    def hold_deferred(route: Route) -> None:
        path = "/" + route.request.url.split("/", 3)[3]
        if path in first or released:
            route.continue_()
        else:
            held.append(route)  # Yjs, the queue, my reports' screens: kept back until released

    # No service worker: its install would fetch the same chunks behind the page's back.
    page = new_context(viewport=PHONE, service_workers="block").new_page()
    errors = watch_console(page)
    page.route("**/assets/*.js", hold_deferred)
    page.goto(live_server.url + "/")
    send = page.locator("button.button--send")
    expect(send).to_be_enabled()
    page.get_by_text("Cháy nổ", exact=True).click()
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill("Cháy tầng 2, khói nhiều.")
    send.click()
    expect(send).to_have_text("Đang lưu tin báo…")
    expect(send).to_be_disabled()
    assert held, "nothing was loaded after the first screen: Yjs came with it"
    assert rows(live_server, "SELECT id FROM reports") == []
    # What was typed is kept on the phone while the send waits.
    assert page.evaluate("() => JSON.parse(localStorage.getItem('sos.draft')).category") == "fire"

    released = True
    for route in held:
        route.continue_()
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    assert [r["id"] for r in rows(live_server, "SELECT id FROM reports")] == [report_id]
    assert stored_updates(live_server, f"report/{report_id}") == 1
    assert page.evaluate("() => localStorage.getItem('sos.draft')") is None
    page.reload()  # nothing is sent again
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    assert len(rows(live_server, "SELECT id FROM reports")) == 1
    assert stored_updates(live_server, f"report/{report_id}") == 1
    assert errors == []


def test_a_send_whose_code_could_not_load_keeps_the_report_and_sends_on_the_next_tap(
    live_server, new_context: NewContext
) -> None:
    first = first_screen_assets(live_server.url)
    blocked = True

    def drop_deferred(route: Route) -> None:
        path = "/" + route.request.url.split("/", 3)[3]
        if path in first or not blocked:
            route.continue_()
        else:
            route.abort("internetdisconnected")  # the link dropped after the first screen

    page = new_context(viewport=PHONE, service_workers="block").new_page()
    page.route("**/assets/*.js", drop_deferred)
    page.goto(live_server.url + "/")
    page.get_by_text("Tai nạn giao thông", exact=True).click()
    send = page.locator("button.button--send")
    send.click()
    expect(page.get_by_role("alert")).to_contain_text("ứng dụng chưa tải xong")
    expect(page.get_by_role("alert")).to_contain_text("113")
    expect(send).to_be_enabled()
    assert page.evaluate("() => JSON.parse(localStorage.getItem('sos.draft')).category") == "traffic"
    assert rows(live_server, "SELECT id FROM reports") == []

    blocked = False
    send.click()  # the module is asked for again, not the failure remembered
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    assert [r["id"] for r in rows(live_server, "SELECT id FROM reports")] == [report_id]
    assert stored_updates(live_server, f"report/{report_id}") == 1
