"""The command center console (issue 5): a real headless Chromium against the real server, citizens
as Python sync clients. Needs a build (`make pwa`). Screenshots go to /tmp/sos-center/.

Also here: the merge candidates endpoint, the server refusing an officer's dispatcher write, and
the console's port of the status rule checked against app/incidents/state.py in Node.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect
from pycrdt import Map

from app.incidents.state import fold
from app.settings import Settings

from .center_helpers import (
    LAPTOP,
    NO_TILES,
    TAN_PHU,
    WALL,
    bearer,
    beeps,
    offset,
    open_console,
    queue_item,
    reply_of,
    report,
    shoot,
    tan_phu,
    title_count,
    unlock_sound,
    write,
)
from .citizen_helpers import police
from .media import files
from .media.helpers import create, upload, wait_media
from .server_checks import doc_json, rows, wait_for
from .test_incident_state import INFO, d, t

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
WARD = f"ward-{TAN_PHU}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No timer fires mid-test unless a test asks; the map's tile server is unreachable.
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


# --- 1. a report appears live; triage and dispatch from the keyboard ---------------------------


@pytest.mark.browser
def test_a_report_appears_live_and_is_triaged_and_dispatched_from_the_keyboard(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    unlock_sound(page)
    before = beeps(page)

    _, incident_id = report(live_server, "crime", where=tan_phu())
    item = queue_item(page, incident_id)
    expect(item).to_be_visible()  # no reload: the inbox document arrived over the socket
    expect(item).to_have_class(re.compile(r"\bis-unseen\b"))
    expect(item).to_contain_text("MỚI")
    expect(page.locator('[data-alert="new"]')).to_contain_text("1 tin báo mới chưa xem")
    wait_for(lambda: title_count(page) == 1, what="title badge (1)")
    wait_for(lambda: beeps(page) > before, what="the arrival sound")
    shoot(page, "1-new-report-1366")

    page.keyboard.press("j")
    page.keyboard.press("Enter")
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    expect(detail).to_contain_text("Hai thanh niên giật túi xách")
    expect(detail.locator(".detail__actions")).to_be_visible()
    expect(item).not_to_have_class(re.compile(r"\bis-unseen\b"))  # looked at: no longer "new"
    wait_for(lambda: title_count(page) is None, what="title badge cleared")

    page.keyboard.press("v")
    verify = page.locator('[data-form="verify"]')
    expect(verify).to_be_visible()
    page.keyboard.press("2")  # priority 2
    expect(verify.locator('input[name="priority"][value="2"]')).to_be_checked()
    page.keyboard.press("Enter")
    expect(detail).to_have_attribute("data-status", "triaged")

    page.keyboard.press("d")
    picker = page.locator('[data-form="dispatch"]')
    expect(picker.locator(f'[data-unit="{WARD}"] input')).to_be_checked()
    shoot(page, "2-dispatch-picker-1366")
    page.keyboard.press("Enter")
    expect(detail).to_have_attribute("data-status", "dispatched")
    card = detail.locator(f'[data-assignment="{WARD}"]')
    expect(card.locator('[data-stamp="dispatched"] .stamp__time')).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))

    # The server's side: rows with their timestamps, the ward's inbox, the audit of the read.
    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", incident_id)[0]
    assert incident["status"] == "dispatched" and incident["priority"] == 2
    assert incident["triaged_at"] and incident["dispatched_at"] >= incident["triaged_at"]
    assignment = rows(
        live_server, "SELECT * FROM assignments WHERE incident_id = ? AND unit = ?", incident_id, WARD
    )[0]
    assert assignment["dispatched_at"] and assignment["dispatched_by"]
    listed = wait_for(
        lambda: (doc_json(live_server, f"inbox/{WARD}", "incidents").get(incident_id) or {}).get("assigned"),
        what="the ward's inbox lists it as assigned",
    )
    assert listed
    reads = rows(
        live_server,
        "SELECT * FROM audit_log WHERE action = 'incident.read' AND target = ? AND actor_role = 'dispatcher'",
        f"incident/{incident_id}",
    )
    assert reads, "opening the incident is an audited police read"
    shoot(page, "3-dispatched-1366")
    assert errors == []


@pytest.mark.browser
def test_the_sound_can_be_muted_and_stays_muted(live_server, new_context: NewContext) -> None:
    page = open_console(live_server, new_context)
    unlock_sound(page)
    sound = page.locator(".topbar").get_by_role("button", name=re.compile("Chuông"))
    expect(sound).to_have_text(re.compile("Chuông: bật"))
    page.keyboard.press("s")
    expect(sound).to_have_text(re.compile("Chuông: tắt"))
    before = beeps(page)
    _, incident_id = report(live_server, "crime", where=tan_phu())
    expect(queue_item(page, incident_id)).to_be_visible()
    expect(page.locator('[data-alert="new"]')).to_be_visible()  # still shown, only silent
    assert beeps(page) == before
    page.reload()
    expect(page.locator(".topbar").get_by_role("button", name=re.compile("Chuông"))).to_have_text(
        re.compile("Chuông: tắt")
    )


# --- 2. reject and merge; the citizens' reply documents follow ---------------------------------


@pytest.mark.browser
def test_reject_and_merge_reach_the_citizens(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    here = tan_phu()
    main_citizen, main_id = report(live_server, "traffic", "Xe tải va chạm xe máy.", where=here)
    dup_citizen, dup_id = report(
        live_server, "traffic", "Tai nạn ở ngã tư, có người bị thương.", where=offset(here, 80, 60)
    )
    far_citizen, far_id = report(
        live_server, "other", "Quảng cáo bán hàng.", where=offset(here, 2000, 0)
    )
    for incident_id in (main_id, dup_id, far_id):
        expect(queue_item(page, incident_id)).to_be_visible()

    # Merge: the duplicate's candidates are the nearby main incident, not the far one.
    queue_item(page, dup_id).click()
    detail = page.locator(f'.detail[data-incident="{dup_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    detail.get_by_role("button", name=re.compile("Gộp trùng")).click()
    merge = page.locator('[data-form="merge"]')
    candidate = merge.locator(f'[data-candidate="{main_id}"]')
    expect(candidate).to_contain_text("cách 100 m")
    expect(merge.locator(f'[data-candidate="{far_id}"]')).to_have_count(0)
    expect(candidate.locator("input")).to_be_checked()
    shoot(page, "4-merge-candidates-1366")
    merge.get_by_role("button", name="Gộp vào vụ việc đã chọn").click()
    expect(detail).to_have_attribute("data-status", "merged")
    expect(queue_item(page, dup_id)).to_have_count(0)  # no longer open: off the queue

    merged = wait_for(
        lambda: (r := reply_of(dup_citizen, dup_id)).get("merged_into") == main_id and r,
        what="the merged citizen's reply",
    )
    assert merged["status"] == "delivered"  # the main incident (not triaged yet)'s status, as the citizen says it

    # The merged report's citizen follows the main incident: dispatch it, theirs moves too.
    queue_item(page, main_id).click()
    expect(page.locator(f'.detail[data-incident="{main_id}"] .detail__actions')).to_be_visible()
    page.keyboard.press("d")
    page.locator('[data-form="dispatch"]').get_by_role("button", name=re.compile("Điều động")).click()
    expect(page.locator(f'.detail[data-incident="{main_id}"]')).to_have_attribute("data-status", "dispatched")
    for citizen, incident_id in ((dup_citizen, dup_id), (main_citizen, main_id)):
        wait_for(
            lambda c=citizen, i=incident_id: reply_of(c, i).get("status") == "in_progress",
            what="both citizens see progress",
        )

    # Reject with a reason: the citizen sees "not handled" and why.
    queue_item(page, far_id).click()
    expect(page.locator(f'.detail[data-incident="{far_id}"] .detail__actions')).to_be_visible()
    page.keyboard.press("r")
    reject = page.locator('[data-form="reject"]')
    reject.locator("label.choice", has_text="Tin rác, quấy rối").click()
    reject.get_by_label("Ghi chú (không gửi cho người báo)").fill("Quảng cáo, không phải tin.")
    shoot(page, "5-reject-1366")
    reject.get_by_role("button", name="Từ chối", exact=True).click()
    expect(page.locator(f'.detail[data-incident="{far_id}"]')).to_have_attribute("data-status", "rejected")
    rejected = wait_for(
        lambda: (r := reply_of(far_citizen, far_id)).get("status") == "not_handled" and r,
        what="the rejected citizen's reply",
    )
    assert rejected["reason"] == "spam"
    sql = "SELECT status, rejected_reason, triaged_at FROM incidents WHERE id = ?"
    row = rows(live_server, sql, far_id)[0]
    assert row["status"] == "rejected" and row["rejected_reason"] == "spam" and row["triaged_at"]
    assert errors == []


# --- 3. escalations: untriaged past the limit, a dispatch not acknowledged ---------------------


class TestEscalation:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(triage_timeout_s=2, ack_timeout_s=2)

    @pytest.mark.browser
    def test_overdue_reports_and_assignments_are_raised_and_put_in_the_outbox(
        self, live_server, new_context: NewContext, watch_console: WatchConsole
    ) -> None:
        page = open_console(live_server, new_context)
        errors = watch_console(page)
        unlock_sound(page)
        _, late_id = report(live_server, "fire", "Khói bốc lên từ tầng hai.", where=tan_phu())
        # Nobody verifies it: past the limit the server escalates it.
        late = queue_item(page, late_id)
        expect(late).to_have_class(re.compile(r"\bis-escalated\b"))
        expect(late).to_contain_text("Quá hạn xác minh")
        expect(page.locator('[data-alert="escalated"]')).to_contain_text("1 vụ việc cần xử lý gấp")
        items = rows(live_server, "SELECT * FROM outbox WHERE topic = 'escalation'")
        assert [i["key"] for i in items] == [f"escalation:{late_id}:not_triaged"]
        shoot(page, "6-escalated-1366")

        # Dispatched but nobody acknowledges: the assignment's timer escalates in turn.
        late.click()
        detail = page.locator(f'.detail[data-incident="{late_id}"]')
        expect(detail.locator(".detail__actions")).to_be_visible()
        page.keyboard.press("d")
        expect(page.locator('[data-form="dispatch"] button[type="submit"]')).to_be_focused()
        page.keyboard.press("Enter")
        expect(detail).to_have_attribute("data-status", "dispatched")
        expect(late).to_contain_text("Công an phường Tân Phú chưa nhận lệnh")
        expect(detail.locator(f'[data-assignment="{WARD}"]')).to_contain_text("Quá hạn nhận lệnh")
        keys = {i["key"] for i in rows(live_server, "SELECT key FROM outbox WHERE topic = 'escalation'")}
        assert any(k.startswith(f"escalation:{late_id}:not_acknowledged:{WARD}:") for k in keys), keys
        assert errors == []


# --- the map with no tiles, messages to the citizen, closing; both screen sizes ------------------


@pytest.mark.browser
def test_map_without_tiles_messages_and_closing(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    here = tan_phu()
    citizen, fire_id = report(live_server, "fire", "Cháy quán ăn, khói rất nhiều.", where=here)
    _, crash_id = report(
        live_server, "traffic", "Xe máy tự ngã, người lái bị thương nhẹ.", where=offset(here, -400, 300)
    )
    report(live_server, "crime", "Đánh nhau trước quán nhậu.", where=None)
    page = open_console(live_server, new_context)
    errors = watch_console(page)

    # The tile server is unreachable: boundaries and pins are drawn by the browser all the same.
    expect(page.locator(".map-panel .leaflet-overlay-pane path")).to_have_count(9)  # the sample wards
    pins = page.locator(".map-panel .leaflet-marker-icon.pin")
    expect(pins).to_have_count(2)  # the third has no location
    expect(pins.first.locator("svg.pin__mark path").first).to_be_attached()  # an icon, not colour alone
    expect(page.locator(".map-panel")).to_contain_text("Không tải được bản đồ nền")
    expect(page.locator(".map-panel")).to_contain_text("1 vụ việc không có vị trí")
    page.locator(f'.leaflet-marker-icon[data-incident="{fire_id}"]').click()
    detail = page.locator(f'.detail[data-incident="{fire_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    selected = re.compile("pin--selected")
    expect(page.locator(f'.leaflet-marker-icon[data-incident="{fire_id}"]')).to_have_class(selected)
    expect(page.locator(f'.leaflet-marker-icon[data-incident="{crash_id}"]')).not_to_have_class(selected)
    expect(queue_item(page, fire_id)).to_have_class(re.compile(r"\bis-selected\b"))
    expect(detail).to_contain_text("± 15 m")
    expect(detail).to_contain_text("Phường Tân Phú (27031)")
    shoot(page, "7-map-no-tiles-1366")

    # A message to the citizen: a `message` entry, in the citizen's reply by the server.
    page.keyboard.press("m")
    page.locator('[data-form="message"] textarea').fill("Cứu hỏa đang đến, hãy tránh xa đám cháy.")
    page.keyboard.press("Control+Enter")
    expect(detail.locator(".tl--message")).to_contain_text("Cứu hỏa đang đến")
    wait_for(
        lambda: [m["text"] for m in reply_of(citizen, fire_id).get("messages", [])]
        == ["Cứu hỏa đang đến, hãy tránh xa đám cháy."],
        what="the police message in the citizen's reply",
    )

    # Close with an outcome: off the queue, the citizen sees it done, the row keeps the outcome.
    expect(page.locator('[data-form="message"]')).to_have_count(0)  # sent: the form has closed
    page.keyboard.press("c")
    close = page.locator('[data-form="close"]')
    close.locator("label.choice", has_text="Báo nhầm").click()
    close.get_by_role("button", name="Đóng vụ việc").click()
    expect(detail).to_have_attribute("data-status", "closed")
    expect(detail).to_contain_text("Đã đóng lúc")
    expect(queue_item(page, fire_id)).to_have_count(0)
    expect(detail.get_by_role("button", name=re.compile("Mở lại"))).to_be_visible()
    wait_for(lambda: reply_of(citizen, fire_id).get("status") == "done", what="done for the citizen")
    row = rows(live_server, "SELECT status, outcome, closed_at FROM incidents WHERE id = ?", fire_id)[0]
    assert row["status"] == "closed" and row["outcome"] == "false_alarm" and row["closed_at"]

    # The shortcuts, shown with "?", and the wall display in English.
    page.keyboard.press("Escape")
    expect(page.locator(".detail")).to_have_count(0)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Phím tắt")).to_contain_text("Xác minh")
    shoot(page, "8-help-1366")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.set_viewport_size(WALL)
    page.get_by_role("button", name="English").click()
    queue_item(page, crash_id).click()
    expect(page.locator(f'.detail[data-incident="{crash_id}"]')).to_contain_text("The citizen's report")
    page.keyboard.press("d")
    expect(page.locator('[data-form="dispatch"]')).to_contain_text("Dispatch units")
    shoot(page, "9-dispatch-1920-en")
    page.get_by_role("button", name="Tiếng Việt").click()
    assert errors == []


@pytest.mark.browser
def test_a_supervisor_watches_but_cannot_act(live_server, new_context: NewContext) -> None:
    _, incident_id = report(live_server, "crime", where=tan_phu())
    page = open_console(live_server, new_context, username="chi.huy", role="supervisor")
    queue_item(page, incident_id).click()
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    expect(detail).to_contain_text("chế độ chỉ đọc")
    expect(detail.locator(".detail__actions")).to_have_count(0)
    page.keyboard.press("v")
    expect(page.locator('[data-form="verify"]')).to_have_count(0)


@pytest.mark.browser
def test_the_reports_photos_show_once_processed_and_a_placeholder_before(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    citizen, incident_id = report(live_server, "traffic", "Hai xe máy va chạm.", where=tan_phu())
    media_id, r = upload(citizen, incident_id, files.jpeg(tmp_path / "crash.jpg"))
    assert r.status_code == 204, r.text
    assert wait_media(citizen, media_id)["state"] == "ready"
    # A second upload only begun: the phone names it, the server has no picture of it yet.
    begun = create(citizen, incident_id, 50_000, filename="second.jpg")
    assert begun.status_code == 201, begun.text
    unfinished = begun.headers["location"].rsplit("/", 1)[-1]
    media = citizen.doc(f"report/{incident_id}").get("report", type=Map)["media"]
    media.append(media_id)
    media.append(unfinished)
    assert citizen.sync(f"report/{incident_id}").status_code == 200

    page = open_console(live_server, new_context)
    errors = watch_console(page)
    queue_item(page, incident_id).click()
    detail = page.locator(f'.detail[data-incident="{incident_id}"]')
    thumb = detail.locator(".thumb img")
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))  # fetched with the bearer
    assert thumb.evaluate("img => img.naturalWidth") > 0
    placeholder = detail.locator(f'.thumb--placeholder[data-media="{unfinished}"]')
    expect(placeholder).to_contain_text("Đang xử lý")
    thumb.click()
    viewer = page.get_by_role("dialog", name="Ảnh/video của tin báo")
    expect(viewer.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))
    shoot(page, "10-photo-1366")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(detail).to_be_visible()  # Esc closed the photo, not the incident
    assert errors == []


@pytest.mark.browser
def test_filters_a_deep_link_another_unit_and_a_withdrawal(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    here = tan_phu()
    _, fire_id = report(live_server, "fire", "Cháy xe máy trong hầm gửi xe.", where=here)
    _, crime_id = report(live_server, "crime", "Trộm cắp tại chung cư.", where=offset(here, 300, 0))
    _, other_id = report(live_server, "other", "Người đuối nước trên kênh.", where=None)
    officer = police(live_server, "cb.tanphu", "officer", WARD)
    said = officer.http.put("/api/officers/me/availability", json={"status": "available"})
    assert said.status_code == 200, said.text
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    expect(page.locator(".q-item")).to_have_count(3)

    page.keyboard.press("f")
    page.get_by_role("group", name="Loại").get_by_role("button", name="Cháy nổ").click()
    expect(page.locator(".q-item")).to_have_count(1)
    expect(queue_item(page, fire_id)).to_be_visible()
    expect(page.locator(".queue__hidden")).to_contain_text("2 vụ việc bị ẩn do bộ lọc")
    expect(page.locator(".map-panel .leaflet-marker-icon.pin")).to_have_count(1)
    page.get_by_role("button", name="Bỏ lọc").click()
    page.get_by_role("group", name="Ưu tiên").get_by_role("button", name="P3").click()
    expect(page.locator(".q-item")).to_have_count(1)
    expect(queue_item(page, other_id)).to_be_visible()
    page.get_by_role("group", name="Ưu tiên").get_by_role("button", name="P3").click()
    page.locator(".filters__ward select").select_option(str(TAN_PHU))
    expect(page.locator(".q-item")).to_have_count(2)
    page.locator(".filters__ward select").select_option("")
    page.get_by_role("group", name="Trạng thái").get_by_role("button", name="Mới").click()
    expect(page.locator(".q-item")).to_have_count(3)

    # A push notification opens /center/#/incident/<id>: the console opens that incident.
    page.evaluate("id => { location.hash = '#/incident/' + id; }", crime_id)
    detail = page.locator(f'.detail[data-incident="{crime_id}"]')
    expect(detail.locator(".detail__actions")).to_be_visible()
    # Back steps between the incidents opened, and Forward again.
    queue_item(page, fire_id).click()
    expect(page.locator(f'.detail[data-incident="{fire_id}"]')).to_be_visible()
    page.go_back()
    expect(detail).to_be_visible()
    assert page.url.endswith(f"#/incident/{crime_id}")
    page.go_forward()
    expect(page.locator(f'.detail[data-incident="{fire_id}"]')).to_be_visible()
    page.go_back()
    expect(detail.locator(".detail__actions")).to_be_visible()

    # Dispatch the routed units plus one found by name; the picker shows who is available.
    page.keyboard.press("d")
    picker = page.locator('[data-form="dispatch"]')
    expect(picker.locator(f'[data-unit="{WARD}"]')).to_contain_text("1/1 cán bộ sẵn sàng")
    expect(picker.locator('[data-unit="dept-crime"] input')).to_be_checked()
    picker.get_by_label("Tìm đơn vị khác").fill("pccc")
    picker.get_by_label("Tìm đơn vị khác").press("Enter")
    expect(picker.locator('[data-unit="dept-fire"] input')).to_be_checked()
    picker.get_by_label("Chỉ thị cho đơn vị").fill("Phối hợp khám nghiệm hiện trường.")
    picker.get_by_role("button", name="Điều động (4)").click()
    expect(detail.locator("[data-assignment]")).to_have_count(4)
    sql = "SELECT unit, instructions FROM assignments WHERE incident_id = ? ORDER BY unit"
    assigned = rows(live_server, sql, crime_id)
    assert [a["unit"] for a in assigned] == ["dept-crime", "dept-fire", "dept-order", WARD]
    assert {a["instructions"] for a in assigned} == {"Phối hợp khám nghiệm hiện trường."}

    # Withdraw the one sent by mistake: its card keeps its stamps, the row its withdrawal time.
    card = detail.locator('[data-assignment="dept-fire"]')
    card.get_by_role("button", name="Rút đơn vị").click()
    card.get_by_role("button", name="Rút", exact=True).click()
    expect(card).to_have_class(re.compile("assignment--withdrawn"))
    expect(card).to_contain_text("Đã rút lúc")
    sql = "SELECT withdrawn_at FROM assignments WHERE incident_id = ? AND unit = 'dept-fire'"
    row = rows(live_server, sql, crime_id)[0]
    assert row["withdrawn_at"]
    wait_for(
        lambda: crime_id not in doc_json(live_server, "inbox/dept-fire", "incidents"),
        what="the withdrawn unit's inbox no longer lists it",
    )
    shoot(page, "11-withdrawn-1366")
    assert errors == []


def busy_city(server) -> dict[str, str]:
    """A queue with some of everything: new, verified, dispatched with officers on the way, an
    officer asking for support, a report without a location, photos."""
    here = tan_phu()
    ids = {}
    for key, category, text, where in [
        ("fire", "fire", "Cháy tầng 3 chung cư, nhiều khói, có người kẹt.", here),
        ("crash", "traffic", "Xe tải tông xe máy ở vòng xoay.", offset(here, -600, 400)),
        ("fight", "crime", "Thanh niên mang hung khí đánh nhau.", offset(here, 900, -300)),
        ("theft", "crime", "Bị giật điện thoại khi dừng đèn đỏ.", offset(here, 200, 700)),
        ("lost", "other", "Trẻ lạc ở công viên, mặc áo đỏ, khoảng 6 tuổi.", None),
        ("noise", "other", "Hàng xóm mở nhạc lớn sau 23 giờ.", offset(here, -300, -500)),
    ]:
        _, ids[key] = report(server, category, text, where=where)
    dp = police(server, "dp.truc", "dispatcher")
    ward_officer = police(server, "cb.phuong", "officer", WARD)

    def append(client, incident_id: str, log: str, **entry) -> None:
        answer = write(client, incident_id, log, **entry)
        assert answer.status_code == 200, answer.text

    append(dp, ids["crash"], "dispatch", action="verify", category="traffic", priority=1)
    append(dp, ids["crash"], "dispatch", action="dispatch", unit=WARD, instructions="Gọi 115.")
    append(ward_officer, ids["crash"], "timeline", type="acknowledged", unit=WARD)
    append(ward_officer, ids["crash"], "timeline", type="en_route", unit=WARD)
    append(dp, ids["fight"], "dispatch", action="verify", category="crime", priority=1)
    append(dp, ids["fight"], "dispatch", action="dispatch", unit=WARD)
    append(ward_officer, ids["fight"], "timeline", type="acknowledged", unit=WARD)
    append(ward_officer, ids["fight"], "timeline", type="on_scene", unit=WARD)
    append(ward_officer, ids["fight"], "timeline", type="need_support", unit=WARD, note="Cần thêm người.")
    append(dp, ids["noise"], "dispatch", action="verify", category="other", priority=3)
    return ids


@pytest.mark.browser
@pytest.mark.parametrize("viewport,lang", [(LAPTOP, "vi"), (WALL, "vi"), (LAPTOP, "en"), (WALL, "en")])
def test_screens_fit_a_laptop_and_a_wall_display(
    live_server, new_context: NewContext, watch_console: WatchConsole, viewport, lang
) -> None:
    ids = busy_city(live_server)
    page = open_console(live_server, new_context, viewport=viewport)
    errors = watch_console(page)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator(".q-item")).to_have_count(6)
    # Raised first: the officer asking for support; then the reports nobody verified yet.
    expect(page.locator(".q-item").first).to_have_attribute("data-incident", ids["fight"])
    queue_item(page, ids["crash"]).click()
    detail = page.locator(f'.detail[data-incident="{ids["crash"]}"]')
    card = detail.locator(f'[data-assignment="{WARD}"]')
    expect(card.locator('[data-stamp="en_route"] .stamp__time')).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    expect(card.locator('[data-stamp="on_scene"] .stamp__time')).to_have_text("–")
    # Nothing spills sideways, the bar stays one line, the three columns share the width.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.locator(".topbar").bounding_box()["height"] < 70
    boxes = [page.locator(sel).bounding_box() for sel in (".queue", ".map-panel", ".console__detail")]
    assert all(b and b["height"] > viewport["height"] * 0.75 for b in boxes)
    assert boxes[1]["width"] > viewport["width"] * 0.35  # the map keeps a real share
    size = f'{viewport["width"]}x{viewport["height"]}'
    shoot(page, f"12-busy-{size}-{lang}")
    page.keyboard.press("d")
    shoot(page, f"13-busy-dispatch-{size}-{lang}")
    assert errors == []


@pytest.mark.browser
def test_a_change_whose_answer_was_lost_is_not_doubled_when_sent_again(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    citizen, incident_id = report(live_server, "crime", where=tan_phu())
    page = open_console(live_server, new_context)
    errors = watch_console(page)
    answers: list[str] = []

    def lose_first_answer(route) -> None:
        if answers:
            route.continue_()
            return
        route.fetch()  # the server takes the change...
        answers.append("lost")
        route.abort("connectionreset")  # ...and its answer never reaches the console

    page.route(f"**/sync/incident/{incident_id}", lose_first_answer)
    queue_item(page, incident_id).click()
    expect(page.locator(".detail__actions")).to_be_visible()
    page.keyboard.press("m")
    form = page.locator('[data-form="message"]')
    form.locator("textarea").fill("Chúng tôi đã nhận tin, công an đang đến.")
    form.get_by_role("button", name="Gửi cho người báo").click()
    expect(form.get_by_role("alert")).to_be_visible()  # no answer: said so, the form kept
    form.get_by_role("button", name="Gửi cho người báo").click()  # the dispatcher sends again
    expect(form).to_have_count(0)
    expect(page.locator(".tl--message")).to_have_count(1)
    messages = rows(
        live_server,
        "SELECT entry_id FROM timeline_events WHERE incident_id = ? AND kind = 'message'",
        incident_id,
    )
    assert len(messages) == 1
    wait_for(lambda: len(reply_of(citizen, incident_id).get("messages", [])) == 1, what="one message")
    assert errors == []


# --- 4. the server refuses an officer's dispatcher write ------------------------------------


def test_an_officer_cannot_write_what_only_dispatchers_may(live_server) -> None:
    _, incident_id = report(live_server, "crime", where=tan_phu())
    name = f"incident/{incident_id}"
    dispatcher = police(live_server, "dp", "dispatcher")
    # An officer of the ward the report was routed to: may read the incident, not triage it.
    officer = police(live_server, "can.bo", "officer", WARD)
    assert officer.pull(name).status_code == 200
    before = doc_json(live_server, name, "incident")
    r = write(officer, incident_id, "dispatch", action="verify", category="crime", priority=1)
    assert r.status_code == 422 and "only a dispatcher" in r.json()["message"]
    assert doc_json(live_server, name, "incident") == before  # nothing applied
    row = rows(live_server, "SELECT status, triaged_at FROM incidents WHERE id = ?", incident_id)[0]
    assert row == {"status": "new", "triaged_at": None}
    # Nor may they pass for a dispatcher by writing the dispatcher's name.
    posing = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    r = write(officer, incident_id, "dispatch", action="dispatch", unit=WARD, by=posing)
    assert r.status_code == 422
    assert doc_json(live_server, name, "incident") == before
    assert rows(live_server, "SELECT * FROM assignments WHERE incident_id = ?", incident_id) == []


# --- 5. merge candidates ---------------------------------------------------------------------


def candidates(server, token: str, incident_id: str) -> httpx.Response:
    url = f"{server.url}/api/incidents/{incident_id}/candidates"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"})


def test_candidates_are_open_incidents_nearby_and_recent_nearest_first(live_server) -> None:
    here = tan_phu()
    _, me = report(live_server, "crime", where=here)
    _, near = report(live_server, "crime", "Cướp giật ở đầu hẻm.", where=offset(here, 50, 0))
    _, nearer = report(live_server, "fire", where=offset(here, 0, 20))
    _, edge_out = report(live_server, "crime", where=offset(here, 320, 0))
    _, old = report(live_server, "crime", where=offset(here, 10, 10))
    _, closed = report(live_server, "crime", where=offset(here, 30, 0))
    _, nowhere = report(live_server, "crime", where=None)
    # One arrived 31 minutes before; one was already rejected (not open).
    live_server.svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE incidents SET arrived_at = arrived_at - 31 * 60 WHERE id = ?", (old,)))
    live_server.svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE incidents SET status = 'rejected' WHERE id = ?", (closed,)))

    dispatcher = police(live_server, "dp", "dispatcher")
    r = candidates(live_server, dispatcher.token, me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["radius_m"] == 300 and body["window_s"] == 1800
    found = body["candidates"]
    assert [c["id"] for c in found] == [nearer, near]
    assert 15 < found[0]["distance_m"] < 25 and 45 < found[1]["distance_m"] < 55
    assert found[1]["summary"] == "Cướp giật ở đầu hẻm." and found[1]["status"] == "new"
    assert found[0]["ward_name"] == "Phường Tân Phú" and found[0]["arrived_at"] > 1e12  # ms
    assert edge_out not in {c["id"] for c in found}
    # Without a location there is nothing to measure from.
    assert candidates(live_server, dispatcher.token, nowhere).json()["candidates"] == []
    # Audited like any police read.
    sql = "SELECT * FROM audit_log WHERE action = 'incident.candidates' AND target = ?"
    assert rows(live_server, sql, f"incident/{me}")


def test_candidates_are_for_the_center_roles_only(live_server) -> None:
    _, me = report(live_server, "crime", where=tan_phu())
    officer = police(live_server, "cb", "officer", WARD)
    assert candidates(live_server, officer.token, me).status_code == 403
    assert httpx.get(f"{live_server.url}/api/incidents/{me}/candidates").status_code == 401
    supervisor = police(live_server, "gs", "supervisor")
    assert candidates(live_server, supervisor.token, me).status_code == 200
    assert candidates(live_server, supervisor.token, "no-such-incident").status_code == 404
    timers = f"{live_server.url}/api/incidents/timers"
    answer = httpx.get(timers, headers=bearer(supervisor))
    assert answer.json() == {"triage_timeout_s": 3600, "ack_timeout_s": 3600}
    assert httpx.get(timers, headers=bearer(officer)).status_code == 403


# --- 6. the console's status rule is the server's ------------------------------------------------

FOLD_JS = Path(__file__).resolve().parent.parent / "pwa" / "src" / "core" / "incident-fold.js"
NODE_FOLD = """
import { readFileSync } from 'node:fs';
const { fold, activeUnits, firstDispatchedAt, resolvedAt } = await import(process.argv[1]);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(([info, dispatch, timeline]) => {
  const s = fold(info, dispatch, timeline);
  return {
    ...s,
    active_units: activeUnits(s).sort(),
    first_dispatched_at: firstDispatchedAt(s),
    resolved_at: resolvedAt(s),
  };
});
process.stdout.write(JSON.stringify(out));
"""


def python_fold(info: dict, dispatch: list, timeline: list) -> dict:
    state = fold(info, dispatch, timeline)
    data = dataclasses.asdict(state)
    data.update(
        active_units=sorted(state.active_units),
        first_dispatched_at=state.first_dispatched_at,
        resolved_at=state.resolved_at,
    )
    return data


ACTIONS = ["verify", "reject", "merge", "dispatch", "dispatch", "withdraw", "message", "note", "close", "reopen"]
CATEGORIES = ["crime", "fire", "other"]


def fold_cases() -> list[tuple[dict, list, list]]:
    """The cases of tests/test_incident_state.py, then random logs (ties, withdrawals, reopens)."""
    ward = [
        d("verify", 1, category="crime", priority=1),
        d("dispatch", 2, unit="ward-1"),
        d("dispatch", 3, unit="dept-crime"),
    ]
    steps = [
        t("acknowledged", "ward-1", 5),
        t("on_scene", "ward-1", 9),
        t("acknowledged", "dept-crime", 6),
        t("en_route", "ward-1", 7),
    ]
    withdrawn = [d("dispatch", 2, unit="ward-1"), d("withdraw", 4, unit="ward-1")]
    closed = [d("dispatch", 1, unit="ward-1"), d("close", 30, outcome="handled")]
    cases = [
        (INFO, [], []),
        (INFO, [d("verify", 10, category="fire", priority=2)], []),
        (INFO, [d("verify", 10, category="fire", priority=2), d("dispatch", 20, unit="ward-26704")], []),
        (INFO, ward, steps),
        (INFO, ward, [*steps, t("resolved", "dept-crime", 12)]),
        (INFO, list(reversed(ward)), list(reversed(steps))),
        (INFO, withdrawn, [t("on_scene", "ward-1", 3)]),
        (INFO, [*withdrawn, d("dispatch", 8, unit="ward-1")], [t("acknowledged", "ward-1", 9)]),
        (INFO, [d("reject", 3, reason="spam")], []),
        (INFO, [d("merge", 3, into="abcdef12")], []),
        (INFO, closed, [t("resolved", "ward-1", 20)]),
        (INFO, [*closed, d("reopen", 40)], [t("resolved", "ward-1", 20)]),
        (
            INFO,
            [d("dispatch", 1, unit="ward-1"), d("message", 2, text="Đang tới")],
            [t("need_support", "ward-1", 5)],
        ),
        ({**INFO, "silent": True}, [d("verify", 10, category="other", priority=3)], []),  # stays P1
    ]
    rng = random.Random(5)
    units = ["ward-1", "ward-2", "dept-fire"]
    for n in range(300):
        dispatch = [{"id": "created", "action": "created", "by": "server", "at": 0}]
        for i in range(rng.randint(0, 9)):
            action = rng.choice(ACTIONS)
            extra = {
                "verify": {"category": rng.choice(CATEGORIES), "priority": rng.choice([1, 2, 3])},
                "reject": {"reason": rng.choice(["spam", "false"])},
                "merge": {"into": f"main-{n}"},
                "dispatch": {"unit": rng.choice(units), "instructions": rng.choice([None, "đi ngay"])},
                "withdraw": {"unit": rng.choice(units)},
                "message": {"text": f"m{i}"},
                "note": {"text": "n"},
                "close": {"outcome": "handled"},
                "reopen": {},
            }[action]
            at = rng.randint(1, 12)  # few distinct times: ties are the interesting case
            dispatch.append({"id": f"d{n}-{i}", "action": action, "by": "7", "at": at, **extra})
        timeline = [{"id": "created", "type": "created", "by": "server", "at": 0}]
        for i in range(rng.randint(0, 8)):
            kind = rng.choice(["acknowledged", "en_route", "on_scene", "resolved", "need_support", "note"])
            unit, at = rng.choice(units), rng.randint(1, 12)
            timeline.append({"id": f"t{n}-{i}", "type": kind, "unit": unit, "by": "9", "at": at})
        info = {"category": rng.choice(["crime", "traffic"]), "priority": rng.choice([1, 2, 3.0])}
        cases.append((info, dispatch, timeline))
    return cases


@pytest.mark.node
def test_the_consoles_fold_agrees_with_the_servers() -> None:
    cases = fold_cases()
    done = subprocess.run(
        ["node", "--input-type=module", "-e", NODE_FOLD, str(FOLD_JS)],
        input=json.dumps(cases), capture_output=True, text=True, timeout=60, check=True,
    )
    for case, got in zip(cases, json.loads(done.stdout), strict=True):
        want = json.loads(json.dumps(python_fold(*case)))
        assert got == want, f"case {case!r}"


ORDER_JS = Path(__file__).resolve().parent.parent / "pwa" / "src" / "center" / "console" / "queue" / "order.js"


@pytest.mark.node
def test_the_queue_order_raises_the_overdue_then_priority_then_the_oldest() -> None:
    items = [
        {"id": "old-p1-on-scene", "status": "on_scene", "priority": 1, "arrived_at": 1000},
        {"id": "new-p3", "status": "new", "priority": 3, "arrived_at": 5000},
        {"id": "new-p1-older", "status": "new", "priority": 1, "arrived_at": 2000},
        {"id": "new-p1-newer", "status": "new", "priority": 1, "arrived_at": 4000},
        {"id": "support", "status": "on_scene", "priority": 2, "arrived_at": 500, "need_support": True},
        {"id": "late-ack", "status": "dispatched", "priority": 3, "arrived_at": 100,
         "escalation": "not_acknowledged:ward-1"},
        {"id": "triaged-p2", "status": "triaged", "priority": 2, "arrived_at": 3000},
    ]
    script = (
        "const { queueOrder } = await import(process.argv[1]);"
        "const items = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(items.sort(queueOrder(6000, null)).map((i) => i.id)));"
    )
    done = subprocess.run(
        ["node", "--input-type=commonjs", "-e", f"(async () => {{ {script} }})()", str(ORDER_JS)],
        input=json.dumps(items), capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(done.stdout) == [
        "support", "late-ack",  # overdue (escalated): P2 before P3
        "old-p1-on-scene", "new-p1-older", "new-p1-newer",  # then P1, the oldest first
        "triaged-p2", "new-p3",  # then P2, P3
    ]


# --- 7. the console's own strings ---------------------------------------------------------------

STRINGS = Path(__file__).resolve().parent.parent / "pwa" / "src" / "center" / "console" / "strings"


def test_the_consoles_strings_exist_in_both_languages() -> None:
    def keys(node: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for key, value in node.items():
            out |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
        return out

    vi, en = (json.loads((STRINGS / f"{lang}.json").read_text()) for lang in ("vi", "en"))
    assert keys(vi) == keys(en)
    used = set()
    for source in (STRINGS.parent).rglob("*.js"):
        used |= set(re.findall(r"""t\(\s*['"](center\.[a-z0-9_.]+)['"]""", source.read_text()))
    assert used and used <= keys(vi), sorted(used - keys(vi))
