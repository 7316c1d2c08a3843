"""Phone intake in the console, in a real Chromium: a dispatcher takes a call, places it on the map
or by ward, and the incident appears in the queue and in the ward's inbox with channel "phone"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.settings import Settings

from .center_helpers import NO_TILES, TAN_PHU, open_console, queue_item, shoot
from .server_checks import doc_json, rows, wait_for
from .test_a11y import serious

if TYPE_CHECKING:
    from tests.browser import NewContext


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def fill_call(page, phone: str, name: str, category: str, text: str) -> None:
    page.locator('[data-action="phone-intake"]').click()
    form = page.locator('[data-form="phone-intake"]')
    expect(form).to_be_visible()
    form.locator('input[name="call-phone"]').fill(phone)
    form.locator('input[name="call-name"]').fill(name)
    form.locator(f'input[name="call-category"][value="{category}"]').check()
    form.locator('textarea[name="call-description"]').fill(text)


def created_id(live_server, text: str) -> str:
    found = wait_for(lambda: rows(live_server, "SELECT id FROM reports WHERE description = ?", text), what="the report")
    return str(found[0]["id"])


@pytest.mark.browser
def test_a_dispatcher_creates_an_incident_from_a_call(live_server, new_context: NewContext) -> None:
    page = open_console(live_server, new_context)

    # 1. Placed by a click on the map.
    text = "Người gọi báo cháy ở kho hàng, có khói lớn"
    fill_call(page, "0912 345 678", "Chị Hoa", "fire", text)
    form = page.locator('[data-form="phone-intake"]')
    form.get_by_role("button", name="Tạo sự vụ").click()
    expect(form.locator(".field-error").first).to_be_visible()  # no place yet: said, nothing sent
    assert rows(live_server, "SELECT count(*) AS n FROM reports")[0]["n"] == 0
    expect(page.locator(".map-panel__map.is-picking")).to_be_visible()
    page.locator(".map-panel__map").click(position={"x": 300, "y": 250})
    expect(page.locator('.phone-intake__pick[data-pick="map"]')).to_be_visible()
    form.get_by_role("button", name="Tạo sự vụ").click()

    incident_id = created_id(live_server, text)
    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", incident_id)[0]
    assert incident["channel"] == "phone" and incident["category"] == "fire" and incident["ward_code"]
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", incident_id)[0]
    assert report["author"] == "dieu.phoi" and report["contact_phone"] == "0912 345 678"
    assert report["location_approximate"] == 0
    # In the queue, opened, marked as a call; and in its ward's inbox with channel "phone".
    expect(queue_item(page, incident_id)).to_be_visible()
    expect(queue_item(page, incident_id).locator('.flag--channel[data-channel="phone"]')).to_have_text("Qua điện thoại")
    expect(page).to_have_url(f"{live_server.url}/center/#/incident/{incident_id}")
    expect(page.locator(".console__detail")).to_contain_text("Chị Hoa")
    expect(page.locator('.console__detail .flag--channel[data-channel="phone"]')).to_have_text("Qua điện thoại · dieu.phoi")
    ward_inbox = f"inbox/ward-{incident['ward_code']}"
    listed = wait_for(lambda: doc_json(live_server, ward_inbox, "incidents").get(incident_id), what=ward_inbox)
    assert listed["channel"] == "phone"

    # 2. Placed by ward only: approximate.
    text = "Người gọi báo bị trộm xe máy, chỉ biết ở phường Tân Phú"
    fill_call(page, "0987 000 111", "Anh Nam", "crime", text)
    page.locator('select[name="call-ward"]').select_option(str(TAN_PHU))
    expect(page.locator('.phone-intake__pick[data-pick="ward"]')).to_be_visible()
    shoot(page, "phone-intake")
    page.locator('[data-form="phone-intake"]').get_by_role("button", name="Tạo sự vụ").click()
    second = created_id(live_server, text)
    expect(queue_item(page, second).locator(".flag--channel")).to_be_visible()
    listed = wait_for(lambda: doc_json(live_server, f"inbox/ward-{TAN_PHU}", "incidents").get(second), what="Tân Phú inbox")
    assert listed["channel"] == "phone"
    expect(page.locator(".console__detail")).to_contain_text("Vị trí gần đúng")
    assert rows(live_server, "SELECT location_approximate FROM reports WHERE id = ?", second)[0]["location_approximate"] == 1


@pytest.mark.browser
def test_the_call_button_is_for_dispatchers_only(live_server, new_context: NewContext) -> None:
    page = open_console(live_server, new_context, username="lanh.dao", role="supervisor")
    expect(page.locator(".topbar")).to_be_visible()
    expect(page.locator('[data-action="phone-intake"]')).to_have_count(0)


@pytest.mark.browser
def test_the_call_form_passes_axe(live_server, new_context: NewContext) -> None:
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    page.locator('[data-action="phone-intake"]').click()
    expect(page.locator('[data-form="phone-intake"]')).to_be_visible()
    page.locator('[data-form="phone-intake"]').get_by_role("button", name="Tạo sự vụ").click()
    expect(page.locator('[data-form="phone-intake"] .field-error').first).to_be_visible()
    assert serious(page) == []
