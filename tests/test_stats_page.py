"""The statistics page at /center/stats in a real Chromium: its figures are the API's, its CSV
links and charts load, the audit log is there for supervisors only, and it prints on A4.

A generated history (`app.stats_history`, 400 incidents over the last 30 days) is written straight
into the rows of the live server's database, as tests/test_stats.py does; the screenshots go to
/tmp/sos-stats/ for a person to look at.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.identity import audit
from app.identity.auth import Principal
from app.stats import history as stats_history

from .conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path("/tmp/sos-stats")
A4_CONTENT = {"width": 703, "height": 1010}  # 210 × 297 mm less 12 mm margins, in CSS pixels


def seed(server: LiveServer, n: int = 400) -> None:
    history = stats_history.generate(n, days=30, end=time.time() - 60, seed=9)
    stats_history.insert(server.svc.db, history)
    uid = server.svc.accounts.create_sync("doc.tin", PASSWORD, "dispatcher")
    reader = Principal(kind="user", id=str(uid), role="dispatcher", username="doc.tin")
    server.svc.db.write_sync(
        lambda tx: [
            audit.append(tx, reader, "report.read", f"report/{i['id']}")
            for i in history.incidents[:3]
        ]
    )


def signed_in(server: LiveServer, new_context, username: str, role: str, path: str) -> Page:
    """A browser at `path` (a deep link into the center app), signed in through its own form."""
    server.svc.accounts.create_sync(username, PASSWORD, role)
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(server.url + path)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".stats")).to_be_visible()
    return page


def api(page: Page, path: str) -> dict[str, Any]:
    """The same figure fetched by the page's own session (its cookie)."""
    r = page.request.get(page.url.split("/center/")[0] + path)
    assert r.ok, r.text()
    return r.json()


def period(page: Page) -> tuple[str, str]:
    return page.locator('input[name="from"]').input_value(), page.locator(
        'input[name="to"]'
    ).input_value()


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def charts_loaded(page: Page) -> None:
    images = page.locator(".stats-chart img")
    expect(images).to_have_count(3)
    for i in range(3):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


def test_the_page_shows_the_api_figures_with_csv_and_charts(
    live_server, new_context, watch_console
) -> None:
    seed(live_server)
    page = signed_in(
        live_server, new_context, "truong.ca", "supervisor", "/center/stats?group=category"
    )
    errors = watch_console(page)
    page.get_by_role("button", name="30 ngày").click()
    expect(page).to_have_url(re.compile(r"from=\d{4}-\d\d-\d\d.*group=category"))
    start, end = period(page)

    expected = api(page, f"/api/stats/response-times?from={start}&to={end}&group=category")
    within = expected["overall"]["dispatched_within_60s"]
    assert within["of"] > 100  # the history really is in the period
    headline = page.locator('[data-figure="within60"]')
    expect(headline).to_have_attribute("data-value", str(within["share"]))
    expect(headline).to_contain_text(f"{within['share'] * 100:.1f}".replace(".", ","))
    expect(headline).to_contain_text(f"{within['count']} / {within['of']}")
    median = expected["overall"]["stages"]["dispatch"]["median_s"]
    expect(page.locator('[data-figure="dispatch-median"]')).to_have_attribute(
        "data-value", str(median)
    )
    stage_row = page.locator('[data-table="stages"] tr[data-stage="on_scene"] td').nth(1)
    expect(stage_row).to_have_attribute(
        "data-value", str(expected["overall"]["stages"]["on_scene"]["median_s"])
    )
    # Issue 16: the travel time (a unit en route → on scene) next to the response times.
    travel = expected["overall"]["stages"]["unit_travel"]["median_s"]
    assert travel is not None
    expect(page.locator('[data-table="stages"] tr[data-stage="unit_travel"] td').nth(1)).to_have_attribute(
        "data-value", str(travel)
    )
    first_row = expected["rows"][0]
    expect(page.locator(
        f'[data-table="groups"] tr[data-key="{first_row["key"]}"] td[data-stage="unit_travel"]'
    )).to_have_attribute("data-median", str(first_row["stages"]["unit_travel"]["median_s"]))
    groups = page.locator('[data-table="groups"] tbody tr')
    expect(groups).to_have_count(len(expected["rows"]))
    for row in expected["rows"]:
        share = page.locator(f'[data-table="groups"] tr[data-key="{row["key"]}"] td[data-value]')
        expect(share).to_have_attribute("data-value", str(row["dispatched_within_60s"]["share"]))

    overview = api(page, "/api/stats/overview")
    expect(page.locator('[data-figure="open"]')).to_have_attribute(
        "data-value", str(overview["open"]["total"])
    )

    # Filters narrow every figure, and the address says so (shareable, printable).
    page.get_by_label("Loại tin", exact=True).select_option("fire")
    expect(page).to_have_url(re.compile(r"category=fire"))
    fire = api(
        page, f"/api/stats/response-times?from={start}&to={end}&category=fire&group=category"
    )
    expect(headline).to_have_attribute(
        "data-value", str(fire["overall"]["dispatched_within_60s"]["share"])
    )

    charts_loaded(page)
    links = page.locator("a.stats-csv")
    assert links.count() >= 7
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        assert "category=fire" in href or href.startswith("/api/audit"), href
        r = page.request.get(live_server.url + href)
        assert r.status == 200, (href, r.text())
        assert r.headers["content-type"].startswith("text/csv"), href

    # The map: Leaflet's chunk loaded, the period's incidents drawn, boundaries behind them.
    expect(page.locator('.stats-map[data-map="ready"] .leaflet-overlay-pane canvas')).to_have_count(
        1
    )
    expect(page.locator("[data-map-mode]")).to_have_attribute("data-map-mode", "points")

    # The audit log: the three report openings, by whom.
    audit_rows = page.locator('[data-table="audit"] tbody tr')
    expect(audit_rows).to_have_count(3)
    expect(audit_rows.first).to_contain_text("doc.tin")
    assert errors == []


