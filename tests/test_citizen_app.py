"""The citizen app in a real headless Chromium against the real server (issue 4's acceptance).

Needs a build: `make pwa`. Screenshots go to /tmp/sos-citizen/ (phone size and 200 % zoom).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Request, expect

from app.settings import Settings

from .citizen_helpers import (
    PHONE,
    PHONE_200,
    TAN_PHU,
    device_token,
    fire_background_sync,
    located_phone,
    police,
    report_id_of,
    shoot,
    stored_updates,
    tan_phu,
)
from .officer_helpers import dispatch
from .server_checks import doc_json, rows, wait_for
from .sync_client import entry_id, now_ms

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
SYNC_REQUEST_BUDGET = 2048  # bytes on the wire for a text report (issue 4)
DESCRIPTION = "Hai thanh niên đi xe máy giật túi xách của một phụ nữ trước cổng chợ, chạy về hướng Lũy Bán Bích."

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-15a")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No escalation timers firing mid-test; no map tiles from the internet (there is none here).
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def wire_size(request: Request) -> int:
    """Request line, headers and body, as HTTP/1.1 puts them on the wire."""
    head = f"{request.method} {re.sub(r'^https?://[^/]+', '', request.url)} HTTP/1.1\r\n"
    head += "".join(f"{h['name']}: {h['value']}\r\n" for h in request.headers_array())
    return len(head.encode()) + 2 + len(request.post_data_buffer or b"")


def test_report_with_location_reaches_the_ward_and_the_center(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    context = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"])
    page = context.new_page()
    errors = watch_console(page)
    syncs: list[Request] = []
    page.on(
        "request",
        lambda r: syncs.append(r) if r.method == "POST" and "/sync/report/" in r.url else None,
    )
    page.goto(live_server.url + "/")

    expect(page.locator(".location__state")).to_contain_text("±12 m")
    shoot(page, "1-report-form")
    page.get_by_text("An ninh trật tự").click()
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill(DESCRIPTION)
    page.get_by_role("button", name="Gửi tin báo").click()

    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    shoot(page, "2-report-received")

    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id)[0]
    assert report["category"] == "crime" and report["description"] == DESCRIPTION
    assert report["ward_code"] == TAN_PHU and report["no_location"] == 0
    assert report["accuracy"] == 12
    units = {
        r["unit"]
        for r in rows(
            live_server, "SELECT unit FROM incident_units WHERE incident_id = ?", report_id
        )
    }
    assert f"ward-{TAN_PHU}" in units and "center" in units
    queued = wait_for(
        lambda: doc_json(live_server, "inbox/center", "incidents").get(report_id),
        what="inbox/center",
    )
    assert queued["ward_code"] == TAN_PHU

    assert len(syncs) == 1, "one request for one report"
    size = wire_size(syncs[0])
    print(
        f"text report sync request: {size} bytes on the wire, body {len(syncs[0].post_data_buffer)}"
    )
    assert size < SYNC_REQUEST_BUDGET
    assert errors == []


def open_with_a_gps_fix(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> tuple[Page, list[str]]:
    """The citizen app on a phone in Tân Phú, its GPS fix shown; returns the page and its errors."""
    context = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"])
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    expect(page.locator(".location__state")).to_contain_text("±12 m")
    return page, errors


def test_the_pin_can_be_moved_with_the_keyboard(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors = open_with_a_gps_fix(live_server, new_context, watch_console)
    page.get_by_role("button", name="Chỉnh vị trí trên bản đồ").click()
    pin = page.get_by_role("button", name="Nơi xảy ra sự việc")
    pin.focus()
    for key in ("ArrowUp", "ArrowUp", "ArrowRight", "Shift+ArrowUp"):  # quickly: none is lost
        page.keyboard.press(key)
    expect(page.locator(".location__state")).not_to_contain_text("±12 m")  # placed by hand now
    report_id = send_report(page, "An ninh trật tự", "Trộm cắp ở đầu hẻm.")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    report = rows(live_server, "SELECT lat, lon FROM reports WHERE id = ?", report_id)[0]
    lat, lon = tan_phu()["latitude"], tan_phu()["longitude"]
    # Up 7 steps (1 + 1 + 5) and right 1, about 10 m each at street zoom: north and a little east.
    assert 0.0004 < report["lat"] - lat < 0.0009 and 0.00003 < report["lon"] - lon < 0.00015, report
    assert errors == []


def send_report(page: Page, category: str, description: str = "") -> str:
    page.get_by_text(category, exact=True).click()
    if description:
        page.get_by_label("Mô tả sự việc và nơi xảy ra").fill(description)
    page.get_by_role("button", name="Gửi tin báo").click()
    return report_id_of(page)


def test_offline_report_survives_a_browser_restart_and_arrives_once(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path
) -> None:
    profile = tmp_path / "profile"
    options = located_phone()
    context = new_context(user_data_dir=profile, **options)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="Mất mạng")).to_be_visible()
    report_id = send_report(
        page, "Tai nạn giao thông", "Xe tải va chạm xe máy, một người bị thương."
    )
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
    expect(page.locator(".status-card")).to_contain_text("Chưa có mạng")
    shoot(page, "3-saved-offline")
    assert errors == []
    page.close()
    context.close()
    assert rows(live_server, "SELECT id FROM reports WHERE id = ?", report_id) == []

    # The browser comes back (still with no network): the report is there, waiting.
    context = new_context(user_data_dir=profile, offline=True, **options)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/#/reports")
    item = page.locator(f'[data-report="{report_id}"]')
    expect(item).to_contain_text("Đã lưu trên điện thoại")
    shoot(page, "4-my-reports-offline")
    assert rows(live_server, "SELECT id FROM reports WHERE id = ?", report_id) == []

    context.set_offline(False)
    expect(item).to_contain_text("Đã đến trung tâm")
    assert len(rows(live_server, "SELECT id FROM reports WHERE id = ?", report_id)) == 1
    assert stored_updates(live_server, f"report/{report_id}") == 1
    # A reload sends nothing again: the queue was emptied by the acknowledgement.
    page.reload()
    expect(page.locator(f'[data-report="{report_id}"]')).to_contain_text("Đã đến trung tâm")
    assert stored_updates(live_server, f"report/{report_id}") == 1
    assert errors == []


def test_the_service_worker_sends_the_queue_with_no_page_open(
    live_server, new_context: NewContext
) -> None:
    """Background Sync: once the network is back, the worker alone sends what the page queued."""
    context = new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    wait_for(lambda: device_token(page), what="the device identity")
    context.set_offline(True)
    report_id = send_report(page, "Sự cố khác", "Đèn tín hiệu giao thông bị hỏng.")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
    page.close()  # no page of the app is left: only the service worker can send now
    context.set_offline(False)

    fire_background_sync(context, live_server)
    wait_for(
        lambda: rows(live_server, "SELECT id FROM reports WHERE id = ?", report_id),
        what="the report",
    )
    assert stored_updates(live_server, f"report/{report_id}") == 1
    # The app, opened again, knows it was sent (the worker recorded the acknowledgement) and
    # sends nothing more.
    page = context.new_page()
    page.goto(f"{live_server.url}/#/reports/{report_id}")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    assert stored_updates(live_server, f"report/{report_id}") == 1


def test_photos_wait_on_the_phone_until_the_report_is_sent_then_upload(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    photo = Settings().pwa_dist.parent / "static" / "icons" / "citizen-192.png"
    page.locator("input[type=file][multiple]").set_input_files(photo)
    item = page.locator(".media-item")
    expect(item).to_contain_text("citizen-192.png")
    expect(item).to_contain_text("Chờ tải lên")
    expect(item.locator("img")).to_have_attribute("src", re.compile("^blob:"))
    expect(item.locator("progress")).to_have_attribute("value", "0")
    shoot(page, "9-photo-attached")
    report_id = send_report(page, "An ninh trật tự", "Ảnh chụp biển số xe.")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    # Uploads need the report on the server first; then the photo goes and its id joins `media`.
    expect(page.locator(".media-item")).to_contain_text("Đã tải lên")
    wait_for(lambda: doc_json(live_server, f"report/{report_id}", "report")["media"], what="report.media")
    # The draft is empty again, and the photo stays with its report after a reload.
    page.get_by_role("link", name="Báo tin", exact=True).click()
    expect(page.locator(".media-item")).to_have_count(0)
    page.goto(f"{live_server.url}/#/reports/{report_id}")
    page.reload()
    expect(page.locator(".media-item")).to_contain_text("citizen-192.png")
    assert errors == []


def test_contact_for_call_backs_is_optional_kept_and_sent_with_reports(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    # Asked once, after the first report, and skippable.
    first = send_report(page, "Sự cố khác")
    expect(page.get_by_role("heading", name="Công an có thể cần gọi lại cho bạn")).to_be_visible()
    page.get_by_role("button", name="Bỏ qua").click()
    expect(page.get_by_role("heading", name="Công an có thể cần gọi lại cho bạn")).to_have_count(0)
    page.reload()
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    expect(page.get_by_role("heading", name="Công an có thể cần gọi lại cho bạn")).to_have_count(0)

    # Editable later from its own screen; the server's phone rule is checked on the phone first.
    page.get_by_role("link", name="Liên hệ", exact=True).click()
    page.get_by_label("Họ tên").fill("Nguyễn Văn An")
    page.get_by_label("Số điện thoại").fill("090-abc")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("alert")).to_contain_text("chỉ gồm chữ số")
    page.get_by_label("Số điện thoại").fill("0901 234 567")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu thông tin liên hệ")).to_be_visible()
    token = device_token(page)
    device = rows(
        live_server,
        "SELECT contact_name, contact_phone FROM devices WHERE contact_phone IS NOT NULL",
    )
    assert device == [{"contact_name": "Nguyễn Văn An", "contact_phone": "0901 234 567"}], token

    page.get_by_role("link", name="Báo tin", exact=True).click()
    expect(page.locator(".send-note").last).to_contain_text("Nguyễn Văn An · 0901 234 567")
    second = send_report(page, "Cháy nổ")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    report = rows(
        live_server, "SELECT contact_name, contact_phone FROM reports WHERE id = ?", second
    )[0]
    assert report == {"contact_name": "Nguyễn Văn An", "contact_phone": "0901 234 567"}
    assert (
        rows(live_server, "SELECT contact_phone FROM reports WHERE id = ?", first)[0][
            "contact_phone"
        ]
        is None
    )
    assert errors == []


def test_report_without_location_permission_arrives_flagged(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    context = new_context(viewport=PHONE)  # geolocation not granted: the prompt is refused
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    expect(page.locator(".location__state")).to_contain_text("không được phép lấy vị trí")
    shoot(page, "5-location-refused")
    report_id = send_report(page, "Cháy nổ")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    expect(page.locator(".facts")).to_contain_text("Không có vị trí")
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id)[0]
    assert report["no_location"] == 1 and report["lat"] is None and report["accuracy"] is None
    assert errors == []


def test_citizen_sees_progress_and_the_police_message_live(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors = open_with_a_gps_fix(live_server, new_context, watch_console)
    report_id = send_report(page, "An ninh trật tự", DESCRIPTION)
    badge = page.locator(".status-card .badge")
    expect(badge).to_have_text(re.compile("Đã đến trung tâm"))

    # A dispatcher at the command center triages, dispatches the ward and writes to the citizen;
    # the server turns that into reply/<id>, which the open page follows over its WebSocket.
    name = f"incident/{report_id}"
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id, unit=f"ward-{TAN_PHU}")
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(
        name,
        "dispatch",
        {
            "id": entry_id(),
            "action": "message",
            "text": "Tổ công tác đang đến, bạn hãy ở nơi an toàn.",
            "by": by,
            "at": now_ms(),
        },
    )
    assert dispatcher.sync(name).status_code == 200

    expect(badge).to_have_text(re.compile("Đang xử lý"))
    police_message = page.locator(".message--police")
    expect(police_message).to_contain_text("Tổ công tác đang đến")
    # Screen readers hear it without moving: the live region says what changed.
    expect(page.locator("[aria-live=polite]")).to_contain_text("Đang xử lý")
    shoot(page, "6-in-progress-with-message")

    # The citizen writes back; it is appended to report.messages and reaches the server.
    page.get_by_label("Bổ sung thông tin cho công an").fill("Đối tượng mặc áo đen, xe máy màu đỏ.")
    page.get_by_role("button", name="Gửi bổ sung").click()
    mine = page.locator(".message--me")
    expect(mine).to_contain_text("áo đen")
    expect(mine).not_to_contain_text("Chờ gửi")
    report = doc_json(live_server, f"report/{report_id}", "report")
    assert [m["text"] for m in report["messages"]] == ["Đối tượng mặc áo đen, xe máy màu đỏ."]

    # Offline, the last known status and messages are still there.
    page.context.set_offline(True)
    page.reload()
    expect(badge).to_have_text(re.compile("Đang xử lý"))
    expect(police_message).to_contain_text("Tổ công tác đang đến")
    expect(page.locator(".status-card")).to_contain_text("Đang mất mạng")
    assert errors == []


def test_a_second_device_cannot_read_the_first_devices_report_or_reply(
    live_server, new_context: NewContext
) -> None:
    first = new_context(
        viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"]
    ).new_page()
    first.goto(live_server.url + "/")
    report_id = send_report(first, "Sự cố khác", "Có người ngã xuống kênh.")
    expect(first.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))

    second = new_context(viewport=PHONE).new_page()
    second.goto(live_server.url + "/")
    wait_for(lambda: device_token(second), what="the second device's identity")
    outcomes = second.evaluate(PROBE, report_id)
    for name in ("report", "reply"):
        http, ws = outcomes[name]["http"], outcomes[name]["ws"]
        assert http["status"] == 403 and http["body"]["error"] == "forbidden", (name, http)
        # y-websocket's permission-denied auth message [2, 0, reason], then a close 4403.
        assert ws["first"][:2] == [2, 0] and ws["code"] == 4403, (name, ws)
    # And it is not among the second device's reports.
    second.goto(live_server.url + "/#/reports")
    expect(second.get_by_text("Bạn chưa gửi tin báo nào")).to_be_visible()


# From the second device's page: HTTP sync (step 1 only: "send me what I lack") and WebSocket.
PROBE = """async (id) => {
  const device = await new Promise((resolve) => {
    const open = indexedDB.open('sos-sync');
    open.onsuccess = () => {
      const get = open.result.transaction('credentials').objectStore('credentials').get('device');
      get.onsuccess = () => resolve(get.result);
    };
  });
  const step1 = new Uint8Array([0, 0, 1, 0]);
  const out = {};
  for (const kind of ['report', 'reply']) {
    const r = await fetch(`/sync/${kind}/${id}`, {
      method: 'POST', body: step1,
      headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${device.token}` },
    });
    const http = { status: r.status, body: await r.json() };
    const ws = await new Promise((resolve) => {
      const socket = new WebSocket(`ws://${location.host}/sync/${kind}/${id}?token=${device.token}`);
      socket.binaryType = 'arraybuffer';
      let first = null;
      socket.onmessage = (e) => { first = first || [...new Uint8Array(e.data)]; };
      socket.onclose = (e) => resolve({ first, code: e.code });
    });
    out[kind] = { http, ws };
  }
  return out;
}"""


class TestRefusals:
    """Nothing the server refuses is dropped: the report stays on the phone, the screen says why."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # 2, not 1: with a limit of 1 the server's GCRA compares `now + 3600 - 3600 > now` on the
        # very first report, which floating point sometimes makes true (reported to the lead).
        return settings.with_(reports_per_device_per_hour=2)

    def test_too_many_reports_wait_politely_and_are_kept(
        self, live_server, new_context: NewContext, watch_console: WatchConsole
    ) -> None:
        page = new_context(viewport=PHONE).new_page()
        errors = watch_console(page)
        page.goto(live_server.url + "/")
        for text in ("Khói bốc lên từ tầng hai.", "Có người còn kẹt trong nhà."):
            page.get_by_role("link", name="Báo tin", exact=True).click()
            send_report(page, "Cháy nổ", text)
            expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))

        page.get_by_role("link", name="Báo tin", exact=True).click()
        second = send_report(page, "Cháy nổ", "Lửa đã lan sang nhà bên cạnh.")
        card = page.locator(".status-card")
        expect(card.locator(".badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
        expect(card).to_contain_text("Có quá nhiều tin báo")
        # When: the server's Retry-After (60 s when the answer has none; see the report to the lead).
        expect(card).to_contain_text(re.compile(r"sẽ tự gửi lại sau \d+ (giây|phút)"))
        expect(card).to_contain_text("113")
        shoot(page, "7-rate-limited")
        assert rows(live_server, "SELECT id FROM reports WHERE id = ?", second) == []
        # Kept: still listed after a reload, still waiting.
        page.reload()
        expect(card.locator(".badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
        assert errors == []

    def test_a_refused_report_shows_the_reason_and_can_be_fixed_and_sent_again(
        self, live_server, new_context: NewContext
    ) -> None:
        page = new_context(viewport=PHONE).new_page()
        page.goto(live_server.url + "/")
        # An older server's refusal: a class and an English message, no code (issue 23).
        refusal = {
            "error": "invalid",
            "message": "description is 4001 characters; the limit is 4000",
        }
        page.route("**/sync/report/*", lambda route: route.fulfill(status=422, json=refusal))
        send_report(page, "Sự cố khác", "Cây đổ chắn ngang đường.")
        card = page.locator(".status-card")
        expect(card).to_contain_text("Tin báo chưa được nhận: Máy chủ không nhận nội dung này")
        expect(card).not_to_contain_text("the limit is 4000")  # English only for English readers
        expect(card).to_contain_text("Hãy sửa rồi gửi lại")
        shoot(page, "8-refused")
        page.unroute("**/sync/report/*")
        expect(card.get_by_role("button", name="Thử gửi lại")).to_have_count(0)
        page.get_by_role("button", name="Sửa", exact=True).click()
        expect(page.get_by_label("Mô tả sự việc và nơi xảy ra")).to_have_value("Cây đổ chắn ngang đường.")
        page.get_by_role("button", name="Gửi tin báo").click()
        report_id = report_id_of(page)
        expect(card.locator(".badge")).to_have_text(re.compile("Đã đến trung tâm"))
        assert len(rows(live_server, "SELECT id FROM reports WHERE id = ?", report_id)) == 1


def test_a_report_made_before_the_device_identity_exists_is_sent_once_it_does(
    live_server, new_context: NewContext
) -> None:
    # No service worker: its Background Sync would make the identity behind the page's back.
    page = new_context(viewport=PHONE, service_workers="block").new_page()
    page.route("**/api/citizen/devices", lambda route: route.abort("internetdisconnected"))
    page.goto(live_server.url + "/")
    report_id = send_report(page, "Tai nạn giao thông")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
    assert device_token(page) is None
    page.unroute("**/api/citizen/devices")
    page.reload()  # the next app start makes the identity, then sends
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    assert rows(live_server, "SELECT device_id FROM reports WHERE id = ?", report_id)[0][
        "device_id"
    ]


@pytest.mark.parametrize("size", ["phone", "zoom200"])
def test_screens_at_phone_size_and_200_percent_zoom_in_both_languages(
    live_server, new_context: NewContext, watch_console: WatchConsole, size: str
) -> None:
    view = {"viewport": PHONE} if size == "phone" else PHONE_200
    context = new_context(geolocation=tan_phu(), permissions=["geolocation"], **view)
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

    page.goto(live_server.url + "/")
    expect(page.locator(".location__state")).to_contain_text("±12 m")
    page.screenshot(path=shoot(page, f"{size}-a-form").with_name(f"{size}-a-form-viewport.png"))
    look("a-form")
    page.get_by_role("button", name="Chỉnh vị trí trên bản đồ").click()
    expect(page.locator(".map-pin")).to_be_visible()
    look("b-map")
    report_id = send_report(page, "Tai nạn giao thông", "Va chạm giữa hai xe máy ở ngã tư.")
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    look("c-detail")
    page.get_by_role("link", name="Tin đã báo", exact=True).click()
    expect(page.locator(f'[data-report="{report_id}"]')).to_be_visible()
    look("d-list")
    page.get_by_role("button", name="English").click()
    expect(page.locator(f'[data-report="{report_id}"]')).to_contain_text("Delivered to the center")
    page.get_by_role("link", name="Contact", exact=True).click()
    expect(page.get_by_label("Phone number")).to_be_visible()
    look("e-contact-en")
    page.get_by_role("link", name="Report", exact=True).click()
    look("f-form-en")
    for target in page.locator(
        "button:visible, a.button:visible, .tabs__tab, input:visible:not(.visually-hidden), textarea"
    ).all():
        box = target.bounding_box()
        assert box and min(box["height"], box["width"]) >= 48, (
            target.evaluate("e => e.outerHTML.slice(0, 80)"),
            box,
        )
    assert errors == []


def test_reopening_with_two_reports_changed_by_the_police_shows_both_without_an_error(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path
) -> None:
    """Issue 15: a saved profile whose two reports the police changed while the tab was closed
    used to throw "Cannot read properties of undefined (reading 'reply')" at start."""
    profile = tmp_path / "profile"
    options = located_phone()
    context = new_context(user_data_dir=profile, **options)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    ids = []
    for category in ("An ninh trật tự", "Tai nạn giao thông"):
        ids.append(send_report(page, category, DESCRIPTION))
        expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
        page.goto(live_server.url + "/#/")
    assert errors == []
    context.close()

    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    for report_id in ids:
        dispatch(live_server, dispatcher, report_id, unit=f"ward-{TAN_PHU}")
        wait_for(
            lambda rid=report_id: doc_json(live_server, f"reply/{rid}", "reply").get("status")
            == "in_progress",
            what="the reply's new status",
        )

    context = new_context(user_data_dir=profile, **options)
    page = context.new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/#/reports")
    for report_id in ids:
        expect(page.locator(f'[data-report="{report_id}"]')).to_contain_text("Đang xử lý")
    page.reload()  # a second start, now with both replies changed on the phone too
    for report_id in ids:
        expect(page.locator(f'[data-report="{report_id}"]')).to_contain_text("Đang xử lý")
    assert errors == []


def test_someone_hurt_is_one_tap_and_makes_any_category_p1(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    """Issue 15: a drowning filed under "other" arrived as P3."""
    page, errors = open_with_a_gps_fix(live_server, new_context, watch_console)
    page.get_by_text("Sự cố khác", exact=True).click()
    toggle = page.get_by_role("button", name="Có người bị thương / nguy hiểm đến tính mạng")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    box = toggle.bounding_box()
    assert box and box["height"] >= 56  # a big target, easy to hit in a hurry
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#danger-hint")).to_contain_text("khẩn cấp nhất")
    shoot(page, "15-danger-on")
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill("Một em bé bị đuối nước ở kênh.")
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)
    incident = wait_for(
        lambda: rows(live_server, "SELECT category, priority FROM incidents WHERE id = ?", report_id),
        what="the incident",
    )[0]
    assert incident == {"category": "other", "priority": 1}
    assert doc_json(live_server, f"report/{report_id}", "report")["danger"] is True
    # The next report starts unmarked: the toggle was part of that report's draft only.
    page.get_by_role("link", name="Báo tin").click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert errors == []


def test_emergency_numbers_are_in_the_first_screenful_of_a_small_phone(
    live_server, new_context: NewContext
) -> None:
    page = new_context(viewport={"width": 360, "height": 640}).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator(".category__label")).to_have_count(4)
    links = page.locator('a[href^="tel:"]')
    expect(links).to_have_count(3)
    for i, number in enumerate(("113", "114", "115")):
        link = links.nth(i)
        assert link.get_attribute("href") == f"tel:{number}"
        box = link.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 640, (number, box)
        assert box["height"] >= 44 and box["width"] >= 44
    assert page.evaluate("scrollY") == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "citizen-report-360x640.png")


def test_the_citizen_sees_on_the_way_on_scene_resolved_and_closed(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors = open_with_a_gps_fix(live_server, new_context, watch_console)
    report_id = send_report(page, "An ninh trật tự", DESCRIPTION)
    badge = page.locator(".status-card .badge")
    expect(badge).to_have_text(re.compile("Đã đến trung tâm"))
    name, unit = f"incident/{report_id}", f"ward-{TAN_PHU}"
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    officer = police(live_server, "tp1", "officer", unit)
    dispatch(live_server, dispatcher, report_id, unit=unit)
    expect(badge).to_have_text(re.compile("Đang xử lý"))
    stage = page.locator(".status-card__stage")
    expect(stage).to_have_count(0)  # dispatched: nobody on the way yet

    def in_both_languages(vi: str, en: str, headline_vi: str, headline_en: str) -> None:
        expect(stage).to_have_text(vi)
        expect(badge).to_have_text(re.compile(headline_vi))
        page.get_by_role("button", name="English").click()
        expect(stage).to_have_text(en)
        expect(badge).to_have_text(re.compile(headline_en))
        page.get_by_role("button", name="Tiếng Việt").click()

    by = str(officer.user["id"])  # type: ignore[attr-defined]
    assert officer.pull(name).status_code == 200
    steps = [
        ("en_route", "Công an đang trên đường đến", "Police on the way", "Đang xử lý", "In progress"),
        ("on_scene", "Công an đã có mặt tại hiện trường", "Police on scene", "Đang xử lý", "In progress"),
        ("resolved", "Công an đã xử lý xong", "Resolved by the police", "Đã xử lý", "Done"),
    ]
    for step, vi, en, headline_vi, headline_en in steps:
        officer.append(name, "timeline", {"id": entry_id(), "type": step, "unit": unit, "by": by, "at": now_ms()})
        assert officer.sync(name).status_code == 200
        in_both_languages(vi, en, headline_vi, headline_en)
        if step == "on_scene":
            shoot(page, "15-on-scene")
    assert dispatcher.pull(name).status_code == 200
    dispatcher.append(
        name,
        "dispatch",
        {"id": entry_id(), "action": "close", "outcome": "handled", "by": str(dispatcher.user["id"]), "at": now_ms()},  # type: ignore[attr-defined]
    )
    assert dispatcher.sync(name).status_code == 200
    in_both_languages("Đã đóng tin báo", "Closed", "Đã xử lý", "Done")
    assert errors == []


def test_the_live_region_speaks_the_chosen_language(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors = open_with_a_gps_fix(live_server, new_context, watch_console)
    region = page.locator("[aria-live=polite]")
    report_id = send_report(page, "An ninh trật tự", DESCRIPTION)
    expect(region).to_have_text("Tin báo An ninh trật tự: Đã đến trung tâm")
    # What was said last follows a change of language: no Vietnamese left for an English reader.
    page.get_by_role("button", name="English").click()
    expect(region).to_have_text("Report Crime and public order: Delivered to the center")
    dispatcher = police(live_server, "dieu.phoi", "dispatcher")
    dispatch(live_server, dispatcher, report_id, unit=f"ward-{TAN_PHU}")
    expect(region).to_contain_text("In progress")
    expect(region).to_contain_text("Crime and public order")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(region).to_contain_text("Đang xử lý")
    assert errors == []
