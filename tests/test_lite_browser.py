"""The script-less first paint of `/` in a real Chromium (issue 23): a phone with JavaScript off
reports through the plain form (one report however often it is sent); a phone whose script comes
late keeps what it typed when the app takes over; on a 50 kbit/s link the emergency numbers show
long before the script has arrived (a loose guard: the figures are `python -m bench lite`'s).
axe on these pages: tests/test_a11y.py. The HTTP side is test_lite_form.py."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Route, expect

from .browser import NewContext
from .conftest import LiveServer
from .server_checks import doc_json, rows, wait_for

pytestmark = pytest.mark.browser

TAN_PHU = 27031
PHONE = {"width": 360, "height": 640}
SHOTS = Path("/tmp/sos-shots")
CITIZEN_ENTRY = re.compile(r"/assets/citizen-[A-Z0-9]+\.js$")
# 50 kbit/s each way, 500 ms added to every request: a weak 2G cell (issue 23).
SLOW_LINK = {"offline": False, "latency": 500, "downloadThroughput": 50_000 / 8, "uploadThroughput": 50_000 / 8}


def fill_form(page: Page, description: str) -> None:
    page.get_by_label("Cháy nổ").check()
    page.get_by_label("Mô tả sự việc").fill(description)
    page.get_by_label("Phường, xã nơi xảy ra").select_option(str(TAN_PHU))


def web_lite_incidents(server: LiveServer) -> list[dict]:
    return rows(server, "SELECT id, ward_code FROM incidents WHERE channel = 'web-lite'")


def test_with_javascript_off_the_form_reports_once(live_server: LiveServer, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator('a[href="tel:113"]')).to_be_visible()
    fill_form(page, "Cháy nhà kho đầu hẻm 12, khói đen")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "lite-form-360.png")
    page.screenshot(path=SHOTS / "lite-form-360-full.png", full_page=True)

    # The first tap reaches the server, but its answer is lost (as on a weak link): the page
    # stays on the form, and the person taps again. 204 is "stay where you are" for a navigation.
    posts: list[str] = []

    def lose_first_answer(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.continue_()
            return
        posts.append(request.post_data or "")
        if len(posts) == 1:
            route.fetch(max_redirects=0)  # the server takes it
            route.fulfill(status=204)
        else:
            route.continue_()

    page.route(live_server.url + "/", lose_first_answer)
    page.get_by_role("button", name="Gửi tin báo").click()
    wait_for(lambda: len(web_lite_incidents(live_server)) == 1, what="the first tap's report")
    expect(page.get_by_label("Mô tả sự việc")).to_have_value("Cháy nhà kho đầu hẻm 12, khói đen")
    page.get_by_role("button", name="Gửi tin báo").click()
    expect(page.get_by_role("status")).to_have_text("Tin báo đã đến Trung tâm chỉ huy. Cán bộ sẽ xem ngay.")
    assert len(posts) == 2 and posts[0] == posts[1]  # the same form, twice
    found = web_lite_incidents(live_server)
    assert len(found) == 1 and found[0]["ward_code"] == TAN_PHU
    report_id = found[0]["id"]
    assert page.url == f"{live_server.url}/lite/reports/{report_id}"
    for inbox in ("inbox/center", f"inbox/ward-{TAN_PHU}"):
        listed = wait_for(lambda inbox=inbox: doc_json(live_server, inbox, "incidents").get(report_id), what=inbox)
        assert listed["channel"] == "web-lite"
    page.screenshot(path=SHOTS / "lite-status-360.png")

    # Reloading the status page sends nothing again, and "report again" is a new form.
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Trung tâm chỉ huy")
    page.get_by_role("link", name="Báo sự việc khác").click()
    expect(page.get_by_label("Mô tả sự việc")).to_have_value("")
    assert len(web_lite_incidents(live_server)) == 1


def test_a_refusal_without_javascript_keeps_what_was_typed(live_server: LiveServer, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(live_server.url + "/")
    fill_form(page, "x" * 3990)
    # 4,001 characters: one over the limit (maxlength would stop typing; a proxy browser may not).
    page.route(live_server.url + "/", lambda route, request: route.continue_(
        post_data=(request.post_data or "").replace("x" * 3990, "x" * 4001)) if request.method == "POST"
        else route.continue_())
    page.get_by_role("button", name="Gửi tin báo").click()
    expect(page.get_by_role("alert")).to_contain_text("Mô tả dài 4001 ký tự, quá giới hạn 4000")
    expect(page.get_by_label("Cháy nổ")).to_be_checked()
    expect(page.get_by_label("Phường, xã nơi xảy ra")).to_have_value(str(TAN_PHU))
    assert len(page.get_by_label("Mô tả sự việc").input_value()) == 4001
    assert web_lite_incidents(live_server) == []


def test_the_app_takes_over_without_losing_what_was_typed(live_server: LiveServer, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE).new_page()
    held: list[Route] = []
    page.route(CITIZEN_ENTRY, lambda route: held.append(route))  # the app's script is held back until released
    page.goto(live_server.url + "/", wait_until="commit")
    expect(page.locator('a[href="tel:113"]')).to_be_visible()
    fill_form(page, "Hai xe máy va chạm, một người bị thương ở chân")
    wait_for(lambda: held, what="the app's script to be asked for")
    held[0].continue_()
    description = page.get_by_label("Mô tả sự việc và nơi xảy ra")
    expect(description).to_have_value("Hai xe máy va chạm, một người bị thương ở chân")
    expect(page.locator("form.lite-form")).to_have_count(0)
    expect(page.locator(".category--fire input")).to_be_checked()
    draft = page.evaluate("() => JSON.parse(localStorage.getItem('sos.draft'))")
    assert draft["ward"] == TAN_PHU and draft["category"] == "fire"
    expect(page.get_by_role("button", name="Gửi tin báo")).to_be_enabled()


def test_on_a_slow_link_113_shows_before_the_script_has_arrived(
    live_server: LiveServer, new_context: NewContext
) -> None:
    """A loose guard only (the figures: `python -m bench lite`, in bench/RESULTS.md)."""
    context = new_context(viewport=PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    entry_done: list[float] = []
    page.on("requestfinished", lambda r: entry_done.append(time.monotonic()) if CITIZEN_ENTRY.search(r.url) else None)
    started = time.monotonic()
    page.goto(live_server.url + "/", wait_until="commit", timeout=30_000)
    expect(page.locator('a[href="tel:113"]')).to_be_visible(timeout=30_000)
    shown = time.monotonic() - started
    assert entry_done == [], f"113 showed only after the app's script ({shown:.1f} s)"
    assert shown < 6, f"113 showed after {shown:.1f} s"


def test_the_console_names_the_channel_of_a_form_report(live_server: LiveServer, new_context: NewContext) -> None:
    from .center_helpers import open_console, queue_item

    page = open_console(live_server, new_context)
    phone = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    phone.goto(live_server.url + "/")
    fill_form(phone, "Khói bốc lên từ căn nhà cuối hẻm")
    phone.get_by_role("button", name="Gửi tin báo").click()
    expect(phone.get_by_role("status")).to_contain_text("Trung tâm chỉ huy")
    report_id = web_lite_incidents(live_server)[0]["id"]
    flag = queue_item(page, report_id).locator('.flag--channel[data-channel="web-lite"]')
    expect(flag).to_have_text("Biểu mẫu web (không cần ứng dụng)")
