"""Issue 29 on the console: a silent report shows a banner and no call-back link, its trail and
latest fix follow the phone live (within 2 s of each fix), a message to the person is said to be
silent, and the nearest officers are ranked from the latest fix, not from where the report began.
Real Chromium, real server; needs a build (`make pwa`). Screenshots: /tmp/sos-shots/silent-console-*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from pycrdt import Map

from app.settings import Settings

from .center_helpers import NO_TILES, device, offset, open_console, tan_phu
from .conftest import PASSWORD, LiveServer
from .officer_helpers import TAN_PHU_UNIT, dispatch, officer_account, sign_in
from .test_report_flow import police
from .test_silent_report import add_fixes, fix, silent_report

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def officer_on_duty(server: LiveServer, username: str, where: tuple[float, float]) -> None:
    officer_account(server, username, TAN_PHU_UNIT, username)
    token = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.put(f"{server.url}/api/officers/me/availability", json={"status": "available"}, headers=auth).status_code == 200
    position = {"lat": where[0], "lon": where[1], "accuracy": 20, "at": round(time.time() * 1000)}
    assert httpx.put(f"{server.url}/api/officers/me/position", json=position, headers=auth).status_code == 204


def test_the_console_shows_a_silent_report_its_trail_live_and_ranks_from_the_latest_fix(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    start = tan_phu()
    officer_on_duty(live_server, "tp.dau", offset(start, 100, 0))  # by where the report began
    officer_on_duty(live_server, "tp.cuoi", offset(start, 0, 1500))  # by where the person went
    console = open_console(live_server, new_context, viewport=DESKTOP)
    errors = watch_console(console)

    citizen = device(live_server)
    report_id = silent_report(citizen, "crime")
    citizen.doc(f"report/{report_id}").get("report", type=Map)["contact"] = {"name": "", "phone": "0901 234 567"}
    assert citizen.sync(f"report/{report_id}").status_code == 200
    console.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    detail = console.locator(f'.detail[data-incident="{report_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    trail = detail.locator("[data-silent-trail]")
    expect(trail.locator(".silent-trail__banner")).to_contain_text("Báo tin im lặng.")
    expect(detail).to_contain_text("0901 234 567")
    expect(detail.locator('a[href^="tel:"]')).to_have_count(0)  # no call-back

    # Each fix shows within 2 s, with its accuracy and age, in the panel and on the map.
    line = console.locator("path.silent-trail-line")
    expect(line).to_have_count(0)
    drawn = None
    for step in range(1, 4):
        moved = offset(start, 0, 500 * step)
        assert add_fixes(citizen, report_id, fix(*moved, accuracy=9.0)).status_code == 200
        expect(trail).to_have_attribute("data-fixes", str(step), timeout=2_000)
        expect(line).to_have_count(1, timeout=2_000)
        if drawn is not None:
            expect(line).not_to_have_attribute("d", drawn, timeout=2_000)  # the trail moved
        drawn = line.get_attribute("d")
        expect(trail.locator("[data-latest-fix]")).to_have_attribute("data-latest-fix", f"{moved[0]},{moved[1]}", timeout=2_000)
    expect(trail.locator("[data-latest-fix]")).to_contain_text("± 9 m")
    expect(trail.locator("polyline")).to_have_attribute("points", re.compile(r"^(\S+ ){2}\S+$"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=SHOTS / "silent-console-vi.png")

    # The nearest officers from the latest fix (1.5 km east): the one by the start comes second.
    console.keyboard.press("d")
    proposed = console.locator('[data-form="dispatch"] [data-list="nearest"] li')
    expect(proposed).to_have_count(2)
    expect(proposed.nth(0)).to_have_attribute("data-officer", "tp.cuoi")
    console.keyboard.press("Escape")

    # Verifying offers P1 only: the server keeps a silent report at P1 whatever is chosen.
    console.keyboard.press("v")
    verify = console.locator('[data-form="verify"]')
    expect(verify.locator('input[name="priority"]')).to_have_count(1)
    expect(verify.locator('input[name="priority"][value="1"]')).to_be_checked()
    expect(verify).to_contain_text("luôn ở mức P1")
    console.keyboard.press("Escape")

    console.keyboard.press("m")
    expect(console.locator("[data-silent-hint]")).to_contain_text("không có âm thanh")
    console.get_by_role("button", name="English").click()
    expect(trail.locator(".silent-trail__banner")).to_contain_text("Silent report.")
    expect(trail.locator("[data-latest-fix]")).to_contain_text("ago")
    console.screenshot(path=SHOTS / "silent-console-en.png")
    assert errors == []


def test_the_assigned_officer_sees_the_trail_and_is_led_to_the_latest_fix(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "tp.im", TAN_PHU_UNIT, "Trần Văn Im")
    citizen = device(live_server)
    report_id = silent_report(citizen, "crime")
    citizen.doc(f"report/{report_id}").get("report", type=Map)["contact"] = {"name": "", "phone": "0901 234 567"}
    assert citizen.sync(f"report/{report_id}").status_code == 200
    dispatch(live_server, police(live_server, "dp.im", "dispatcher"), report_id, unit=TAN_PHU_UNIT)
    start = tan_phu()
    moved = offset(start, 300, 0)
    assert add_fixes(citizen, report_id, fix(*offset(start, 100, 0)), fix(*moved, accuracy=14.0)).status_code == 200

    page = new_context(viewport={"width": 360, "height": 640}).new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "tp.im")
    page.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    note = page.locator("[data-silent]")
    expect(note).to_contain_text("không gọi điện")
    expect(note).to_have_attribute("data-fixes", "2")
    expect(note.locator("[data-latest-fix]")).to_contain_text("± 10 m")
    expect(note.locator("svg[data-trail-points]")).to_have_attribute("data-trail-points", "2")
    pair = f"{moved[0]},{moved[1]}"
    expect(page.locator(".o-place a").first).to_have_attribute("href", f"geo:{pair}?q={pair}")
    expect(page.locator('a[href^="tel:"]')).to_have_count(0)
    expect(page.locator(".o-contact")).to_contain_text("0901 234 567")
    # A new fix moves the directions (the report document is followed live on screen).
    further = offset(start, 600, 0)
    assert add_fixes(citizen, report_id, fix(*further)).status_code == 200
    pair = f"{further[0]},{further[1]}"
    expect(page.locator(".o-place a").first).to_have_attribute("href", f"geo:{pair}?q={pair}")
    expect(note.locator("svg[data-trail-points]")).to_have_attribute("data-trail-points", "3")  # the trail grows
    note.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "silent-officer-vi.png")
    assert errors == []
