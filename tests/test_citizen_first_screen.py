"""Issue 23, point 2: one screen to report. On a 360×640 and a 320×568 phone the four categories,
"someone is hurt", the send button and the emergency numbers are all in the first screenful, and
the sticky send bar covers none of them.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-shots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.settings import Settings

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found, locator
    return found


@pytest.mark.parametrize(("width", "height"), [(360, 640), (320, 568)])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_categories_hurt_send_and_numbers_fit_the_first_screen(
    live_server, new_context: NewContext, width: int, height: int, lang: str
) -> None:
    page = new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(live_server.url + "/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator(".category__label")).to_have_count(4)
    assert page.evaluate("scrollY") == 0
    bar = box(page.locator(".send-bar"))
    send = box(page.get_by_role("button", name="Gửi tin báo" if lang == "vi" else "Send report"))
    # The send button itself is whole on screen (inside the bar, which may be sticky).
    assert send["y"] >= 0 and send["y"] + send["height"] <= height, send
    # Everything else above the bar: not under it, not below the fold.
    floor = min(bar["y"], height)
    wanted = {
        **{f"tile {i}": page.locator(".category").nth(i) for i in range(4)},
        "hurt": page.locator(".danger-toggle"),
        **{f"tel {n}": page.locator(f'a[href="tel:{n}"]') for n in ("113", "114", "115")},
    }
    for name, locator in wanted.items():
        b = box(locator)
        assert b["x"] >= 0 and b["x"] + b["width"] <= width, (name, b)
        assert b["y"] >= 0 and b["y"] + b["height"] <= floor, (name, b, "bar at", bar["y"])
        # Still large enough to hit with a thumb (48 px, as the other screen tests ask).
        assert b["height"] >= 48 and b["width"] >= 48, (name, b)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"citizen-home-{width}x{height}-{lang}.png")
