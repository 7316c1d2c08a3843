"""Issue 23, point 8: honest stages for the citizen. "Đã đến trung tâm" (delivered) when the
report arrives, "Công an đã tiếp nhận" (received by the police) only once a dispatcher triaged it,
each change pushed; a new police message announced at the top of the report; a second tab of
the app shows a report made in the first without a reload.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-shots/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .citizen_helpers import TAN_PHU, located_phone, police, report_id_of
from .officer_helpers import dispatch
from .server_checks import doc_json, rows, wait_for
from .sync_client import SyncClient, entry_id, now_ms

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")
DESCRIPTION = "Hai thanh niên giật túi xách trước cổng chợ, chạy về hướng Lũy Bán Bích."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def send(page: Page, category: str = "An ninh trật tự") -> str:
    page.get_by_text(category, exact=True).click()
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill(DESCRIPTION)
    page.get_by_role("button", name="Gửi tin báo").click()
    return report_id_of(page)


def triage(dispatcher: SyncClient, report_id: str) -> None:
    """The command center verifies the report, and does nothing more yet."""
    name = f"incident/{report_id}"
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"),
             what="the incident document")
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "verify", "category": "crime",
                                         "priority": 2, "by": by, "at": now_ms()})
    assert dispatcher.sync(name).status_code == 200


def citizen_pushes(server, report_id: str) -> list[str | None]:
    found = rows(server, "SELECT payload FROM outbox WHERE topic = 'push.citizen' ORDER BY id")
    return [json.loads(r["payload"]).get("status") for r in found if json.loads(r["payload"])["incident"] == report_id]


def test_received_by_the_police_only_after_triage(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = new_context(**located_phone()).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    report_id = send(page)
    badge = page.locator(".status-card .badge")
    expect(badge).to_have_text(re.compile("Đã đến trung tâm"))
    expect(page.locator(".status-card")).to_contain_text("đang chờ cán bộ xem xét")
    wait_for(lambda: doc_json(live_server, f"reply/{report_id}", "reply").get("status") == "delivered",
             what="the reply says delivered")
    assert citizen_pushes(live_server, report_id) == []  # the citizen just sent it: no push
    expect(badge).not_to_have_text(re.compile("tiếp nhận"))

    triage(police(live_server, "dieu.phoi", "dispatcher"), report_id)
    expect(badge).to_have_text(re.compile("Công an đã tiếp nhận"))
    assert doc_json(live_server, f"reply/{report_id}", "reply")["status"] == "received"
    assert wait_for(lambda: citizen_pushes(live_server, report_id), what="a push") == ["received"]
    page.get_by_role("button", name="English").click()
    expect(badge).to_have_text(re.compile("Received by the police"))
    assert errors == []


def test_a_new_police_message_is_announced_at_the_top_of_the_report(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = new_context(viewport={"width": 360, "height": 640}, geolocation=located_phone()["geolocation"],
                       permissions=["geolocation"]).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    report_id = send(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    notice = page.locator(".notice--message")
    expect(notice).to_have_count(0)

    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id, unit=f"ward-{TAN_PHU}")
    name = f"incident/{report_id}"
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "message", "at": now_ms(),
                                         "text": "Tổ công tác đang đến, bạn hãy ở nơi an toàn.",
                                         "by": str(dispatcher.user["id"])})  # type: ignore[attr-defined]
    assert dispatcher.sync(name).status_code == 200

    expect(notice).to_contain_text("Công an vừa nhắn cho bạn (1 tin mới).")
    # At the top, in the first screenful; the message itself is further down.
    box = notice.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    message = page.locator(".message--police")
    assert (message.bounding_box() or {"y": 0})["y"] > 640
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "citizen-message-notice-vi.png")
    page.get_by_role("button", name="English").click()
    expect(notice).to_contain_text("The police have written to you (1 new).")
    page.screenshot(path=SHOTS / "citizen-message-notice-en.png")
    page.get_by_role("button", name="Tiếng Việt").click()

    notice.get_by_role("button", name="Xem tin nhắn").click()
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    expect(notice).to_have_count(0)
    page.reload()
    expect(message).to_contain_text("Tổ công tác đang đến")
    expect(notice).to_have_count(0)  # read once, not announced again
    assert errors == []


def test_a_second_tab_shows_the_report_made_in_the_first(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    context = new_context(**located_phone())
    first = context.new_page()
    second = context.new_page()
    errors_first, errors_second = watch_console(first), watch_console(second)
    second.goto(live_server.url + "/#/reports")
    expect(second.get_by_text("Bạn chưa gửi tin báo nào từ điện thoại này.")).to_be_visible()
    first.goto(live_server.url + "/")
    report_id = send(first)
    expect(first.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    # No reload, no focus change: the other tab hears of it.
    item = second.locator(f'[data-report="{report_id}"]')
    expect(item).to_be_visible()
    expect(item).to_contain_text("Đã đến trung tâm")
    assert errors_first == [] and errors_second == []
