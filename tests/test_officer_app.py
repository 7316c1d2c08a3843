"""The officer app in a real headless Chromium against the real server (issue 6's acceptance), and
the availability API it uses.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-officer/ (phone size and 200 % zoom).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from starlette.testclient import TestClient

from app.settings import Settings

from .citizen_helpers import PHONE_200, fire_background_sync
from .conftest import PASSWORD, LiveServer
from .officer_helpers import (
    PHONE,
    PHU_MY,
    PHU_MY_UNIT,
    TAN_PHU_UNIT,
    CoverageGate,
    batch_from_page,
    citizen_report,
    dispatch,
    incident_change,
    officer_account,
    police,
    session_token,
    shoot,
    sign_in,
)
from .server_checks import doc_json, rows, wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
EMPTY_STEP1 = bytes([0, 0, 1, 0])  # "send me what I lack", from a device that has nothing


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No escalation timers firing mid-test; no map tiles from the internet (there is none here).
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


@pytest.fixture
def gated_server(settings: Settings) -> Iterator[tuple[LiveServer, CoverageGate]]:
    server = LiveServer(settings)
    gate = CoverageGate(server.server.config.app)
    server.server.config.app = gate
    server.start()
    httpx.get(server.url + "/healthz")  # the gate learns the server's loop
    try:
        yield server, gate
    finally:
        server.stop()


def item(page: Page, report_id: str):
    return page.locator(f'a.o-item[data-incident="{report_id}"]')


# -- 1. routing: the right ward sees it live, the other is refused ---------------------------------
@pytest.mark.browser
def test_a_report_routed_to_phu_my_appears_live_and_tan_phu_is_refused(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.officer", PHU_MY_UNIT)
    officer_account(live_server, "tp.officer", TAN_PHU_UNIT)
    phu_my = new_context(viewport=PHONE).new_page()
    tan_phu = new_context(viewport=PHONE).new_page()
    errors = watch_console(phu_my) + watch_console(tan_phu)
    sign_in(phu_my, live_server, "pm.officer")
    sign_in(tan_phu, live_server, "tp.officer")
    expect(phu_my.locator("#area-heading")).to_contain_text("Tin báo trong địa bàn")

    report_id = citizen_report(live_server, description="Cướp giật điện thoại ở trạm xe buýt.")
    # Live, without a reload: the inbox document arrives over the open WebSocket.
    expect(item(phu_my, report_id)).to_contain_text("Cướp giật điện thoại")
    expect(item(phu_my, report_id)).to_contain_text("P1")
    expect(phu_my.get_by_role("alert")).to_contain_text("Tin báo mới trong địa bàn")
    assert report_id not in doc_json(live_server, f"inbox/{TAN_PHU_UNIT}", "incidents")
    # Tân Phú's list is synced (its own live inbox) and does not have it.
    expect(tan_phu.locator("#area-heading .o-count")).to_have_text("0")
    expect(tan_phu.locator("a.o-item")).to_have_count(0)

    # Asked for directly, with the Tân Phú officer's own token, from their own page: refused.
    status = tan_phu.evaluate(
        """async ({ id, body }) => {
            const token = JSON.parse(localStorage.getItem('sos.session')).token;
            const r = await fetch(`/sync/incident/${id}`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${token}` },
                body: new Uint8Array(body),
            });
            return [r.status, (await r.json()).error];
        }""",
        {"id": report_id, "body": list(EMPTY_STEP1)},
    )
    assert status == [403, "forbidden"]
    denied = tan_phu.evaluate(
        """(id) => new Promise((resolve) => {
            const token = JSON.parse(localStorage.getItem('sos.session')).token;
            const ws = new WebSocket(`ws://${location.host}/sync/incident/${id}?token=${token}`);
            ws.binaryType = 'arraybuffer';
            const first = [];
            ws.onmessage = (e) => first.length || first.push(...new Uint8Array(e.data).slice(0, 2));
            ws.onclose = (e) => resolve({ code: e.code, first });
        })""",
        report_id,
    )
    assert denied == {"code": 4403, "first": [2, 0]}  # auth message: permission-denied
    tan_phu.goto(f"{live_server.url}/officer/#/incident/{report_id}")
    expect(tan_phu.get_by_role("alert")).to_have_text("Bạn không có quyền xem tin báo này.")

    # The Phú Mỹ officer opens it: the report, read-only until their unit is dispatched.
    item(phu_my, report_id).click()
    expect(phu_my.locator(".o-report__text")).to_have_text("Cướp giật điện thoại ở trạm xe buýt.")
    expect(phu_my.locator(".o-progress")).to_contain_text("không giao cho đơn vị của bạn")
    assert errors == []


# -- 2. offline progress survives a browser restart and arrives once, in one batch ---------------
@pytest.mark.browser
def test_progress_made_offline_survives_a_restart_and_is_sent_once_by_batch(
    gated_server: tuple[LiveServer, CoverageGate],
    new_context: NewContext,
    watch_console: WatchConsole,
    tmp_path,
) -> None:
    live_server, gate = gated_server
    user_id = officer_account(live_server, "pm1", PHU_MY_UNIT, "Nguyễn Văn An")
    profile = tmp_path / "profile"
    context = new_context(user_data_dir=profile, viewport=PHONE)
    page = context.pages[0] if context.pages else context.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm1")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    report_id = citizen_report(
        live_server, contact={"name": "Trần Thị Bình", "phone": "0901 234 567"}
    )
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id, instructions="Đến ngay, đối tượng còn ở gần chợ.")
    assigned = page.locator("#assigned-heading + .o-list")
    expect(assigned.locator(f'[data-incident="{report_id}"]')).to_contain_text("Đã điều động")
    expect(page.get_by_role("alert")).to_contain_text("Nhiệm vụ mới!")
    item(page, report_id).click()
    expect(page.locator(".o-instructions")).to_contain_text("Đến ngay, đối tượng còn ở gần chợ.")
    expect(page.locator(".o-contact")).to_contain_text("Trần Thị Bình")
    # The screens are in the worker's cache: the next start needs no network.
    page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'")

    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    wait_for(
        lambda: rows(
            live_server, "SELECT acknowledged_at FROM assignments WHERE incident_id = ?", report_id
        )[0]["acknowledged_at"],
        what="the acknowledgement",
    )
    expect(page.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")

    context.set_offline(True)
    offline_from = time.time()
    page.get_by_role("button", name="Đã đến hiện trường").click()
    page.get_by_role("button", name="Đã xử lý xong").click()
    page.get_by_label("Kết quả xử lý").fill(
        "Đã bắt giữ một đối tượng, bàn giao cho công an phường."
    )
    page.get_by_role("button", name="Xác nhận đã xử lý xong").click()
    offline_to = time.time()
    expect(page.locator(".o-detail .o-sync")).to_contain_text("2 cập nhật đang chờ gửi")
    expect(page.locator(".o-log__item--pending, .o-log__item .o-flag--pending")).to_have_count(2)
    expect(page.locator(".o-head .o-status")).to_have_text("Đã xử lý")
    page.get_by_role("link", name="Danh sách").click()
    page.get_by_role("button", name="Đang bận").click()
    expect(page.locator(".o-sync")).to_contain_text("3 cập nhật đang chờ gửi")
    expect(item(page, report_id)).to_contain_text("2 chưa gửi")
    shoot(page, "offline-pending")
    assert errors == []
    gate.close()  # no coverage for the phone, its service worker included, until said otherwise
    context.close()

    assignment = rows(live_server, "SELECT * FROM assignments WHERE incident_id = ?", report_id)[0]
    assert assignment["on_scene_at"] is None and assignment["cleared_at"] is None

    # The browser comes back with no network: everything is still there, waiting.
    context = new_context(user_data_dir=profile, viewport=PHONE, offline=True)
    page = context.pages[0] if context.pages else context.new_page()
    errors = watch_console(page)
    page.goto(f"{live_server.url}/officer/#/incident/{report_id}")
    expect(page.locator(".o-sync")).to_contain_text("3 cập nhật đang chờ gửi")
    expect(page.locator('[data-step="resolved"]')).to_contain_text("Đã xử lý xong")
    expect(page.locator(".o-report__text")).to_contain_text("giật túi xách")

    assert rows(
        live_server, "SELECT on_scene_at FROM assignments WHERE incident_id = ?", report_id
    )[0] == {"on_scene_at": None}
    sent_before = len(gate.requests)
    context.set_offline(False)
    gate.open()
    expect(page.locator(".o-sync")).to_have_attribute("data-pending", "0", timeout=20_000)
    assignment = rows(live_server, "SELECT * FROM assignments WHERE incident_id = ?", report_id)[0]
    for step in ("acknowledged_at", "on_scene_at", "cleared_at"):
        assert assignment[step], step
    # Each step carries the time it was made on the phone, offline ones included.
    assert offline_from - 1 <= assignment["on_scene_at"] <= offline_to + 1
    assert offline_from - 1 <= assignment["cleared_at"] <= offline_to + 1
    events = rows(
        live_server,
        "SELECT kind, user_id, detail FROM timeline_events WHERE incident_id = ? AND log = 'timeline'"
        " AND kind != 'created' ORDER BY at",
        report_id,
    )
    assert [e["kind"] for e in events] == ["acknowledged", "on_scene", "resolved"]
    assert {e["user_id"] for e in events} == {user_id}
    timeline = doc_json(live_server, f"incident/{report_id}", "incident")["timeline"]
    mine = [e for e in timeline if e.get("by") == user_id]
    assert sorted(e["type"] for e in mine) == ["acknowledged", "on_scene", "resolved"]
    assert all(e["by_name"] == "Nguyễn Văn An" and e["unit"] == PHU_MY_UNIT for e in mine)
    assert (
        rows(live_server, "SELECT status FROM incidents WHERE id = ?", report_id)[0]["status"]
        == "resolved"
    )
    # The offline progress went with the batch call, and only with it.
    after = gate.requests[sent_before:]
    name = f"incident/{report_id}".encode()
    assert any(path == "/sync" and name in body for path, body, _ in after), after
    officer = f"Bearer {session_token(page)}"
    assert not any(path.startswith("/sync/") for path, _, auth in gate.requests if auth == officer)
    officers = dispatcher.http.get("/api/officers", params={"unit": PHU_MY_UNIT}).json()
    assert [o["availability"] for o in officers if o["username"] == "pm1"] == ["busy"]
    expect(page.locator(".o-log__item .o-flag--pending")).to_have_count(0)
    assert errors == []


@pytest.mark.browser
def test_the_service_worker_sends_an_officers_progress_with_no_page_open(
    live_server: LiveServer, new_context: NewContext
) -> None:
    """Background Sync: back in coverage, the worker alone sends the queue, in one batch."""
    officer_account(live_server, "pm.sw", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id)
    context = new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server, "pm.sw")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    item(page, report_id).click()
    expect(page.locator(".o-head .o-status")).to_have_text("Đã điều động")
    # The list may show the incident before its own document has loaded; until then the steps
    # are disabled (and would stay so offline).
    expect(page.get_by_role("button", name="Nhận nhiệm vụ")).to_be_enabled()
    context.set_offline(True)
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    expect(page.locator(".o-sync")).to_contain_text("1 cập nhật đang chờ gửi")
    page.close()  # no page of the app is left: only the service worker can send now
    context.set_offline(False)

    fire_background_sync(context, live_server)
    wait_for(
        lambda: rows(
            live_server, "SELECT acknowledged_at FROM assignments WHERE incident_id = ?", report_id
        )[0]["acknowledged_at"],
        what="the acknowledgement sent by the worker",
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/officer/#/incident/{report_id}")
    expect(page.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")
    expect(page.locator(".o-sync")).to_have_attribute("data-pending", "0")


def acknowledged_assignment(page: Page, server: LiveServer, username: str) -> str:
    """Sign in, a new report dispatched to Phú Mỹ, opened and acknowledged; returns its id."""
    sign_in(page, server, username)
    report_id = citizen_report(server)
    dispatch(server, police(server, "dieu.phoi", "dispatcher"), report_id)
    item(page, report_id).click()
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    expect(page.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")
    return report_id


def resolve_with_photo(page: Page, photo: Path) -> None:
    page.get_by_role("button", name="Đã đến hiện trường").click()
    page.get_by_role("button", name="Đã xử lý xong").click()
    page.get_by_label("Kết quả xử lý").fill("Đã lập biên bản, trả lại tài sản cho người dân.")
    page.get_by_label("Ảnh hiện trường (không bắt buộc)").set_input_files(str(photo))
    page.get_by_role("button", name="Xác nhận đã xử lý xong").click()


@pytest.mark.browser
def test_outcome_photos_taken_with_no_signal_upload_when_coverage_returns(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole, tmp_path
) -> None:
    from .media import files

    user_id = officer_account(live_server, "pm1", PHU_MY_UNIT, "Nguyễn Văn An")
    context = new_context(viewport=PHONE)
    page = context.new_page()
    errors = watch_console(page)
    report_id = acknowledged_assignment(page, live_server, "pm1")
    context.set_offline(True)
    resolve_with_photo(page, files.jpeg(tmp_path / "hien-truong.jpg", size=(2400, 1800)))
    expect(page.locator(".o-progress")).to_contain_text("1 ảnh đang chờ tải lên")
    media_rows = "SELECT id, uploader, role FROM media WHERE report_id = ?"
    assert rows(live_server, media_rows, report_id) == []

    context.set_offline(False)  # coverage returns: the resolution and then its photo go
    note = wait_for(
        lambda: rows(
            live_server,
            "SELECT user_id, detail FROM timeline_events WHERE incident_id = ? AND kind = 'note'",
            report_id,
        ),
        timeout=30,
        what="the note carrying the photo",
    )[0]
    uploaded = [r for r in rows(live_server, media_rows, report_id) if r["role"] == "original"]
    assert len(uploaded) == 1 and uploaded[0]["uploader"] == f"user:{user_id}"
    assert note["user_id"] == user_id and json.loads(note["detail"])["media"] == [uploaded[0]["id"]]
    assert rows(live_server, "SELECT status FROM incidents WHERE id = ?", report_id)[0]["status"] == "resolved"
    # Off the phone once sent; the timeline shows it from the server.
    expect(page.locator(".o-progress")).not_to_contain_text("đang chờ tải lên")
    expect(page.locator(f'.o-thumb[href="/media/{uploaded[0]["id"]}/display"]')).to_be_visible()
    assert errors == []


@pytest.mark.browser
def test_a_photo_the_server_refuses_is_shown_with_the_reason_until_removed(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole, tmp_path
) -> None:
    officer_account(live_server, "pm2", PHU_MY_UNIT)
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    report_id = acknowledged_assignment(page, live_server, "pm2")
    fake = tmp_path / "anh.jpg"
    fake.write_text("not a photo at all " * 200)  # named like a photo; the server decodes it
    resolve_with_photo(page, fake)
    refusal = page.locator(".o-photo-refused")
    expect(refusal).to_contain_text("Ảnh không được nhận:", timeout=20_000)
    assert rows(live_server, "SELECT status FROM incidents WHERE id = ?", report_id)[0]["status"] == "resolved"
    assert rows(live_server, "SELECT * FROM timeline_events WHERE incident_id = ? AND kind = 'note'", report_id) == []
    page.reload()  # kept on the phone with its reason, not retried
    expect(refusal).to_contain_text("Ảnh không được nhận:")
    refusal.get_by_role("button", name="Bỏ ảnh này").click()
    expect(refusal).to_have_count(0)
    assert [e for e in errors if "422" not in e] == []  # the browser logs the refused request


@pytest.mark.browser
def test_a_session_ended_by_the_server_sends_the_officer_back_to_sign_in(
    live_server: LiveServer, new_context: NewContext
) -> None:
    officer_account(live_server, "pm.shift", PHU_MY_UNIT)
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, "pm.shift")
    token = session_token(page)
    # The shift's session ends on the server (expired, revoked, account disabled) ...
    assert (
        httpx.post(
            f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 204
    )
    # ... and the app learns it at its next exchange with the server: here, a new report in the area.
    citizen_report(live_server)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible(timeout=15_000)
    assert page.evaluate("localStorage.getItem('sos.session')") is None


@pytest.mark.browser
def test_progress_on_a_long_incident_sends_only_the_officers_own_entries(
    live_server: LiveServer, new_context: NewContext
) -> None:
    """The server takes at most 64 KiB per update: the queue must not resend the whole document."""
    officer_account(live_server, "pm.long", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id)
    name = f"incident/{report_id}"
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    for _ in range(4):  # about 80 KB of notes, sent in parts the server accepts
        since = dispatcher.doc(name).get_state()
        for _ in range(10):
            note = {
                "id": entry_id(),
                "action": "note",
                "text": "Ghi chú dài. " * 150,
                "by": by,
                "at": now_ms(),
            }
            dispatcher.append(name, "dispatch", note)
        assert dispatcher.sync(name, since).status_code == 200
    assert len(dispatcher.doc(name).get_update()) > 64 * 1024
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, "pm.long")
    item(page, report_id).click()
    expect(page.locator(".o-log__item--dispatch")).to_have_count(3 + 40)
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    # "0 pending" is also what the page shows before the click's entry is queued: wait on the
    # server's row, then check the queue is empty.
    wait_for(
        lambda: rows(
            live_server, "SELECT acknowledged_at FROM assignments WHERE incident_id = ?", report_id
        )[0]["acknowledged_at"],
        what="the acknowledgement on the server",
    )
    expect(page.locator(".o-sync")).to_have_attribute("data-pending", "0")


@pytest.mark.browser
def test_a_change_the_server_refuses_is_shown_with_the_reason_and_can_be_dropped(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.late", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id)
    context = new_context(viewport=PHONE)
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.late")
    item(page, report_id).click()
    expect(page.locator(".o-head .o-status")).to_have_text("Đã điều động")
    # The status can show from the unit's list before the incident itself has synced; the buttons
    # follow the incident, so wait for them before the signal goes.
    expect(page.get_by_role("button", name="Nhận nhiệm vụ")).to_be_enabled()
    context.set_offline(True)
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    # Meanwhile the command center withdraws the unit: the offline acknowledgement comes too late.
    name = f"incident/{report_id}"
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(
        name,
        "dispatch",
        {"id": entry_id(), "action": "withdraw", "unit": PHU_MY_UNIT, "by": by, "at": now_ms()},
    )
    assert dispatcher.sync(name).status_code == 200
    context.set_offline(False)
    refused = page.locator(".o-refused")
    expect(refused).to_contain_text("Máy chủ không nhận cập nhật")
    # Said from the refusal's code, in Vietnamese (issue 23), not the server's English.
    expect(page.locator(".o-sync .form-error")).to_contain_text("không còn được giao vụ việc này")
    shoot(page, "refused")
    refused.get_by_role("button", name="Bỏ các cập nhật bị từ chối").click()
    expect(page.locator(".o-sync")).to_have_attribute("data-pending", "0")
    expect(page.locator(".o-progress")).to_contain_text("không giao cho đơn vị của bạn")
    expect(page.locator(".o-log__item--timeline")).to_have_count(0)
    assert rows(
        live_server, "SELECT acknowledged_at FROM assignments WHERE incident_id = ?", report_id
    )[0] == {"acknowledged_at": None}
    assert errors == []


# -- 3. two officers of the unit at once, one offline: one timeline everywhere --------------------
@pytest.mark.browser
def test_two_officers_at_once_one_offline_end_with_one_timeline(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    a_id = officer_account(live_server, "pm.a", PHU_MY_UNIT, "Lê Văn A")
    b_id = officer_account(live_server, "pm.b", PHU_MY_UNIT, "Phạm Thị B")
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id)
    context_a = new_context(viewport=PHONE)
    a, b = context_a.new_page(), new_context(viewport=PHONE).new_page()
    errors = watch_console(a) + watch_console(b)
    for page, username in ((a, "pm.a"), (b, "pm.b")):
        sign_in(page, live_server, username)
        item(page, report_id).click()
        expect(page.locator(".o-head .o-status")).to_have_text("Đã điều động")
    a.get_by_role("button", name="Nhận nhiệm vụ").click()
    expect(b.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")  # live

    # A loses the signal and reports the scene and a need for support; meanwhile B, online, is
    # still on the way and adds a note. Neither device knows of the other's entries.
    context_a.set_offline(True)
    a.get_by_role("button", name="Đã đến hiện trường").click()
    a.get_by_role("button", name="Cần hỗ trợ").click()
    a.get_by_label("Cần hỗ trợ gì?").fill("Cần thêm một tổ, đám đông tụ tập.")
    a.get_by_role("button", name="Gửi yêu cầu hỗ trợ").click()
    b.get_by_role("button", name="Đang di chuyển đến").click()
    b.get_by_role("button", name="Thêm ghi chú").click()
    b.get_by_label("Ghi chú", exact=True).fill("Đường Lê Văn Lương kẹt xe, đi vòng.")
    b.get_by_role("button", name="Lưu ghi chú").click()
    wait_for(
        lambda: (
            {"en_route", "note"}
            <= {
                r["kind"]
                for r in rows(
                    live_server, "SELECT kind FROM timeline_events WHERE incident_id = ?", report_id
                )
            }
        ),
        what="B's entries on the server",
    )
    expect(a.locator(".o-head .o-status")).to_have_text("Tại hiện trường")  # A's own view, offline
    expect(b.locator(".o-head .o-status")).to_have_text("Đang đến")

    context_a.set_offline(False)
    expect(a.locator(".o-sync")).to_have_attribute("data-pending", "0", timeout=20_000)
    timeline = doc_json(live_server, f"incident/{report_id}", "incident")["timeline"]
    entries = [e for e in timeline if e["type"] != "created"]
    assert sorted((e["type"], e["by"]) for e in entries) == sorted(
        [
            ("acknowledged", a_id),
            ("on_scene", a_id),
            ("need_support", a_id),
            ("en_route", b_id),
            ("note", b_id),
        ]
    )
    # The furthest stage reached by the unit wins, whatever arrived last.
    incident = rows(
        live_server, "SELECT status, need_support_at FROM incidents WHERE id = ?", report_id
    )[0]
    assert incident["status"] == "on_scene" and incident["need_support_at"]
    expected = [e["id"] for e in entries]
    for page in (a, b):
        expect(page.locator(".o-head .o-status")).to_have_text("Tại hiện trường")
        expect(page.locator(".o-log__item--timeline")).to_have_count(len(expected))
        expect(page.locator(".o-head")).to_contain_text("Đã yêu cầu hỗ trợ")
    shown_a = a.locator(".o-log__item--timeline").evaluate_all(
        "(items) => items.map((i) => i.dataset.entry)"
    )
    shown_b = b.locator(".o-log__item--timeline").evaluate_all(
        "(items) => items.map((i) => i.dataset.entry)"
    )
    assert shown_a == shown_b and sorted(shown_a) == sorted(expected)
    assert errors == []


# -- 4. what an officer may not write ---------------------------------------------------------------
@pytest.mark.browser
def test_an_officer_cannot_triage_dispatch_or_write_in_another_name(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    me = officer_account(live_server, "pm.me", PHU_MY_UNIT)
    colleague = officer_account(live_server, "pm.other", PHU_MY_UNIT)
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id)
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.me")
    name = f"incident/{report_id}"
    reader = SyncClient(live_server.url, session_token(page))  # the officer's own token
    assert reader.pull(name).status_code == 200
    state = reader.doc(name).get_update()
    before = rows(
        live_server, "SELECT entry_id FROM timeline_events WHERE incident_id = ?", report_id
    )

    def entry(**fields: Any) -> dict[str, Any]:
        return {"id": entry_id(), "by": me, "at": now_ms(), **fields}

    attempts = {
        "triage": ("dispatch", entry(action="verify", category="fire", priority=1)),
        "assignment": ("dispatch", entry(action="dispatch", unit=TAN_PHU_UNIT)),
        "another's name": (
            "timeline",
            entry(type="on_scene", unit=PHU_MY_UNIT, by=colleague, by_name="pm.other"),
        ),
        "another unit": ("timeline", entry(type="on_scene", unit=TAN_PHU_UNIT)),
    }
    for what, (log, change) in attempts.items():
        body = incident_change(state, log, change)
        # From the officer's page, through the batch call the app itself uses ...
        [(_, status, answer)] = batch_from_page(page, [(name, body)])
        assert status == 422, (what, status, answer)
        # ... and as the single-document call from a script with the same token.
        r = reader.http.post(
            f"/sync/{name}", content=body, headers={"Content-Type": "application/octet-stream"}
        )
        assert r.status_code in (403, 422), (what, r.status_code, r.text)
    # Nothing refused was applied anywhere.
    assert (
        rows(live_server, "SELECT entry_id FROM timeline_events WHERE incident_id = ?", report_id)
        == before
    )
    incident = doc_json(live_server, name, "incident")
    assert [e["action"] for e in incident["dispatch"]] == ["created", "verify", "dispatch"]
    assert [e["type"] for e in incident["timeline"]] == ["created"]
    # The same officer writing in their own name, for their own unit, is accepted.
    [(_, status, _)] = batch_from_page(
        page,
        [(name, incident_change(state, "timeline", entry(type="acknowledged", unit=PHU_MY_UNIT)))],
    )
    assert status == 200
    assert errors == []


# -- availability -----------------------------------------------------------------------------------
def test_availability_set_by_the_officer_read_by_the_center(client: TestClient, login) -> None:
    officer = login("pm.av", "officer", PHU_MY_UNIT)
    colleague = login("pm.av2", "officer", PHU_MY_UNIT)
    other_ward = login("tp.av", "officer", TAN_PHU_UNIT)
    dispatcher = login("dp.av", "dispatcher")
    auth = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731

    r = client.put("/api/officers/me/availability", json={"status": "busy"}, headers=auth(officer))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["username"], me["unit"], me["availability"]) == ("pm.av", PHU_MY_UNIT, "busy")
    assert abs(me["availability_at"] / 1000 - time.time()) < 60

    listed = client.get(
        "/api/officers", params={"unit": PHU_MY_UNIT}, headers=auth(dispatcher)
    ).json()
    assert {(o["username"], o["availability"]) for o in listed} == {
        ("pm.av", "busy"),
        ("pm.av2", None),
    }
    assert set(listed[0]) == {
        "id",
        "username",
        "display_name",
        "unit",
        "availability",
        "availability_at",
    }
    everyone = client.get("/api/officers", headers=auth(dispatcher)).json()
    assert {o["username"] for o in everyone} == {"pm.av", "pm.av2", "tp.av"}
    # An officer sees their own unit, not another's.
    own = client.get("/api/officers", headers=auth(colleague)).json()
    assert {o["username"] for o in own} == {"pm.av", "pm.av2"}
    r = client.get("/api/officers", params={"unit": PHU_MY_UNIT}, headers=auth(other_ward))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"

    # A change queued offline keeps its time; an older one arriving late does not overwrite.
    at = (time.time() - 600) * 1000
    r = client.put(
        "/api/officers/me/availability",
        json={"status": "off_duty", "at": at},
        headers=auth(officer),
    )
    assert r.json()["availability"] == "busy"
    r = client.put(
        "/api/officers/me/availability",
        json={"status": "available", "at": time.time() * 1000},
        headers=auth(officer),
    )
    assert r.json()["availability"] == "available"
    audit = client.get(
        "/api/audit", params={"action": "officer.availability"}, headers=auth(login("adm", "admin"))
    )
    assert [
        e["detail"]["status"]
        for e in audit.json()["entries"]
        if e["action"] == "officer.availability"
    ] == [
        "available",
        "busy",
    ]


@pytest.mark.parametrize(
    ("body", "role", "status"),
    [
        ({"status": "asleep"}, "officer", 422),
        ({}, "officer", 422),
        ({"status": "busy", "at": "soon"}, "officer", 422),
        ({"status": "busy"}, "dispatcher", 403),
        ({"status": "busy"}, None, 401),
    ],
)
def test_availability_refusals(
    client: TestClient, login, body: dict[str, Any], role: str | None, status: int
) -> None:
    headers = {}
    if role:
        headers["Authorization"] = (
            f"Bearer {login('someone', role, PHU_MY_UNIT if role == 'officer' else None)}"
        )
    r = client.put("/api/officers/me/availability", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"] in ("invalid", "forbidden", "unauthenticated")
    if role:
        assert client.get(
            "/api/officers", params={"unit": "not a unit"}, headers=headers
        ).status_code in (403, 422)


# -- how it looks -----------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize("size", ["phone", "zoom200"])
def test_screens_at_phone_size_and_200_percent_zoom_in_both_languages(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole, size: str
) -> None:
    officer_account(live_server, "pm.look", PHU_MY_UNIT, "Võ Minh Khang")
    view = {"viewport": PHONE} if size == "phone" else PHONE_200
    lat, lon = point_in_ward(PHU_MY)
    context = new_context(
        geolocation={"latitude": lat + 0.004, "longitude": lon - 0.003, "accuracy": 20},
        permissions=["geolocation"],
        **view,
    )
    page = context.new_page()
    errors = watch_console(page)

    def look(name: str) -> None:
        shoot(page, f"{size}-{name}")
        # Nothing wider than the screen: the page reflows rather than scroll sideways (WCAG 1.4.10).
        wide = page.evaluate(
            "() => [...document.querySelectorAll('main *')]"
            ".filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.leaflet-container'))"
            ".map((e) => `${e.tagName}.${e.className}`)"
        )
        assert wide == [], f"{name}: wider than the screen: {wide[:5]}"
        # Touch targets of at least 48 px (a checkbox counts by its whole label).
        targets = "main button:visible, main a.button:visible, main a.o-item:visible, main .o-back:visible, "
        targets += "main .o-link:visible, main input:visible:not([type=checkbox]), main textarea:visible, main .o-toggle"
        for target in page.locator(targets).all():
            box = target.bounding_box()
            assert box and box["height"] >= 48 and box["width"] >= 48, (
                name,
                target.evaluate("e => e.outerHTML.slice(0, 90)"),
                box,
            )

    page.goto(live_server.url + "/officer/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    look("a-sign-in")
    sign_in(page, live_server, "pm.look")
    routed = citizen_report(
        live_server,
        category="traffic",
        description="Xe tải va chạm xe máy ở vòng xoay, một người bị thương nhẹ.",
    )
    expect(item(page, routed)).to_be_visible()
    report_id = citizen_report(
        live_server,
        description="Nhóm thanh niên đánh nhau trước quán karaoke, có hung khí.",
        contact={"name": "Trần Thị Bình", "phone": "0901 234 567"},
    )
    dispatch(
        live_server,
        police(live_server, "dieu.phoi", "dispatcher"),
        report_id,
        instructions="Đến ngay, phối hợp tổ tuần tra 141. Giữ an toàn cho người dân.",
    )
    expect(page.get_by_role("alert")).to_contain_text("Nhiệm vụ mới!")
    expect(item(page, report_id)).to_contain_text("cách")
    look("b-list-alert")
    item(page, report_id).click()
    expect(page.locator(".o-instructions")).to_be_visible()
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    expect(page.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")
    expect(page.locator(".o-map .leaflet-container")).to_be_visible()
    look("c-detail")
    page.get_by_role("button", name="Đang di chuyển đến").click()
    page.get_by_role("button", name="Đã đến hiện trường").click()
    page.get_by_role("button", name="Đã xử lý xong").click()
    expect(page.get_by_label("Kết quả xử lý")).to_be_visible()
    look("d-resolve-form")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Confirm resolved")).to_be_visible()
    look("e-resolve-form-en")
    page.get_by_role("link", name="List").click()
    expect(page.locator("#assigned-heading")).to_contain_text("Assigned to your unit")
    look("f-list-en")
    assert errors == []


# -- issue 15: field-ready -------------------------------------------------------------------------
def signed_in_client(server: LiveServer, username: str, role: str, unit: str | None, name: str) -> SyncClient:
    server.svc.accounts.create_sync(username, PASSWORD, role, unit, name)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client = SyncClient(server.url, r.json()["token"])
    client.user = r.json()["user"]  # type: ignore[attr-defined]
    return client


@pytest.mark.browser
def test_the_timeline_names_units_and_people_never_codes(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.names", PHU_MY_UNIT, "Nguyễn Văn An")
    dispatcher = signed_in_client(live_server, "dieu.phoi", "dispatcher", None, "Thiếu tá Trần Quốc Hùng")
    firefighter = signed_in_client(live_server, "pccc1", "officer", "dept-fire", "Đại úy Lê Văn Cường")
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.names")
    expect(page.locator(".user-card")).to_contain_text("Công an phường Phú Mỹ")
    report_id = citizen_report(live_server, description="Cháy nhỏ ở nhà kho, có người kẹt bên trong.")
    name = f"incident/{report_id}"
    dispatch(live_server, dispatcher, report_id, instructions="Phối hợp với PCCC.")
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": "dept-fire", "by": by, "by_name": "dieu.phoi", "at": now_ms()})
    assert dispatcher.sync(name).status_code == 200
    assert firefighter.pull(name).status_code == 200
    firefighter.append(name, "timeline", {"id": entry_id(), "type": "en_route", "unit": "dept-fire", "by": str(firefighter.user["id"]), "by_name": "pccc1", "at": now_ms()})  # type: ignore[attr-defined]
    assert firefighter.sync(name).status_code == 200

    page.goto(f"{live_server.url}/officer/#/incident/{report_id}")
    log = page.locator(".o-log")
    fire_police = "Phòng Cảnh sát PCCC và CNCH"
    expect(log).to_contain_text(f"Điều động {fire_police}")
    expect(log).to_contain_text("Điều động đơn vị của bạn")
    expect(log).to_contain_text("Thiếu tá Trần Quốc Hùng")
    expect(log).to_contain_text(f"Đại úy Lê Văn Cường · {fire_police}")
    expect(page.locator(".o-instructions")).to_contain_text("Thiếu tá Trần Quốc Hùng")
    for raw in ("dept-fire", PHU_MY_UNIT, "dieu.phoi", "pccc1", "Trực ban TTCH", f"#{by}"):
        expect(log).not_to_contain_text(raw)
    shoot(page, "15-timeline-names")
    page.get_by_role("button", name="English").click()
    expect(log).to_contain_text("Dispatched to Fire Prevention, Firefighting and Rescue Police")
    expect(log).not_to_contain_text("dept-fire")
    assert errors == []


@pytest.mark.browser
def test_availability_is_asked_at_sign_in_and_the_console_shows_the_choice(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole
) -> None:
    officer_account(live_server, "pm.ask", PHU_MY_UNIT, "Trần Văn Sáu")
    report_id = citizen_report(live_server)
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    sign_in(page, live_server, "pm.ask")
    ask = page.get_by_role("group", name="Đã đăng nhập. Bạn có nhận nhiệm vụ được không?")
    expect(ask).to_be_visible()
    box = ask.bounding_box()
    assert box and box["y"] < 844 / 2  # the first thing on the screen after signing in
    shoot(page, "15-availability-asked")
    ask.get_by_role("button", name="Sẵn sàng").click()
    expect(ask).to_have_count(0)
    mine = page.get_by_role("group", name="Trạng thái của tôi")
    expect(mine.get_by_role("button", name="Sẵn sàng")).to_have_attribute("aria-pressed", "true")
    wait_for(
        lambda: rows(live_server, "SELECT status FROM officer_availability") == [{"status": "available"}],
        what="the availability row",
    )
    page.reload()  # the same session: not asked again
    expect(mine).to_be_visible()
    expect(ask).to_have_count(0)

    # The command center's dispatch picker shows the officer as available, not "unknown".
    live_server.svc.accounts.create_sync("dieu.phoi", PASSWORD, "dispatcher")
    center = new_context(viewport={"width": 1366, "height": 768}).new_page()
    center.goto(live_server.url + "/center/")
    center.get_by_label("Tên đăng nhập").fill("dieu.phoi")
    center.get_by_label("Mật khẩu").fill(PASSWORD)
    center.get_by_role("button", name="Đăng nhập").click()
    expect(center.locator(".console")).to_have_attribute("data-queue", "live")
    center.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    expect(center.locator(f'.detail[data-incident="{report_id}"] .detail__actions')).to_be_visible()
    center.keyboard.press("d")
    picker = center.locator('[data-form="dispatch"]')
    expect(picker.locator(f'[data-unit="{PHU_MY_UNIT}"]')).to_contain_text("Trần Văn Sáu · sẵn sàng")
    expect(picker.locator(f'[data-unit="{PHU_MY_UNIT}"]')).to_contain_text("1/1 cán bộ sẵn sàng")

    # Signed in again (a new shift): asked again.
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    sign_in(page, live_server, "pm.ask")
    expect(ask).to_be_visible()
    assert errors == []


def quietly(page: Page, expression: str) -> Any:
    """Evaluate in the page over CDP without a user gesture: Playwright's own evaluate (and so
    its waits) runs as one, which would unlock vibrate and sound as a tap does."""
    cdp = page.context.new_cdp_session(page)
    answer = cdp.send(
        "Runtime.evaluate",
        {"expression": expression, "awaitPromise": True, "returnByValue": True, "userGesture": False},
    )
    cdp.detach()
    return answer["result"].get("value")


WAIT_FOR = """new Promise((resolve, reject) => {{
    const until = Date.now() + 10000;
    const check = () => document.querySelector({selector!r})
      ? requestAnimationFrame(() => setTimeout(() => resolve(true), 50))
      : Date.now() > until ? reject(new Error('no ' + {selector!r})) : setTimeout(check, 50);
    check();
}})"""


@pytest.mark.browser
def test_no_vibrate_intervention_before_a_tap_and_a_big_sound_toggle(
    live_server: LiveServer, new_context: NewContext
) -> None:
    officer_account(live_server, "pm.buzz", PHU_MY_UNIT)
    context = new_context(viewport=PHONE)
    first = context.new_page()
    sign_in(first, live_server, "pm.buzz")
    first.close()
    # The app opened again with the stored session, as from the phone's home screen: not a tap
    # in it yet. New work arrives.
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"uncaught: {error}"))
    page.goto(live_server.url + "/officer/")
    assert quietly(page, WAIT_FOR.format(selector=".o-sync"))
    report_id = citizen_report(live_server)
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id)
    assert quietly(page, WAIT_FOR.format(selector=".o-alert--assigned"))  # it rang
    assert quietly(page, "navigator.userActivation.hasBeenActive") is False
    assert [m for m in messages if "vibrate" in m.lower()] == []

    sound = page.get_by_role("button", name="Chuông báo nhiệm vụ mới")
    box = sound.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44, box
    expect(sound).to_have_attribute("aria-pressed", "true")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("localStorage.getItem('sos.officer.mute')") == "true"
    shoot(page, "15-sound-toggle")


@pytest.mark.browser
def test_the_outcome_photo_picker_is_a_translated_button_over_a_hidden_input(
    live_server: LiveServer, new_context: NewContext, watch_console: WatchConsole, tmp_path
) -> None:
    from .media import files

    officer_account(live_server, "pm.pick", PHU_MY_UNIT)
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    acknowledged_assignment(page, live_server, "pm.pick")
    page.get_by_role("button", name="Đã đến hiện trường").click()
    page.get_by_role("button", name="Đã xử lý xong").click()
    button = page.locator(".o-file-button")
    expect(button).to_have_text("Chụp hoặc chọn ảnh")
    expect(button).to_be_visible()
    assert "Choose" not in button.inner_text()
    box = button.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 200
    raw = page.locator('input[type="file"][name="photos"]')
    # Not seen (transparent), but lying over the button: a tap on the button is a tap on it.
    assert raw.evaluate("e => getComputedStyle(e).opacity") == "0"
    raw_box = raw.bounding_box()
    assert raw_box and abs(raw_box["width"] - box["width"]) < 8 and abs(raw_box["height"] - box["height"]) < 8
    # Still reachable: by its label, and by Tab (the focus ring is drawn on the button).
    photos = page.get_by_label("Ảnh hiện trường (không bắt buộc)")
    expect(photos).to_have_attribute("type", "file")
    page.get_by_label("Kết quả xử lý").focus()
    page.keyboard.press("Tab")
    expect(raw).to_be_focused()
    photos.set_input_files([str(files.jpeg(tmp_path / "a.jpg")), str(files.jpeg(tmp_path / "b.jpg"))])
    expect(page.locator(".o-form [role=status]")).to_have_text("Đã chọn 2 ảnh")
    shoot(page, "15-photo-button")
    page.get_by_role("button", name="English").click()
    expect(button).to_have_text("Take or choose photos")
    assert errors == []
