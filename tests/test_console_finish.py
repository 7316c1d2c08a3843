"""The console's finish (issue 15): what a dispatcher trips over in a real walkthrough. A real
Chromium against the real server, citizens and officers as Python sync clients (`make pwa` first).

- closing without an outcome is said next to the field, in the page's language;
- the overdue warning shows once; triage and dispatch are disabled once the incident is resolved,
  closed or rejected;
- merge candidates of the same category come first, the others are marked, the line reads well;
- durations are in the language of the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .center_helpers import (
    NO_TILES,
    TAN_PHU,
    offset,
    open_console,
    queue_item,
    report,
    tan_phu,
    write,
)
from .citizen_helpers import police
from .server_checks import rows

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
WARD = f"ward-{TAN_PHU}"
TRIAGE = ["Xác minh", "Điều động", "Từ chối", "Gộp trùng"]

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def open_incident(page: Page, incident_id: str):
    """Open an incident by its address (as a push notification does), loaded and ready."""
    page.evaluate("id => { location.hash = '#/incident/' + id; }", incident_id)
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    return detail


def append(client, incident_id: str, log: str, **entry) -> None:
    answer = write(client, incident_id, log, **entry)
    assert answer.status_code == 200, answer.text


# --- closing without an outcome ---------------------------------------------------------------


def test_closing_without_an_outcome_is_said_next_to_the_field_in_the_pages_language(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    _, incident_id = report(live_server, "fire", "Cháy quán ăn.", where=tan_phu())
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    detail = open_incident(page, incident_id)
    page.keyboard.press("c")
    close = page.locator('[data-form="close"]')
    close.get_by_role("button", name="Đóng vụ việc").click()

    outcome = close.get_by_role("group", name="Kết quả")
    expect(outcome.get_by_role("alert")).to_have_text("Chọn kết quả xử lý trước khi đóng vụ việc.")
    expect(outcome).to_have_attribute("aria-invalid", "true")
    expect(outcome.locator("input").first).to_be_focused()
    # The form checks itself: no browser bubble (that speaks the browser's language, not the page's).
    assert close.evaluate("form => form.noValidate && form.checkValidity()")
    expect(close.locator("[required]")).to_have_count(0)
    # Nothing was sent.
    expect(detail).to_have_attribute("data-status", "new")
    sql = "SELECT status, outcome FROM incidents WHERE id = ?"
    assert rows(live_server, sql, incident_id)[0] == {"status": "new", "outcome": None}

    page.get_by_role("button", name="English").click()
    outcome = close.get_by_role("group", name="Outcome")
    expect(outcome.get_by_role("alert")).to_have_text(
        "Choose an outcome before closing the incident."
    )
    close.locator("label.choice", has_text="False alarm").click()
    expect(close.get_by_role("alert")).to_have_count(0)  # chosen: the message goes
    close.get_by_role("button", name="Close incident").click()
    expect(detail).to_have_attribute("data-status", "closed")
    assert rows(live_server, sql, incident_id)[0] == {"status": "closed", "outcome": "false_alarm"}
    assert errors == []


# --- the overdue warning once; triage and dispatch off when there is nothing left to triage ----


class TestOverdue:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(triage_timeout_s=2)

    def test_the_overdue_warning_shows_once(
        self, live_server, new_context: NewContext, watch_console: WatchConsole
    ) -> None:
        page = open_console(live_server, new_context)
        errors = watch_console(page)
        _, late_id = report(live_server, "fire", "Khói bốc lên từ tầng hai.", where=tan_phu())
        expect(queue_item(page, late_id)).to_have_class(re.compile(r"\bis-escalated\b"))
        detail = open_incident(page, late_id)
        banners = detail.locator(".banners")
        # Escalated by the server and past the console's own countdown: one warning, how late.
        expect(banners).to_contain_text(re.compile(r"Quá hạn xác minh \d+ giây"))
        expect(detail.get_by_text(re.compile("Quá hạn"))).to_have_count(1)
        expect(banners.get_by_role("alert")).to_have_count(1)
        assert errors == []


def test_triage_and_dispatch_are_disabled_on_resolved_closed_and_rejected_incidents(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    here = tan_phu()
    ids = {
        key: report(live_server, "crime", text, where=offset(here, 500 * n, 0))[1]
        for n, (key, text) in enumerate(
            [
                ("open", "Trộm xe máy."),
                ("resolved", "Đánh nhau, đã giải tán."),
                ("closed", "Mất ví."),
                ("rejected", "Quảng cáo."),
            ]
        )
    }
    dp = police(live_server, "dp.truc", "dispatcher")
    officer = police(live_server, "cb.phuong", "officer", WARD)
    append(dp, ids["resolved"], "dispatch", action="dispatch", unit=WARD)
    for stage in ("acknowledged", "on_scene", "resolved"):
        append(officer, ids["resolved"], "timeline", type=stage, unit=WARD)
    append(dp, ids["closed"], "dispatch", action="close", outcome="handled")
    append(dp, ids["rejected"], "dispatch", action="reject", reason="spam")

    page = open_console(live_server, new_context)
    errors = watch_console(page)
    toolbar = lambda detail: detail.locator(".detail__actions")  # noqa: E731

    detail = open_incident(page, ids["open"])
    for name in TRIAGE:
        expect(toolbar(detail).get_by_role("button", name=re.compile(name))).to_be_enabled()

    for key, status in (("resolved", "resolved"), ("closed", "closed"), ("rejected", "rejected")):
        detail = open_incident(page, ids[key])
        expect(detail).to_have_attribute("data-status", status)
        for name in TRIAGE:
            expect(toolbar(detail).get_by_role("button", name=re.compile(name))).to_be_disabled()
        for shortcut, form in (("v", "verify"), ("d", "dispatch"), ("r", "reject"), ("g", "merge")):
            page.keyboard.press(shortcut)
            expect(page.locator(f'[data-form="{form}"]')).to_have_count(0)
        if key == "resolved":  # what is left to do: close it
            expect(
                toolbar(detail).get_by_role("button", name=re.compile("Đóng vụ việc"))
            ).to_be_enabled()
        else:
            expect(toolbar(detail).get_by_role("button", name=re.compile("Mở lại"))).to_be_enabled()
    assert errors == []


# --- merge candidates ---------------------------------------------------------------------------


def test_merge_candidates_of_the_same_category_come_first_and_the_others_are_marked(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    here = tan_phu()
    _, me = report(live_server, "crime", "Giật túi xách trước chợ.", where=here)
    _, fire = report(live_server, "fire", "Khói ở chợ.", where=offset(here, 0, 20))  # nearer
    _, crime = report(live_server, "crime", "Cướp giật ở cổng chợ.", where=offset(here, 50, 0))
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    open_incident(page, me)
    page.keyboard.press("g")
    merge = page.locator('[data-form="merge"]')
    candidates = merge.locator("[data-candidate]")
    expect(candidates).to_have_count(2)
    expect(candidates.nth(0)).to_have_attribute("data-candidate", crime)
    expect(candidates.nth(1)).to_have_attribute("data-candidate", fire)
    expect(candidates.nth(0).locator("input")).to_be_checked()  # the likely duplicate, chosen
    expect(candidates.nth(1)).to_contain_text("khác loại")
    expect(candidates.nth(0)).not_to_contain_text("khác loại")
    # One space either side of each dot, none missing.
    meta = candidates.nth(0).locator(".candidate__meta")
    expect(meta).to_have_text(
        re.compile(r"^cách \d+ m · đến (trước|sau) \d+ giây · Phường Tân Phú$")
    )
    top = candidates.nth(1).locator(".candidate__top")
    expect(top).to_have_text(re.compile(r"^Cháy nổ khác loại · P\d · Mới\s*[0-9A-F]{8}$"))
    page.get_by_role("button", name="English").click()
    expect(candidates.nth(1)).to_contain_text("other category")
    assert errors == []


# --- durations in the language of the page --------------------------------------------------


def test_durations_read_in_the_language_of_the_page(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    here = tan_phu()
    _, first = report(live_server, "traffic", "Xe tải va chạm xe máy.", where=here)
    _, second = report(live_server, "traffic", "Tai nạn ở ngã tư.", where=offset(here, 40, 0))
    live_server.svc.db.write_sync(
        lambda tx: tx.execute(
            "UPDATE incidents SET arrived_at = (SELECT arrived_at FROM incidents WHERE id = ?) - 91 WHERE id = ?",
            (second, first),
        )
    )
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    detail = open_incident(page, second)
    expect(detail.locator(".detail__sub")).to_contain_text(re.compile(r"\d+ giây trước"))
    page.keyboard.press("g")
    candidate = page.locator(f'[data-form="merge"] [data-candidate="{first}"]')
    expect(candidate).to_contain_text("đến trước 1 phút 31 giây")

    page.get_by_role("button", name="English").click()
    expect(candidate).to_contain_text("arrived 1 min 31 s earlier")
    expect(detail.locator(".detail__sub")).to_contain_text(re.compile(r"\d+ s ago"))
    assert errors == []
