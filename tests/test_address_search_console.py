"""The phone intake's address search and the 168 approximate wards on the console map, in a real
Chromium (issue 30): the dispatcher types the caller's old address, picks the ward, the pin goes
there, a click on the map refines it; the legend says the boundaries are approximate."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.directory import approximate
from app.settings import Settings

from .center_helpers import NO_TILES, open_console, shoot
from .server_checks import rows, wait_for
from .test_a11y import serious

if TYPE_CHECKING:
    from tests.browser import NewContext

SAI_GON = 26740
SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_old_address_places_the_pin_and_the_dispatcher_refines_it(
    live_server, new_context: NewContext, lang: str
) -> None:
    approximate.load(live_server.svc.directory)
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    # All 168 wards drawn, and the legend says where the boundaries come from.
    expect(page.locator(".map-panel .leaflet-overlay-pane path")).to_have_count(168)
    expect(page.locator('.map-legend__boundaries[data-source="approximate"]')).to_contain_text("168")

    page.locator('[data-action="phone-intake"]').click()
    form = page.locator('[data-form="phone-intake"]')
    form.locator('input[name="call-category"][value="crime"]').check()
    text = "Người gọi bị giật túi ở phường Bến Nghé"
    form.locator('textarea[name="call-description"]').fill(text)
    search = form.locator('input[name="call-address"]')
    search.fill("p ben nghe, q1")
    search.press("Enter")  # searches; does not send the incident
    result = form.locator(f'.address-search__result[data-ward="{SAI_GON}"]')
    expect(result).to_contain_text("Phường Sài Gòn")
    expect(result).to_contain_text("Phường Bến Nghé, Quận 1")
    assert rows(live_server, "SELECT count(*) AS n FROM reports")[0]["n"] == 0
    shoot(page, f"address-results-{lang}")
    assert serious(page) == []
    result.click()
    expect(form.locator('.phone-intake__pick[data-pick="map"]')).to_contain_text("Phường Sài Gòn")
    shoot(page, f"address-search-{lang}")
    SHOTS.mkdir(exist_ok=True)
    for name in ("address-results", "address-search"):
        shutil.copy(f"/tmp/sos-center/{name}-{lang}.png", SHOTS / f"wards-{name}-{lang}.png")
    assert serious(page) == []

    # The dispatcher refines: a click near the pin moves it; the incident goes to that ward.
    pin = page.locator(".map-panel path.leaflet-interactive, .map-panel .leaflet-overlay-pane path[stroke='#b3261e']").last
    expect(pin).to_be_visible()
    box = pin.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 2, box["y"] + box["height"] / 2 + 2)
    expect(form.locator('.phone-intake__pick[data-pick="map"]')).not_to_contain_text("Phường Sài Gòn")
    submit = "Tạo sự vụ" if lang == "vi" else "Create incident"
    form.get_by_role("button", name=submit).click()
    found = wait_for(lambda: rows(live_server, "SELECT * FROM reports WHERE description = ?", text), what="report")
    incident = rows(live_server, "SELECT ward_code FROM incidents WHERE id = ?", found[0]["id"])[0]
    assert incident["ward_code"] == SAI_GON and found[0]["boundary_approximate"] == 1
    assert found[0]["location_approximate"] == 0  # refined on the map: a real place
    flag = page.locator(".console__detail .flag--warn", has_text="approximate" if lang == "en" else "gần đúng")
    expect(flag.first).to_be_visible()
