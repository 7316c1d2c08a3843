"""One category vocabulary across the apps and both languages (issue 23, point 10): the same
colour, pin shape and icon for each category on the console's map and queue, the statistics' map
legend and the citizen's tiles, in Vietnamese and in English; the same name for `crime` in each;
and the server's copy (push, CSV, Open311, chart colours) equal to the one the apps read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.categories import COLOURS, NAMES
from app.incidents.documents import CATEGORIES as DOCUMENT_CATEGORIES
from app.settings import Settings

from .center_helpers import NO_TILES, offset, open_console, report, tan_phu
from .conftest import PASSWORD

if TYPE_CHECKING:
    from tests.browser import NewContext

VOCABULARY = json.loads(
    (Path(__file__).resolve().parent.parent / "pwa" / "src" / "core" / "categories.json").read_text()
)["categories"]
CODES = ["crime", "traffic", "fire", "other"]
SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_the_servers_names_and_colours_are_the_apps() -> None:
    assert [c["code"] for c in VOCABULARY] == CODES == list(DOCUMENT_CATEGORIES)
    for lang in ("vi", "en"):
        assert NAMES[lang] == {c["code"]: c["names"][lang] for c in VOCABULARY}
    assert {c["code"]: c["colour"] for c in VOCABULARY} == COLOURS


# What each screen shows per category: {code: {colour, mark (the icon's path data), name}}.
READ_PINS = """(items) => Object.fromEntries(items.map((li) => {
  const pin = li.querySelector('.pin');
  return [pin.dataset.category, {
    colour: getComputedStyle(pin.querySelector('.pin__shape')).backgroundColor,
    mark: pin.querySelector('svg path').getAttribute('d'),
    name: li.textContent.trim(),
  }];
}))"""
READ_TILES = """(tiles) => Object.fromEntries(tiles.map((tile) => [tile.dataset.category, {
  colour: getComputedStyle(tile).borderTopColor,
  mark: tile.querySelector('.category__icon svg path').getAttribute('d'),
  name: tile.querySelector('.category__label').textContent.trim(),
}]))"""


def console_legend(page: Page) -> dict[str, Any]:
    items = page.locator(".map-legend li:has(.pin)")
    expect(items).to_have_count(4)
    return items.evaluate_all(READ_PINS)


def stats_legend(page: Page) -> dict[str, Any]:
    items = page.locator(".stats-legend li")
    expect(items).to_have_count(4)
    return items.evaluate_all(READ_PINS)


def citizen_tiles(page: Page) -> dict[str, Any]:
    tiles = page.locator(".category[data-category]")
    expect(tiles).to_have_count(4)
    return tiles.evaluate_all(READ_TILES)


def expected(lang: str) -> dict[str, Any]:
    return {c["code"]: {"colour": rgb(c["colour"]), "mark": c["icon"], "name": c["names"][lang]} for c in VOCABULARY}


@pytest.mark.browser
def test_one_category_vocabulary_across_apps_and_languages(
    live_server, new_context: NewContext, watch_console
) -> None:
    SHOTS.mkdir(exist_ok=True)
    # A pin of each category in the queue and on the map too.
    # Far enough apart (600 m) that each has its own marker rather than one cluster.
    ids = {code: report(live_server, code, f"Tin báo {code}", where=offset(tan_phu(), 600 * n, 0))[1]
           for n, code in enumerate(CODES)}
    console = open_console(live_server, new_context, viewport={"width": 1440, "height": 900})
    errors = watch_console(console)
    stats = new_context(viewport={"width": 1440, "height": 900}).new_page()
    errors += watch_console(stats)
    stats.goto(live_server.url + "/center/stats")
    stats.get_by_label("Tên đăng nhập").fill("dieu.phoi")
    stats.get_by_label("Mật khẩu").fill(PASSWORD)
    stats.get_by_role("button", name="Đăng nhập").click()
    expect(stats.locator(".stats")).to_be_visible()
    citizen = new_context(viewport={"width": 360, "height": 640}).new_page()
    errors += watch_console(citizen)
    citizen.goto(live_server.url + "/")

    for lang in ("vi", "en"):
        want = expected(lang)
        seen = {"console": console_legend(console), "stats": stats_legend(stats), "citizen": citizen_tiles(citizen)}
        for where, got in seen.items():
            assert got == want, (lang, where, got)
        # The queue's pins are the map's: same shape class, colour and icon.
        for code, incident in ids.items():
            pin = console.locator(f'.q-item[data-incident="{incident}"] .pin')
            expect(pin).to_have_class(f"pin pin--list pin--{code}")
            assert pin.locator("svg path").get_attribute("d") == want[code]["mark"]
        for code, incident in ids.items():
            marker = console.locator(f'.leaflet-marker-icon[data-incident="{incident}"]')
            expect(marker).to_have_class(re.compile(rf"\bpin--{code}\b"))
            assert marker.locator("svg path").get_attribute("d") == want[code]["mark"]
        console.screenshot(path=SHOTS / f"console-vocabulary-{lang}.png")
        stats.locator(".stats-legend").scroll_into_view_if_needed()
        stats.screenshot(path=SHOTS / f"console-stats-map-{lang}.png")
        citizen.screenshot(path=SHOTS / f"console-citizen-tiles-{lang}.png")
        if lang == "vi":
            for page in (console, stats, citizen):
                page.get_by_role("button", name="English").first.click()
            expect(console.locator(".map-legend")).to_contain_text("Crime and public order")

    # The server says it the same way: the statistics' CSV and the push texts' names.
    english = NAMES["en"]["crime"]
    assert english == "Crime and public order"
    r = httpx.get(f"{live_server.url}/api/stats/series.csv", params={"lang": "en"},
                  cookies=dict((c["name"], c["value"]) for c in stats.context.cookies()))
    assert r.status_code == 200, r.text
    assert english in r.text.splitlines()[0]
    assert errors == []
