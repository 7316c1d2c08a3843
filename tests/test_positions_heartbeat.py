"""An officer who shares their position and stands still never goes stale (issue 23): a fresh fix
at least every half of `position_stale_s`, and "the command center sees you" only once the server
took one. Real Chromium, real server; needs a build (`make pwa`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .officer_helpers import PHU_MY_UNIT, officer_account, sign_in
from .server_checks import rows, wait_for

WatchConsole = Callable[[Page], list[str]]
STILL = {"latitude": 10.7295, "longitude": 106.7419, "accuracy": 15}  # Phú Mỹ, and it stays there
STALE_S = 4  # a heartbeat every 2 s


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(position_stale_s=STALE_S, position_interval_s=1, tile_url="")


@pytest.mark.browser
def test_a_still_officer_keeps_sending_and_is_told_seen_only_after_the_server_took_a_fix(
    live_server: LiveServer, new_context, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.still", PHU_MY_UNIT, "Võ Văn Đứng")
    phone = new_context(viewport={"width": 360, "height": 640}, geolocation=STILL, permissions=["geolocation"])
    page = phone.new_page()
    errors = watch_console(page)
    held: list[Route] = []
    holding = [True]

    def gate(route: Route) -> None:
        if holding[0]:
            held.append(route)  # not answered until released
        else:
            route.continue_()

    page.route("**/api/officers/me/position", gate)
    sign_in(page, live_server, "pm.still")
    page.get_by_role("group", name="Đã đăng nhập. Bạn có nhận nhiệm vụ được không?").get_by_role(
        "button", name="Sẵn sàng").click()
    page.get_by_role("group", name="Chia sẻ vị trí với trung tâm chỉ huy khi đang trực?").get_by_role(
        "button", name="Chia sẻ", exact=True).click()

    # The first fix is on its way but the server has not taken it: not "seen" yet.
    wait_for(lambda: page.evaluate("1") and len(held) >= 1, what="the first PUT, held")
    sharing = page.locator("[data-sharing]")
    expect(sharing).not_to_contain_text("thấy vị trí")
    expect(sharing).to_contain_text("Đang gửi vị trí cho trung tâm chỉ huy")
    expect(sharing).to_have_attribute("data-sharing", "waiting")
    assert rows(live_server, "SELECT at FROM officer_positions") == []

    holding[0] = False
    for route in held:
        route.continue_()  # the server answers 204
    expect(sharing).to_have_attribute("data-sharing", "on")
    expect(sharing).to_contain_text("Trung tâm chỉ huy thấy vị trí của bạn.")
    first = rows(live_server, "SELECT at FROM officer_positions ORDER BY at")
    assert len(first) >= 1

    # Standing still: fresh fixes keep coming, each with its own time, all at the same place.
    wait_for(
        lambda: page.evaluate("1") and len(rows(live_server, "SELECT at FROM officer_positions")) >= len(first) + 2,
        what="two heartbeat fixes",
        timeout=3 * STALE_S,
    )
    fixes = rows(live_server, "SELECT lat, lon, at FROM officer_positions ORDER BY at")
    assert len({f["at"] for f in fixes}) == len(fixes)
    assert {(round(f["lat"], 6), round(f["lon"], 6)) for f in fixes} == {(10.7295, 106.7419)}
    # Between heartbeats, never as long as the stale threshold (loose: the heartbeat is at half).
    # The first fix carries the browser's own reading time, which may be older.
    beats = fixes[1:]
    assert max(b["at"] - a["at"] for a, b in zip(beats, beats[1:], strict=False)) < STALE_S

    # The console does not see them as stale, well after the threshold since the first one.
    live_server.svc.accounts.create_sync("dieu.phoi", PASSWORD, "dispatcher")
    token = httpx.post(
        f"{live_server.url}/api/auth/login", json={"username": "dieu.phoi", "password": PASSWORD}
    ).json()["token"]
    listed = httpx.get(
        f"{live_server.url}/api/units/positions", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [(o["username"], o["stale"]) for o in listed] == [("pm.still", False)]
    assert errors == []