def test_a_dispatcher_sees_the_figures_but_no_audit_log(live_server, new_context) -> None:
    seed(live_server, 50)
    page = signed_in(live_server, new_context, "dieu.phoi", "dispatcher", "/center/stats")
    expect(page.locator('[data-figure="within60"]')).to_be_visible()
    expect(page.locator("#map")).to_be_visible()
    expect(page.locator("#audit")).to_have_count(0)


def test_an_officer_is_turned_away(live_server, new_context) -> None:
    live_server.svc.accounts.create_sync("can.bo", PASSWORD, "officer", "ward-26704")
    page = new_context(viewport=LAPTOP).new_page()
    page.goto(live_server.url + "/center/stats")
    page.get_by_label("Tên đăng nhập").fill("can.bo")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".stats")).to_have_count(0)
    token = httpx.post(
        f"{live_server.url}/api/auth/login", json={"username": "can.bo", "password": PASSWORD}
    ).json()["token"]
    r = httpx.get(
        f"{live_server.url}/api/stats/overview", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403


def test_screenshots_of_the_page_and_its_print_layout(live_server, new_context) -> None:
    seed(live_server)
    page = signed_in(live_server, new_context, "lanh.dao", "supervisor", "/center/stats?group=ward")
    page.get_by_role("button", name="30 ngày").click()
    expect(page.locator('[data-table="groups"] tbody tr').first).to_be_visible()
    expect(page.locator('[data-table="audit"] tbody tr')).to_have_count(3)
    charts_loaded(page)
    expect(page.locator('.stats-map[data-map="ready"]')).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / "stats-1366.png")
    shoot(page, "stats-1366-full")

    page.emulate_media(media="print")
    page.set_viewport_size(A4_CONTENT)  # what fits between the print margins, at 96 px per inch
    expect(page.locator(".stats-filters").first).to_be_hidden()
    expect(page.locator(".stats-summary")).to_be_visible()
    expect(page.locator("a.stats-csv").first).to_be_hidden()
    shoot(page, "stats-print")
    page.screenshot(path=SCREENSHOTS / "stats-print-page1.png")

    pdf = page.pdf(format="A4", print_background=False)
    (SCREENSHOTS / "stats.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 1
