"""The console's map (issue 15): several incidents at one place are one marker with their count,
which opens as a list of them; each line opens its incident. A real Chromium against the real server
(`make pwa` first); the screenshots go to /tmp/sos-shots for the issue's closing note."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.settings import Settings

from .center_helpers import NO_TILES, offset, open_console, queue_item, report, tan_phu

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")  # pictures of the changed screens, for a person to look at


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def test_incidents_at_one_place_are_one_marker_with_a_count_that_opens_as_a_list(
    live_server, new_context: NewContext, watch_console
) -> None:
    here = tan_phu()
    # Three neighbours report the same fire from a few metres apart; a theft is 900 m away.
    same = [
        report(live_server, "fire", text, where=offset(here, north, east))[1]
        for text, north, east in (
            ("Cháy nhà số 12, khói đen.", 0, 0),
            ("Nhà bên cạnh đang cháy!", 4, -3),
            ("Cháy lớn đầu hẻm, có người kẹt.", -3, 5),
        )
    ]
    _, theft = report(live_server, "crime", "Giật túi xách.", where=offset(here, 700, 550))
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900})
    errors = watch_console(page)
    for incident_id in [*same, theft]:
        expect(queue_item(page, incident_id)).to_be_visible()

    cluster = page.locator(".map-panel .leaflet-marker-icon.pin--cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("3")
    expect(cluster).to_have_accessible_name("3 vụ việc tại đây")
    # The theft is its own pin; the three fires have none of their own.
    expect(page.locator(f'.leaflet-marker-icon[data-incident="{theft}"]')).to_have_count(1)
    for incident_id in same:
        expect(page.locator(f'.leaflet-marker-icon[data-incident="{incident_id}"]')).to_have_count(0)

    expect(cluster).to_have_attribute("aria-expanded", "false")
    cluster.click()
    expect(cluster).to_have_attribute("aria-expanded", "true")
    listing = page.get_by_role("region", name="3 vụ việc ở cùng một chỗ")
    lines = listing.get_by_role("button", name=re.compile("Cháy"))
    expect(lines).to_have_count(3)
    assert sorted(lines.evaluate_all("els => els.map(e => e.dataset.incident)")) == sorted(same)
    expect(lines.first).to_be_focused()  # the keyboard goes on into the list
    page.screenshot(path=SHOTS / "console-map-cluster-list-1440.png")

    chosen = listing.locator(f'[data-incident="{same[1]}"]')
    chosen.click()
    detail = page.locator(f'.detail[data-incident="{same[1]}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    expect(detail).to_contain_text("Nhà bên cạnh đang cháy!")
    expect(chosen).to_have_attribute("aria-current", "true")
    expect(cluster).to_have_class(re.compile("pin--selected"))  # the open incident is in there
    # The next one from the same list, without going back to the map.
    listing.locator(f'[data-incident="{same[2]}"]').click()
    expect(page.locator(f'.detail[data-incident="{same[2]}"] .detail__actions')).to_be_visible()
    page.screenshot(path=SHOTS / "console-map-cluster-detail-1440.png")

    # Escape closes the list only (the incident stays open) and gives the marker the focus back;
    # Enter on the marker opens the list again.
    page.keyboard.press("Escape")
    expect(listing).to_have_count(0)
    expect(cluster).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f'.detail[data-incident="{same[2]}"]')).to_be_visible()
    expect(cluster).to_be_focused()
    page.keyboard.press("Enter")
    listing = page.get_by_role("region", name="3 vụ việc ở cùng một chỗ")
    expect(listing).to_be_visible()
    expect(listing.get_by_role("button").nth(1)).to_be_focused()  # after "close the list"
    assert errors == []


def test_zooming_in_far_enough_parts_a_cluster_of_nearby_incidents(
    live_server, new_context: NewContext
) -> None:
    here = tan_phu()
    _, a = report(live_server, "traffic", "Va chạm xe máy.", where=here)
    _, b = report(live_server, "crime", "Đánh nhau.", where=offset(here, 0, 200))
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900})
    expect(queue_item(page, b)).to_be_visible()
    # 200 m apart: two pins at street zoom (the first view, ~42 px apart), one marker a zoom out.
    expect(page.locator(".map-panel .leaflet-marker-icon.pin--cluster")).to_have_count(0)
    expect(page.locator(f'.leaflet-marker-icon[data-incident="{a}"]')).to_have_count(1)
    page.locator(".leaflet-control-zoom-out").click()
    expect(page.locator(".map-panel .leaflet-marker-icon.pin--cluster")).to_have_text("2")
    expect(page.locator(f'.leaflet-marker-icon[data-incident="{a}"]')).to_have_count(0)
