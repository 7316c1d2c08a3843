"""Where the units are, in the browsers (issue 16): an officer's phone shares its position while on
duty, the console shows the marker live and proposes the nearest officers first when dispatching,
and a fix taken with no signal reaches the console once coverage returns. Real Chromium, real
server; needs a build (`make pwa`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .center_helpers import NO_TILES, offset, open_console, report, tan_phu
from .citizen_helpers import PHONE
from .conftest import PASSWORD, LiveServer
from .officer_helpers import TAN_PHU_UNIT, officer_account, sign_in
from .server_checks import rows, wait_for

WatchConsole = Callable[[Page], list[str]]

HELD_FIXES = """new Promise((resolve, reject) => {
    const open = indexedDB.open('sos-officer-positions');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('fixes')) { db.close(); resolve(0); return; }
        const count = db.transaction('fixes').objectStore('fixes').count();
        count.onsuccess = () => { db.close(); resolve(count.result); };
        count.onerror = () => reject(count.error);
    };
})"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A fix may follow the last after 1 s instead of 15, so the test need not wait out the
    # interval; the move threshold stays the real 25 m.
    return settings.with_(position_interval_s=1, tile_url=NO_TILES)


def geo(point: tuple[float, float]) -> dict[str, float]:
    return {"latitude": point[0], "longitude": point[1], "accuracy": 15}


def far_officer_on_duty(server: LiveServer, where: tuple[float, float]) -> None:
    """A second officer whose phone (plain HTTP here) is available 3 km from the incident; its
    last fix is 150 s old, past the 2 minutes after which the console greys it."""
    officer_account(server, "tp.xa", TAN_PHU_UNIT, "Lê Thị Xa")
    token = httpx.post(
        f"{server.url}/api/auth/login", json={"username": "tp.xa", "password": PASSWORD}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.put(f"{server.url}/api/officers/me/availability", json={"status": "available"}, headers=auth)
    assert r.status_code == 200, r.text
    fix = {"lat": where[0], "lon": where[1], "accuracy": 20, "at": round((time.time() - 150) * 1000)}
    r = httpx.put(f"{server.url}/api/officers/me/position", json=fix, headers=auth)
    assert r.status_code == 204, r.text


def marker_at(page: Page, username: str) -> tuple[float, float] | None:
    marker = page.locator(f'.unit-marker[data-officer="{username}"]')
    if not marker.count():
        return None
    return float(marker.get_attribute("data-lat") or "nan"), float(marker.get_attribute("data-lon") or "nan")


def near(a: tuple[float, float] | None, b: tuple[float, float]) -> bool:
    return a is not None and abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


@pytest.mark.browser
def test_the_console_sees_the_officer_proposes_the_nearest_first_and_follows_a_move_made_offline(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    scene = tan_phu()
    close_by = offset(scene, 200, 0)  # 200 m north of the incident
    far_off = offset(scene, 0, 3000)  # 3 km east
    officer_account(live_server, "tp.gan", TAN_PHU_UNIT, "Nguyễn Văn Gần")
    far_officer_on_duty(live_server, far_off)

    phone = new_context(viewport=PHONE, geolocation=geo(close_by), permissions=["geolocation"])
    page = phone.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "tp.gan")
    page.get_by_role("group", name="Đã đăng nhập. Bạn có nhận nhiệm vụ được không?").get_by_role(
        "button", name="Sẵn sàng").click()
    share = page.get_by_role("group", name="Chia sẻ vị trí với trung tâm chỉ huy khi đang trực?")
    share.get_by_role("button", name="Chia sẻ", exact=True).click()
    expect(share).to_have_count(0)  # asked once
    expect(page.locator('[data-sharing="on"]')).to_be_visible()

    console = open_console(live_server, new_context)
    console_errors = watch_console(console)
    wait_for(lambda: near(marker_at(console, "tp.gan"), close_by), what="the officer's marker")
    marker = console.locator('.unit-marker[data-officer="tp.gan"]')
    expect(marker).not_to_have_class(re.compile("unit-marker--stale"))
    dot = marker.locator(".unit-marker__dot").bounding_box()
    assert dot and dot["width"] >= 12 and abs(dot["width"] - dot["height"]) < 1, dot  # round, seen
    assert "Nguyễn Văn Gần" in (marker.get_attribute("title") or "")
    old = console.locator('.unit-marker[data-officer="tp.xa"]')
    expect(old).to_have_class(re.compile("unit-marker--stale"))  # greyed: 150 s old
    assert "vị trí cũ" in (old.get_attribute("title") or "")

    # An incident 200 m from one officer and 3 km from the other: the nearest is proposed first.
    _, incident_id = report(live_server, where=scene)
    console.evaluate("id => { location.hash = '#/incident/' + id; }", incident_id)
    expect(console.locator(f'.detail[data-incident="{incident_id}"] .detail__actions')).to_be_visible()
    console.keyboard.press("d")
    proposed = console.locator('[data-form="dispatch"] [data-list="nearest"] li')
    expect(proposed).to_have_count(2)
    expect(proposed.nth(0)).to_have_attribute("data-officer", "tp.gan")
    # Distance, travel time and the fix's age each say what they are (not "200 m · 1 phút").
    expect(proposed.nth(0).locator(".nearest__far")).to_have_text("cách 200 m · ~1 phút đi đường")
    expect(proposed.nth(0).locator(".nearest__fix")).to_have_text(re.compile(r"^vị trí \d+ giây trước$"))
    expect(proposed.nth(0)).to_contain_text("sẵn sàng")
    expect(proposed.nth(1)).to_have_attribute("data-officer", "tp.xa")
    expect(proposed.nth(1)).to_contain_text("cách 3.0 km · ~9 phút đi đường")  # 3 km at 20 km/h
    expect(proposed.nth(1).locator(".nearest__fix")).to_have_text(re.compile(r"^vị trí cũ, \d+ (giây|phút) trước$"))
    expect(proposed.nth(0)).not_to_contain_text("vị trí cũ")
    expect(console.locator('[data-form="dispatch"]')).to_contain_text("20 km/h")
    # An officer's button says whether their unit is ticked (routing ticked the ward already) and
    # toggles it; any other unit can still be searched for below.
    pick = proposed.nth(0).get_by_role("button")
    ward_box = console.locator(f'[data-form="dispatch"] [data-unit="{TAN_PHU_UNIT}"] input')
    expect(pick).to_have_attribute("aria-pressed", "true")
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "false")
    expect(ward_box).not_to_be_checked()
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    expect(ward_box).to_be_checked()
    expect(console.locator('[data-form="dispatch"] input[type=search]')).to_be_visible()

    # No signal; the officer moves 500 m; the fix waits on the phone; coverage returns.
    before = len(rows(live_server, "SELECT at FROM officer_positions"))
    phone.set_offline(True)
    moved = offset(close_by, 0, 500)
    phone.set_geolocation(geo(moved))
    wait_for(lambda: page.evaluate(HELD_FIXES) == 1, what="the fix held on the phone")
    assert len(rows(live_server, "SELECT at FROM officer_positions")) == before
    assert near(marker_at(console, "tp.gan"), close_by)
    phone.set_offline(False)
    wait_for(lambda: near(marker_at(console, "tp.gan"), moved), what="the new position on the console")
    wait_for(lambda: page.evaluate(HELD_FIXES) == 0, what="the phone's queue emptied")

    # Off duty: off the map at once.
    page.get_by_role("group", name="Trạng thái của tôi").get_by_role("button", name="Nghỉ").click()
    expect(console.locator('.unit-marker[data-officer="tp.gan"]')).to_have_count(0)
    expect(page.locator('[data-sharing="paused"]')).to_be_visible()
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    assert console_errors == []


