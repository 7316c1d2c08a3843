"""Accessibility in CI: axe-core (npm `axe-core`, pinned in tests/a11y) injected into the real
Chromium on the screens of the three apps. The gate is 0 serious and 0 critical violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .center_helpers import open_console, queue_item, report, tan_phu
from .conftest import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 640}


def serious(page: Page) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; the serious and critical findings, each with its nodes."""
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: make a11y (make test does)")
    page.add_script_tag(content=AXE.read_text())
    # Also the experimental rule that a control's name contains its visible text (speech input).
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations'],"
        " rules: {'label-content-name-mismatch': {enabled: true}}})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result if v["impact"] in ("serious", "critical")
    ]


def test_citizen_screens(live_server: LiveServer, new_context) -> None:
    page = new_context(viewport=PHONE, locale="vi-VN", bypass_csp=True).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator("main")).to_be_visible()
    found = {"home": serious(page)}
    assert found == {"home": []}


def test_console_screens(live_server: LiveServer, new_context) -> None:
    page = new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True).new_page()
    page.goto(live_server.url + "/center/")
    found = {"sign-in": serious(page)}
    page.close()
    report(live_server, "fire", "Cháy nhà dân, khói đen", where=tan_phu())
    _, crime = report(live_server, "crime", where=tan_phu())
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    expect(queue_item(page, crime)).to_be_visible()
    found["queue"] = serious(page)
    queue_item(page, crime).click()
    expect(page.locator(f'.detail[data-incident="{crime}"] .detail__actions')).to_be_visible()
    found["detail"] = serious(page)
    page.keyboard.press("d")
    expect(page.locator('[data-form="dispatch"]')).to_be_visible()
    found["dispatch"] = serious(page)
    page.goto(live_server.url + "/center/stats")
    expect(page.locator(".stats")).to_be_visible()
    found["stats"] = serious(page)
    assert found == {"sign-in": [], "queue": [], "detail": [], "dispatch": [], "stats": []}
