"""Issue 23, point 11 (citizen part): the pin map without its base map says why it shows a bare
grid — no tile server configured, or its tiles did not load — as the console's map does.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-shots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.settings import Settings

from .citizen_helpers import located_phone

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")
UNREACHABLE = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # the discard port: nothing answers


@pytest.fixture(params=["none", "failed"])
def tiles(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(settings: Settings, tiles: str) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600,
                          tile_url="" if tiles == "none" else UNREACHABLE)


def test_the_pin_map_explains_a_missing_base_map(live_server, new_context: NewContext, tiles: str) -> None:
    page = new_context(**located_phone()).new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Chỉnh vị trí trên bản đồ").click()
    note = page.locator(".map-picker__note")
    expected = {
        "none": ("Không có bản đồ nền, chỉ có ô lưới", "No base map here, only a grid"),
        "failed": ("Không tải được bản đồ nền", "The base map did not load"),
    }[tiles]
    expect(note).to_contain_text(expected[0])
    expect(note).to_have_attribute("data-tiles", tiles)
    page.locator(".map-picker").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"citizen-map-{tiles}-vi.png")
    page.get_by_role("button", name="English").click()
    expect(note).to_contain_text(expected[1])