# Records every geolocation watch the page starts (its options) and which are still running.
SPY = """(() => {
    const geo = navigator.geolocation;
    const watch = geo.watchPosition.bind(geo), clear = geo.clearWatch.bind(geo);
    window.__watches = [];
    geo.watchPosition = (ok, fail, options = {}) => {
        const id = watch(ok, fail, options);
        window.__watches.push({ id, high: Boolean(options.enableHighAccuracy),
                                maxAge: options.maximumAge, active: true });
        return id;
    };
    geo.clearWatch = (id) => {
        for (const w of window.__watches) if (w.id === id) w.active = false;
        clear(id);
    };
})()"""
# The sharing's watch asks for fixes at most 10 s old (sharing.js); the list's distances, 30 s.
SHARING_WATCHES = "window.__watches.filter((w) => w.maxAge === 10000 && w.active).map((w) => w.high)"


@pytest.mark.browser
def test_refused_nothing_watched_then_coarse_on_duty_precise_on_an_incident_and_off_duty_stops(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    from .officer_helpers import PHU_MY_UNIT, citizen_report, dispatch, police

    officer_account(live_server, "pm.share", PHU_MY_UNIT, "Phạm Văn Chia")
    phone = new_context(viewport=PHONE, geolocation=geo((10.7295, 106.7419)), permissions=["geolocation"])
    phone.add_init_script(SPY)
    page = phone.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.share")
    page.get_by_role("group", name="Đã đăng nhập. Bạn có nhận nhiệm vụ được không?").get_by_role(
        "button", name="Sẵn sàng").click()
    page.get_by_role("group", name="Chia sẻ vị trí với trung tâm chỉ huy khi đang trực?").get_by_role(
        "button", name="Không chia sẻ").click()
    expect(page.locator('[data-sharing="off"]')).to_be_visible()
    assert page.evaluate(SHARING_WATCHES) == []  # refused: the position is not even watched

    # Changed their mind: on duty, coarse (no GPS) while not on an incident; the fix is sent.
    page.get_by_role("button", name="Chia sẻ vị trí khi trực").click()
    expect(page.locator('[data-sharing="on"]')).to_be_visible()
    wait_for(lambda: page.evaluate(SHARING_WATCHES) == [False], what="a coarse watch")
    wait_for(lambda: rows(live_server, "SELECT lat FROM officer_positions_latest"), what="the fix")

    # Dispatched and acknowledged: now on an incident, the watch turns precise.
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id)
    page.locator(f'#assigned-heading + .o-list [data-incident="{report_id}"]').click()
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    wait_for(lambda: page.evaluate(SHARING_WATCHES) == [True], what="a precise watch on the incident")

    # Off duty: the watch stops; the console's list no longer has the officer.
    page.evaluate("location.hash = '#/'")
    page.get_by_role("group", name="Trạng thái của tôi").get_by_role("button", name="Nghỉ").click()
    expect(page.locator('[data-sharing="paused"]')).to_be_visible()
    wait_for(lambda: page.evaluate(SHARING_WATCHES) == [], what="no watch off duty")
    r = httpx.put(f"{live_server.url}/api/officers/me/position",
                  json={"lat": 10.73, "lon": 106.74, "accuracy": 5, "at": round(time.time() * 1000)},
                  headers={"Authorization": "Bearer " + page.evaluate(
                      "JSON.parse(localStorage.getItem('sos.session')).token")})
    assert r.status_code == 409 and r.json()["error"] == "off_duty"
    assert errors == []
