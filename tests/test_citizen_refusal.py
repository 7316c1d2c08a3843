"""Issue 23, point 7: a report the server refuses for good is explained in the citizen's language
from the refusal's stable code, and can be fixed ("Sửa": back to the report screen with
everything kept) and sent again, or discarded after a confirmation: never a retry that cannot
succeed.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-shots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .citizen_helpers import located_phone, report_id_of
from .server_checks import doc_json, rows, wait_for

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")
WHAT = "Cây đổ chắn ngang đường Lũy Bán Bích, xe máy không qua được. "


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def write_report(page: Page, category: str, description: str) -> str:
    page.get_by_text(category, exact=True).click()
    # Set as a script would: the textarea's maxlength stops typing and pasting only, and an old
    # app version or another client may send more: the server is the judge.
    page.get_by_label("Mô tả sự việc và nơi xảy ra").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", description
    )
    page.get_by_role("button", name="Gửi tin báo").click()
    return report_id_of(page)


def test_a_refused_report_is_explained_in_vietnamese_then_edited_and_resent(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    from PIL import Image

    photo = tmp_path / "cay-do.jpg"
    Image.new("RGB", (64, 48), (90, 120, 60)).save(photo, "JPEG")
    page = new_context(**located_phone()).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    page.locator("input[type=file][multiple]").set_input_files(photo)
    expect(page.locator(".media-item")).to_contain_text("cay-do.jpg")
    too_long = (WHAT * 80)[:4005]
    refused_id = write_report(page, "Sự cố khác", too_long)
    card = page.locator(".status-card")
    expect(card).to_contain_text("Tin báo chưa được nhận: Mô tả dài 4005 ký tự; tối đa 4000 ký tự")
    expect(card).to_contain_text("Hãy sửa rồi gửi lại, hoặc bỏ tin báo này")
    expect(card.locator(".badge")).to_have_text(re.compile("Chưa gửi được: cần sửa"))
    expect(card).not_to_contain_text("characters")  # no English inside the Vietnamese app
    expect(card.get_by_role("button", name="Thử gửi lại")).to_have_count(0)
    expect(card.get_by_role("button", name="Sửa", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Bỏ", exact=True)).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "citizen-refused-vi.png")
    page.get_by_role("button", name="English").click()
    expect(card).to_contain_text("The report was not accepted: The description is 4005 characters; at most 4000")
    expect(card.get_by_role("button", name="Edit", exact=True)).to_be_visible()
    page.screenshot(path=SHOTS / "citizen-refused-en.png")
    page.get_by_role("button", name="Tiếng Việt").click()

    # Sửa: the report screen again, with the category, the text and the place as they were.
    card.get_by_role("button", name="Sửa", exact=True).click()
    page.wait_for_url(re.compile(r"/#/$"))
    description = page.get_by_label("Mô tả sự việc và nơi xảy ra")
    expect(description).to_have_value(too_long)
    expect(page.locator('input[name="category"][value="other"]')).to_be_checked()
    expect(page.locator(".media-item")).to_contain_text("cay-do.jpg")  # the photo came back too
    description.fill(too_long[:3990])
    page.get_by_role("button", name="Gửi tin báo").click()
    sent_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    stored = rows(live_server, "SELECT id, category, length(description) AS n, lat FROM reports")
    assert [(r["id"], r["category"], r["n"]) for r in stored] == [(sent_id, "other", 3990)]
    assert stored[0]["lat"] is not None  # the place came back with the edit
    # The photo goes with the fixed report.
    media = wait_for(lambda: doc_json(live_server, f"report/{sent_id}", "report").get("media"), what="the photo")
    assert len(media) == 1
    # The refused one is gone from the phone: one report in the list, not two.
    page.get_by_role("link", name="Tin đã báo", exact=True).click()
    expect(page.locator("[data-report]")).to_have_count(1)
    expect(page.locator(f'[data-report="{refused_id}"]')).to_have_count(0)
    assert errors == []


def test_a_refused_report_can_be_discarded_after_a_confirmation(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = new_context(**located_phone()).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    # A refusal whose code this app version does not know: a translated general sentence.
    refusal = {"error": "invalid", "code": "a_rule_added_later", "params": {},
               "message": "some rule added to the server later"}
    page.route("**/sync/report/*", lambda route: route.fulfill(status=422, json=refusal))
    report_id = write_report(page, "Cháy nổ", "Khói bốc lên từ tầng hai.")
    card = page.locator(".status-card")
    expect(card).to_contain_text("Tin báo chưa được nhận: Máy chủ không nhận nội dung này")
    expect(card).not_to_contain_text("rule added")
    card.get_by_role("button", name="Bỏ", exact=True).click()
    expect(card).to_contain_text("Bỏ hẳn tin báo này?")
    card.get_by_role("button", name="Không, giữ lại").click()  # changed their mind: still there
    card.get_by_role("button", name="Bỏ", exact=True).click()
    card.get_by_role("button", name="Bỏ tin báo").click()
    page.wait_for_url(re.compile(r"/#/reports$"))
    expect(page.locator(f'[data-report="{report_id}"]')).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Tin đã báo", level=2)).to_be_visible()
    expect(page.locator(f'[data-report="{report_id}"]')).to_have_count(0)
    page.unroute("**/sync/report/*")
    assert rows(live_server, "SELECT id FROM reports") == []
    assert errors == []


def test_a_refused_addition_to_a_sent_report_can_be_dropped(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    """The report reached the police; a later message is refused for good: the citizen is told
    so in Vietnamese and drops it, and the phone holds the server's copy again (nothing left to
    send, no retry that cannot succeed)."""
    page = new_context(**located_phone()).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    report_id = write_report(page, "Sự cố khác", WHAT)
    card = page.locator(".status-card")
    expect(card.locator(".badge")).to_have_text(re.compile("Đã đến trung tâm"))
    refusal = {"error": "invalid", "code": "message_too_long",
               "params": {"field": "message text", "length": 1200, "limit": 1000}, "message": "too long"}
    page.route("**/sync/report/*", lambda route: route.fulfill(status=422, json=refusal))
    page.get_by_label("Bổ sung thông tin cho công an").fill("Đường đã thông một nửa.")
    page.get_by_role("button", name="Gửi bổ sung").click()
    expect(card).to_contain_text("Phần bổ sung chưa được nhận: Tin nhắn dài 1200 ký tự; tối đa 1000 ký tự")
    expect(card.get_by_role("button", name="Thử gửi lại")).to_have_count(0)
    page.unroute("**/sync/report/*")
    card.get_by_role("button", name="Bỏ phần bổ sung này").click()
    expect(card).not_to_contain_text("chưa được nhận")
    expect(page.locator(".message--me")).to_have_count(0)
    page.reload()  # not queued again at the next start
    expect(card.locator(".badge")).to_have_text(re.compile("Đã đến trung tâm"))
    expect(page.locator(".message--me")).to_have_count(0)
    expect(card).not_to_contain_text("chưa được nhận")
    assert doc_json(live_server, f"report/{report_id}", "report")["messages"] == []
    assert errors == []
