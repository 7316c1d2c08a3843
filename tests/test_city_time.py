"""One time zone everywhere (issue 15): the city's (`SOS_CITY_TIMEZONE`, Asia/Ho_Chi_Minh), given
to the apps by GET /api/config, whatever zone the desk computer or the phone is set to.

Before, the console and the phones used the device's zone and the statistics page the city's, so
one moment read as two different times on two screens of the same desk.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.settings import Settings

from .center_helpers import NO_TILES, open_console, queue_item, report, tan_phu
from .officer_helpers import PHONE, PHU_MY_UNIT, citizen_report, officer_account, sign_in
from .server_checks import rows, wait_for

if TYPE_CHECKING:
    from tests.browser import NewContext

CITY = ZoneInfo("Asia/Ho_Chi_Minh")
ELSEWHERE = "America/New_York"  # 11 or 12 hours behind: never the same clock reading


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def city_clock(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, CITY).strftime("%H:%M:%S")


def city_stamp(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, CITY).strftime("%d/%m/%Y %H:%M:%S")


def test_the_config_names_the_citys_time_zone(client, settings: Settings) -> None:
    assert settings.city_timezone == "Asia/Ho_Chi_Minh"
    assert client.get("/api/config").json()["timezone"] == "Asia/Ho_Chi_Minh"
    assert (
        Settings.from_env({"SOS_CITY_TIMEZONE": "Asia/Bangkok"}, dotenv=None).city_timezone
        == "Asia/Bangkok"
    )


@pytest.mark.browser
def test_the_console_and_the_statistics_page_show_the_citys_clock_on_a_desk_in_new_york(
    live_server, new_context: NewContext, watch_console
) -> None:
    _, incident_id = report(live_server, "crime", where=tan_phu())
    arrived = rows(live_server, "SELECT arrived_at FROM incidents WHERE id = ?", incident_id)[0][
        "arrived_at"
    ]
    page = open_console(
        live_server,
        lambda **o: new_context(timezone_id=ELSEWHERE, **o),
        username="truong.ca",
        role="supervisor",
    )
    errors = watch_console(page)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == ELSEWHERE

    queue_item(page, incident_id).click()
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    expect(detail.locator(".detail__sub")).to_contain_text(f"đến lúc {city_clock(arrived)}")
    expect(detail.locator(".facts")).to_contain_text(city_clock(arrived))
    # The top bar's clock is the city's too (to the minute: the second may turn over meanwhile).
    city_now = dt.datetime.now(CITY)
    expect(page.locator(".topbar__clock")).to_have_text(re.compile(rf"^{city_now:%H}:\d\d:\d\d$"))

    # The statistics page, in the same browser: the audit log's entry of that read, in city time.
    read_at = wait_for(
        lambda: rows(
            live_server,
            "SELECT at FROM audit_log WHERE action = 'report.read' AND target = ?",
            f"report/{incident_id}",
        ),
        what="the audited read",
    )[0]["at"]
    page.goto(live_server.url + "/center/stats")
    entry = page.locator('[data-table="audit"] tbody tr', has_text=f"report/{incident_id}").first
    expect(entry.locator("td").first).to_have_text(city_stamp(read_at))
    assert errors == []


@pytest.mark.browser
def test_an_officers_phone_elsewhere_shows_the_citys_clock(
    live_server, new_context: NewContext
) -> None:
    officer_account(live_server, "pm.officer", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    arrived = rows(live_server, "SELECT arrived_at FROM incidents WHERE id = ?", report_id)[0][
        "arrived_at"
    ]
    page = new_context(viewport=PHONE, timezone_id=ELSEWHERE).new_page()
    sign_in(page, live_server, "pm.officer", f"/officer/#/incident/{report_id}")
    expect(page.locator(".o-report__text")).to_be_visible()
    expect(page.get_by_text(f"Báo lúc {city_clock(arrived)[:5]}")).to_be_visible()
