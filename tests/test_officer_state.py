"""The officer app's connection and duty state (issue 23): every path — a start with no signal,
reconnecting, a reload, the session ending, signing out — ends in the state the officer chose,
with the banner and the online pill agreeing; and a position that never goes stale while the
officer stands still and shares it. Real Chromium, real server; needs a build (`make pwa`).

Screenshots go to /tmp/sos-shots/officer-*.png (360x640, vi and en)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, WebSocketRoute, expect

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .officer_helpers import (
    PHU_MY_UNIT,
    citizen_report,
    dispatch,
    officer_account,
    police,
    session_token,
    sign_in,
)
from .server_checks import rows, wait_for

WatchConsole = Callable[[Page], list[str]]
SMALL = {"width": 360, "height": 640}
SHOTS = Path("/tmp/sos-shots")
ASK = "Đã đăng nhập. Bạn có nhận nhiệm vụ được không?"
SHARE_ASK = "Chia sẻ vị trí với trung tâm chỉ huy khi đang trực?"
MINE = "Trạng thái của tôi"
STILL = {"latitude": 10.7295, "longitude": 106.7419, "accuracy": 15}  # Phú Mỹ
RECONNECTED_MS = 5_000  # the banner and the pill agree within 5 s of reconnecting (issue 23)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No escalation timers mid-test; no map tiles from the internet (there is none here).
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def phone(new_context, **options) -> BrowserContext:
    return new_context(viewport=SMALL, geolocation=STILL, permissions=["geolocation"], **options)


def choose_available_and_share(page: Page) -> None:
    page.get_by_role("group", name=ASK).get_by_role("button", name="Sẵn sàng").click()
    page.get_by_role("group", name=SHARE_ASK).get_by_role("button", name="Chia sẻ", exact=True).click()
    # The first fix and its answer from the server: over 5 s once under make test's load.
    expect(page.locator('[data-sharing="on"]')).to_be_visible(timeout=15_000)


def availability_row(server: LiveServer) -> list[dict]:
    return rows(server, "SELECT status FROM officer_availability")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"officer-{name}.png")


def in_english(page: Page) -> None:
    page.evaluate("localStorage.setItem('sos.lang', 'en')")


@pytest.mark.browser
def test_a_start_with_no_signal_ends_online_as_chosen_without_a_reload(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.off", PHU_MY_UNIT, "Lê Văn Mạng")
    context = phone(new_context)
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.off")
    choose_available_and_share(page)
    wait_for(lambda: availability_row(live_server) == [{"status": "available"}], what="available")
    page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'")

    # No signal, and the app starts again (a reload, as after the phone killed the tab).
    context.set_offline(True)
    page.reload()
    # The banner (what the app knows of the server) and the pill (what the phone says).
    banner = page.locator("main .notice", has_text=re.compile("Đang mất mạng|Offline:|máy chủ|server"))
    pill = page.locator(".status")
    expect(pill).to_have_text("Mất mạng")
    expect(banner).to_have_text("Đang mất mạng: dùng phiên đăng nhập đã lưu trên máy này.")
    mine = page.get_by_role("group", name=MINE)
    expect(mine.get_by_role("button", name="Sẵn sàng")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)  # chosen in this session already
    # Busy, chosen with no signal: kept on the phone, marked as not sent yet.
    mine.get_by_role("button", name="Đang bận").click()
    expect(mine.get_by_role("button", name="Đang bận")).to_have_attribute("aria-pressed", "true")
    expect(mine).to_contain_text("Chưa gửi")
    shoot(page, "list-offline-start-vi")

    # Coverage returns; no reload.
    context.set_offline(False)
    expect(pill).to_have_text("Có mạng", timeout=RECONNECTED_MS)
    expect(banner).to_have_count(0, timeout=RECONNECTED_MS)
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)
    expect(page.get_by_role("group", name=SHARE_ASK)).to_have_count(0)
    expect(mine.get_by_role("button", name="Đang bận")).to_have_attribute("aria-pressed", "true")
    expect(mine).not_to_contain_text("Chưa gửi")
    expect(page.locator('[data-sharing="on"]')).to_contain_text("Trung tâm chỉ huy thấy vị trí")
    wait_for(lambda: availability_row(live_server) == [{"status": "busy"}], what="busy, sent")
    shoot(page, "list-offline-then-online-vi")

    # A reload keeps every choice.
    page.reload()
    expect(mine.get_by_role("button", name="Đang bận")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)
    expect(page.get_by_role("group", name=SHARE_ASK)).to_have_count(0)
    expect(banner).to_have_count(0)

    # The same in English, for the screenshots.
    in_english(page)
    context.set_offline(True)
    page.reload()
    expect(page.locator(".status")).to_have_text("Offline")
    expect(banner).to_have_text("Offline: using the session saved on this device.")
    shoot(page, "list-offline-start-en")
    context.set_offline(False)
    expect(banner).to_have_count(0, timeout=RECONNECTED_MS)
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    shoot(page, "list-offline-then-online-en")
    assert errors == []


@pytest.mark.browser
def test_the_session_ending_leads_to_sign_in_and_back_to_the_chosen_state_sign_out_forgets(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.exp", PHU_MY_UNIT)
    context = phone(new_context)
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.exp")
    choose_available_and_share(page)
    wait_for(lambda: availability_row(live_server) == [{"status": "available"}], what="available")

    # The server ends the session while the phone has no signal; it learns it on reconnecting.
    context.set_offline(True)
    expect(page.locator(".status")).to_have_text("Mất mạng")
    token = session_token(page)
    r = httpx.post(f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    context.set_offline(False)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible(timeout=RECONNECTED_MS)

    # Signed in again within the shift: back where the officer was, nothing asked again.
    sign_in(page, live_server, "pm.exp")
    mine = page.get_by_role("group", name=MINE)
    expect(mine.get_by_role("button", name="Sẵn sàng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)
    expect(page.get_by_role("group", name=SHARE_ASK)).to_have_count(0)

    # Ended again, and found out at the next start of the app (a reload): the same way back.
    token = session_token(page)
    r = httpx.post(f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    page.reload()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    sign_in(page, live_server, "pm.exp")
    expect(mine.get_by_role("button", name="Sẵn sàng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)

    # Signing out on purpose forgets the choices: the next sign-in asks both again.
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    kept = page.evaluate(
        "Object.keys(localStorage).filter((k) => /^sos\\.officer\\.(availability|sharing|duty)\\./.test(k))"
    )
    assert kept == []
    sign_in(page, live_server, "pm.exp")
    expect(page.get_by_role("group", name=ASK)).to_be_visible()
    expect(page.get_by_role("group", name=SHARE_ASK)).to_be_visible()
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_acknowledge_button_is_in_view_at_360x640_without_scrolling(
    live_server: LiveServer, new_context, watch_console: WatchConsole, lang: str
) -> None:
    officer_account(live_server, f"pm.ack.{lang}", PHU_MY_UNIT)
    report_id = citizen_report(
        live_server,
        description="Hai đối tượng đi xe máy giật túi xách trước cổng chợ, một người bị ngã.",
        contact={"name": "Trần Thị Bình", "phone": "0901 234 567"},
    )
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id, instructions="Đến ngay, đối tượng còn ở gần chợ.")
    page = phone(new_context).new_page()
    errors = watch_console(page)
    sign_in(page, live_server, f"pm.ack.{lang}")
    if lang == "en":
        in_english(page)
        page.reload()
    page.locator(f'a.o-item[data-incident="{report_id}"]').click()  # as from a new-task alert
    expect(page.locator(".o-instructions")).to_contain_text("Đến ngay")
    name = "Nhận nhiệm vụ" if lang == "vi" else "Acknowledge"
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_be_enabled()
    assert page.evaluate("scrollY") == 0
    box = button.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= SMALL["height"], box
    assert box["height"] >= 44  # a thumb's target, in the sun, on the move
    shoot(page, f"incident-acknowledge-{lang}")
    button.click()
    wait_for(
        lambda: rows(
            live_server, "SELECT acknowledged_at FROM assignments WHERE incident_id = ?", report_id
        )[0]["acknowledged_at"],
        what="the acknowledgement",
    )
    assert errors == []


@pytest.mark.browser
def test_a_network_that_does_not_reach_the_server_is_said_and_retried_until_it_does(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.route", PHU_MY_UNIT)
    # No service worker: the page's own requests are the ones the test holds back.
    context = phone(new_context, service_workers="block")
    page = context.new_page()
    sign_in(page, live_server, "pm.route")
    choose_available_and_share(page)
    context.set_offline(True)
    expect(page.locator(".status")).to_have_text("Mất mạng")
    # The radio comes back before the route to the server does.
    page.route("**/api/auth/me", lambda route: route.abort("connectionrefused"))
    context.set_offline(False)
    unreachable = page.locator("main .notice", has_text="Chưa liên lạc được với máy chủ")
    expect(unreachable).to_be_visible()
    expect(page.locator(".status")).to_have_text("Có mạng")  # the phone's own view, also true
    page.unroute("**/api/auth/me")
    expect(unreachable).to_have_count(0, timeout=15_000)  # asked again after 1, 2, 4, 8 s
    expect(page.locator('[data-sharing="on"]')).to_be_visible()


@pytest.mark.browser
def test_opened_from_a_notification_before_the_list_arrived_the_incident_does_not_say_it_left_it(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.link", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id, instructions="Đến ngay.")
    page = phone(new_context).new_page()
    errors = watch_console(page)
    held: list[WebSocketRoute] = []
    coverage = [False]

    def inbox(ws: WebSocketRoute) -> None:
        if coverage[0]:
            ws.connect_to_server()
        else:
            held.append(ws)  # left unanswered: the app retries later

    # The unit's list has not reached the phone yet (its live connection waits); the incident
    # itself comes by the batch request.
    page.route_web_socket(re.compile(r"/sync/inbox/"), inbox)
    sign_in(page, live_server, "pm.link")
    page.goto(f"{live_server.url}/officer/#/incident/{report_id}")
    expect(page.locator(".o-instructions")).to_contain_text("Đến ngay.")
    button = page.get_by_role("button", name="Nhận nhiệm vụ", exact=True)
    expect(button).to_be_enabled()
    assert page.locator(".o-detail > .notice").all_inner_texts() == []
    box = button.bounding_box()
    assert box and box["y"] + box["height"] <= SMALL["height"], box
    # The list arrives: still listed, still no notice.
    coverage[0] = True
    for route in held:
        route.close()  # the app connects again, this time through
    page.get_by_role("link", name="Danh sách").click()
    expect(page.locator(f'a.o-item[data-incident="{report_id}"]')).to_be_visible(timeout=15_000)
    page.locator(f'a.o-item[data-incident="{report_id}"]').click()
    expect(button).to_be_enabled()
    expect(page.locator(".o-detail > .notice")).to_have_count(0)
    assert errors == []


@pytest.mark.browser
def test_an_ending_found_before_the_signed_in_screens_loaded_still_resumes_the_choices(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.slow", PHU_MY_UNIT)
    # No service worker, so that the test can hold the signed-in screens' code on the wire.
    context = phone(new_context, service_workers="block")
    page = context.new_page()
    sign_in(page, live_server, "pm.slow")
    choose_available_and_share(page)
    token = session_token(page)
    page.close()  # the app is not running when the server ends the session
    assert httpx.post(
        f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
    ).status_code == 204

    # What the start screen needs is preloaded by the HTML; what is not, is the signed-in screens.
    shell = httpx.get(f"{live_server.url}/officer/").text
    start = set(re.findall(r'rel="modulepreload" href="([^"]+)"', shell))
    held: list[Route] = []
    slow = [True]

    def chunks(route: Route) -> None:
        if slow[0] and route.request.url.removeprefix(live_server.url) not in start:
            held.append(route)
        else:
            route.continue_()

    page = context.new_page()
    errors = watch_console(page)
    page.route(re.compile(r"/assets/chunk-.*\.js$"), chunks)
    page.goto(f"{live_server.url}/officer/")  # the frame's own check answers 401 first
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    wait_for(lambda: page.evaluate("1") and held, what="the screens' code, held")
    slow[0] = False
    for route in held:
        route.continue_()
    page.get_by_label("Tên đăng nhập").fill("pm.slow")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    mine = page.get_by_role("group", name=MINE)
    expect(mine.get_by_role("button", name="Sẵn sàng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    expect(page.get_by_role("group", name=ASK)).to_have_count(0)
    assert errors == []
