"""The statistics page's charts, read on a 1440 px desk screen (issue 15): every label of every
chart at least 11 px on screen, and a day series with one day of data drawn as that day's column,
not a line rising from the zero of the day before. A real Chromium (`make pwa` first); the
screenshot goes to /tmp/sos-shots for the issue's closing note."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .center_helpers import report, tan_phu
from .test_stats_page import charts_loaded, seed, signed_in

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/sos-shots")  # pictures of the changed screens, for a person to look at
SVG = "{http://www.w3.org/2000/svg}"


def chart(page: Page, index: int) -> ET.Element:
    """The SVG the page's `index`th chart image shows, fetched with the page's own session."""
    src = page.locator(".stats-chart img").nth(index).evaluate("img => img.currentSrc")
    response = page.request.get(src)
    assert response.ok, response.text()
    return ET.fromstring(response.body())


def smallest_font(root: ET.Element) -> float:
    """The smallest font size any text of the SVG has (set on it or inherited from a group)."""
    sizes: list[float] = []

    def walk(element: ET.Element, inherited: float) -> None:
        size = float(element.get("font-size", inherited))
        if element.tag == f"{SVG}text" and (element.text or "").strip():
            sizes.append(size)
        for child in element:
            walk(child, size)

    walk(root, 16.0)
    return min(sizes)


def test_every_chart_label_is_at_least_11_px_on_a_1440_px_screen(live_server, new_context) -> None:
    seed(live_server)
    page = signed_in(live_server, new_context, "doc.bao.cao", "supervisor", "/center/stats")
    page.set_viewport_size(DESK)
    page.get_by_role("button", name="30 ngày").click()
    expect(page).to_have_url(re.compile(r"from=\d{4}-\d\d-\d\d"))
    charts_loaded(page)
    images = page.locator(".stats-chart img")
    shown = {}
    for i in range(images.count()):
        root = chart(page, i)
        units = float(root.get("viewBox", "").split()[2])
        width = images.nth(i).evaluate("img => img.getBoundingClientRect().width")
        shown[images.nth(i).evaluate("img => img.closest('[data-chart]').dataset.chart")] = round(
            smallest_font(root) * width / units, 1
        )
    print(f"smallest chart label on a 1440 px screen, in CSS px: {shown}")
    assert len(shown) == 3
    assert all(px >= 11 for px in shown.values()), shown  # label sizes in CSS pixels on screen
    # Nothing runs off the page sideways for it.
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    page.screenshot(path=SHOTS / "stats-page-1440-full.png", full_page=True)
    page.locator("#charts").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "stats-charts-1440.png")
    page.locator('[data-chart="series"]').screenshot(path=SHOTS / "stats-series-chart-1440.png")


def test_a_day_series_with_one_day_of_data_draws_that_days_column_not_a_ramp(
    live_server, new_context
) -> None:
    # A new city: three reports today, nothing before. The page's default week.
    for category in ("fire", "crime", "fire"):
        report(live_server, category, where=tan_phu())
    page = signed_in(live_server, new_context, "doc.bao.cao", "supervisor", "/center/stats")
    page.set_viewport_size(DESK)
    expect(page.locator('[data-figure="incidents"]')).to_have_attribute("data-value", "3")
    charts_loaded(page)
    root = chart(page, 0)
    drawn = [e for e in root.iter() if e.get("class") in ("line", "area")]
    assert drawn == []  # no line or area joins today to the empty days before it
    bars = [e for e in root.iter() if e.get("class") == "bar"]
    assert sorted(b.find(f"{SVG}title").text.split(": ")[1] for b in bars) == ["1", "2"]
    assert len({b.get("x") for b in bars}) == 1  # one column: today's, fire on top of crime
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if re.fullmatch(r"\d\d/\d\d", t.text or "")]
    assert float(bars[0].get("x")) > max(xs) - 48  # at the last day of the week, today
    page.locator('[data-chart="series"]').screenshot(path=SHOTS / "stats-one-day-column-1440.png")
