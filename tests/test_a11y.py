"""Accessibility in CI: axe-core (npm `axe-core`, pinned in tests/a11y) injected into the real
Chromium on the screens of the three apps. The gate is 0 serious and 0 critical violations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .center_helpers import device, open_console, queue_item, report, tan_phu
from .citizen_helpers import TAN_PHU, report_id_of
from .citizen_helpers import tan_phu as gps
from .conftest import LiveServer
from .officer_helpers import (
    PHU_MY,
    PHU_MY_UNIT,
    citizen_report,
    dispatch,
    officer_account,
    police,
    sign_in,
)
from .sync_client import entry_id, now_ms, point_in_ward

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 640}
SHOTS = Path("/tmp/sos-shots")  # pictures of the changed screens, for a person to look at


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
    switch_named_by_its_text(page)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result if v["impact"] in ("serious", "critical")
    ]


def switch_named_by_its_text(page: Page) -> None:
    """The language buttons' names begin with what they show ("EN", then "English"), on every
    screen that has them: a speech-input user says what they see."""
    options = page.locator(".lang-switch__option:visible")
    for i in range(options.count()):
        # What is seen: the text, less anything clipped to a pixel (read by screen readers only).
        shown = options.nth(i).evaluate(
            "b => [...b.childNodes].filter(n => n.nodeType === 3 || n.getBoundingClientRect().width > 1)"
            ".map(n => n.textContent).join('').trim()"
        )
        assert shown in ("VI", "EN"), shown
        expect(options.nth(i)).to_have_accessible_name(
            {"VI": "VI Tiếng Việt", "EN": "EN English"}[shown]
        )


def test_citizen_screens(live_server: LiveServer, new_context) -> None:
    page = new_context(
        viewport=PHONE, locale="vi-VN", bypass_csp=True, geolocation=gps(), permissions=["geolocation"]
    ).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator(".location__state")).to_contain_text("±12 m")
    found = {"home": serious(page)}
    page.get_by_text("An ninh trật tự", exact=True).click()
    expect(page.get_by_label("Mô tả sự việc và nơi xảy ra")).to_be_visible()
    found["report"] = serious(page)
    page.get_by_role("button", name="Chỉnh vị trí trên bản đồ").click()
    expect(page.locator(".map-pin")).to_be_visible()
    found["map picker"] = serious(page)
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill("Hai thanh niên giật túi xách trước chợ.")
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    found["detail"] = serious(page)
    page.get_by_role("link", name="Tin đã báo", exact=True).click()
    expect(page.locator(f'[data-report="{report_id}"]')).to_be_visible()
    found["my reports"] = serious(page)
    page.get_by_role("link", name="Liên hệ", exact=True).click()
    expect(page.get_by_label("Số điện thoại")).to_be_visible()
    found["contact"] = serious(page)
    # The other language: the switch's names follow its text there too.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Phone number")).to_be_visible()
    found["contact (en)"] = serious(page)
    page.get_by_role("link", name="Report", exact=True).click()
    expect(page.locator(".location__state")).to_be_visible()
    found["home (en)"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_citizen_refusal_and_message_screens(live_server: LiveServer, new_context) -> None:
    """Issue 23's citizen screens: a report refused for good (Sửa / Bỏ, and the confirmation),
    and a report with the new-message notice at its top."""
    page = new_context(
        viewport=PHONE, locale="vi-VN", bypass_csp=True, geolocation=gps(), permissions=["geolocation"]
    ).new_page()
    page.goto(live_server.url + "/")
    refusal = {"error": "invalid", "code": "description_too_long",
               "params": {"field": "description", "length": 4005, "limit": 4000}, "message": "too long"}
    page.route("**/sync/report/*", lambda route: route.fulfill(status=422, json=refusal))
    page.get_by_text("An ninh trật tự", exact=True).click()
    page.get_by_role("button", name="Gửi tin báo").click()
    card = page.locator(".status-card")
    expect(card.get_by_role("button", name="Sửa", exact=True)).to_be_visible()
    found = {"refused": serious(page)}
    card.get_by_role("button", name="Bỏ", exact=True).click()
    expect(card.get_by_role("button", name="Bỏ tin báo")).to_be_visible()
    found["discard confirmation"] = serious(page)
    page.unroute("**/sync/report/*")
    card.get_by_role("button", name="Không, giữ lại").click()
    card.get_by_role("button", name="Sửa", exact=True).click()
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    dispatcher = police(live_server, "dieu.phoi.a11y", "dispatcher")
    dispatch(live_server, dispatcher, report_id, unit=f"ward-{TAN_PHU}")
    dispatcher.append(f"incident/{report_id}", "dispatch", {
        "id": entry_id(), "action": "message", "text": "Tổ công tác đang đến.",
        "by": str(dispatcher.user["id"]), "at": now_ms()})  # type: ignore[attr-defined]
    assert dispatcher.sync(f"incident/{report_id}").status_code == 200
    expect(page.locator(".notice--message")).to_be_visible()
    found["message notice"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_officer_screens(live_server: LiveServer, new_context) -> None:
    lat, lon = point_in_ward(PHU_MY)
    page = new_context(
        viewport=PHONE, bypass_csp=True, permissions=["geolocation"],
        geolocation={"latitude": lat + 0.004, "longitude": lon - 0.003, "accuracy": 20},
    ).new_page()
    officer_account(live_server, "pm.a11y", PHU_MY_UNIT, "Nguyễn Văn An")
    page.goto(live_server.url + "/officer/")
    expect(page.get_by_label("Tên đăng nhập", exact=True)).to_be_visible()
    found = {"sign-in": serious(page)}
    sign_in(page, live_server, "pm.a11y")
    report_id = citizen_report(
        live_server, description="Nhóm thanh niên đánh nhau trước quán karaoke.",
        contact={"name": "Trần Thị Bình", "phone": "0901 234 567"},
    )
    dispatch(live_server, police(live_server, "dieu.phoi", "dispatcher"), report_id,
             instructions="Đến ngay, phối hợp tổ tuần tra 141.")
    entry = page.locator(f'a.o-item[data-incident="{report_id}"]')
    expect(entry).to_contain_text("cách")
    found["list"] = serious(page)
    entry.click()
    expect(page.locator(".o-instructions")).to_be_visible()
    page.get_by_role("button", name="Nhận nhiệm vụ").click()
    expect(page.locator('[data-step="acknowledged"]')).to_contain_text("Đã nhận nhiệm vụ")
    expect(page.locator(".o-map .leaflet-container")).to_be_visible()
    found["incident"] = serious(page)
    page.get_by_role("button", name="Đã đến hiện trường").click()
    page.get_by_role("button", name="Đã xử lý xong").click()
    expect(page.get_by_label("Kết quả xử lý")).to_be_visible()
    found["resolve"] = serious(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Confirm resolved")).to_be_visible()
    found["resolve (en)"] = serious(page)
    page.screenshot(path=SHOTS / "officer-resolve-form-en-360.png", full_page=True)
    assert found == dict.fromkeys(found, [])


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
    # Both at one place: one marker with the count, opened as a list.
    page.locator(".map-panel .leaflet-marker-icon.pin--cluster").click()
    expect(page.locator(".map-cluster")).to_be_visible()
    found["map cluster list"] = serious(page)
    queue_item(page, crime).click()
    expect(page.locator(f'.detail[data-incident="{crime}"] .detail__actions')).to_be_visible()
    found["detail"] = serious(page)
    page.keyboard.press("d")
    expect(page.locator('[data-form="dispatch"]')).to_be_visible()
    found["dispatch"] = serious(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator('[data-form="dispatch"]')).to_contain_text("Dispatch units")
    found["dispatch (en)"] = serious(page)
    page.goto(live_server.url + "/center/stats")
    expect(page.locator(".stats")).to_be_visible()
    expect(page.locator(".stats-chart img")).to_have_count(3)
    found["stats (en)"] = serious(page)
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thống kê")
    found["stats"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_script_less_form_and_status_page(live_server: LiveServer, new_context) -> None:
    """Issue 23: the form in the HTML of "/" and the status page it leads to. Script is needed to
    run axe, so the app's own files are kept away: the page stays as a phone without them sees it
    (first before the app's stylesheet has come, then with it)."""
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.route(re.compile(r"/assets/.*\.(js|css)$"), lambda route: route.abort())
    page.goto(live_server.url + "/")
    expect(page.locator("form.lite-form")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "lite-first-paint-360.png")
    found = {"form": serious(page)}
    page.get_by_label("An ninh trật tự").check()
    # A description over the limit (an old browser ignores maxlength) is refused with the form.
    page.get_by_label("Mô tả sự việc").evaluate("t => t.removeAttribute('maxlength')")
    page.get_by_label("Mô tả sự việc").fill("x" * 4001)
    page.get_by_role("button", name="Gửi tin báo").click()
    expect(page.get_by_role("alert")).to_contain_text("Mô tả dài 4001 ký tự")
    page.screenshot(path=SHOTS / "lite-refusal-360.png")
    found["refusal"] = serious(page)
    page.get_by_label("Mô tả sự việc").fill("Có người đánh nhau trước cổng chợ")
    page.get_by_role("button", name="Gửi tin báo").click()
    expect(page.get_by_role("status")).to_contain_text("Trung tâm chỉ huy")
    found["status"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_public_warnings_page(live_server: LiveServer, new_context) -> None:
    """issue 24: the public warnings page, bilingual in one page, read with no script."""
    import httpx

    from .server_checks import bearer_for
    from .warnings_helpers import PHU_MY as WARN_PHU_MY
    from .warnings_helpers import TAN_PHU as WARN_TAN_PHU
    from .warnings_helpers import body

    dispatcher = bearer_for(live_server, "warn.dp", "dispatcher")
    supervisor = bearer_for(live_server, "warn.sv", "supervisor")
    drafts = [
        body(wards=[WARN_TAN_PHU, WARN_PHU_MY], severity="Extreme", headline_en="Big fire at Tan Phu market",
             description_en="The fire is spreading to the houses nearby.", instruction_en="Keep away from the market."),
        body(wards="all", category="crime", severity="Moderate", urgency="Expected", certainty="Likely",
             headline="Cảnh giác cuộc gọi giả danh công an yêu cầu chuyển tiền",
             description="Nhiều người dân nhận cuộc gọi giả danh công an phường.",
             instruction="Không chuyển tiền; gọi 113 để xác minh."),
    ]
    for draft in drafts:
        wid = httpx.post(f"{live_server.url}/api/warnings", json=draft, headers=dispatcher).json()["id"]
        assert httpx.post(f"{live_server.url}/api/warnings/{wid}/approve", headers=supervisor).status_code == 200
    # Without script, as a cheap phone with script off or a text browser reads it.
    bare = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    bare.goto(live_server.url + "/warnings/")
    expect(bare.get_by_role("heading", name="Cháy lớn tại chợ Tân Phú")).to_be_visible()
    expect(bare.get_by_role("link", name=re.compile("^113"))).to_have_attribute("href", "tel:113")
    SHOTS.mkdir(exist_ok=True)
    bare.screenshot(path=SHOTS / "warn-public-page-noscript-360.png", full_page=True)
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.goto(live_server.url + "/warnings/")
    expect(page.get_by_role("heading", name="Big fire at Tan Phu market")).to_be_visible()
    assert serious(page) == []
    wide = new_context(viewport={"width": 1440, "height": 900}).new_page()
    wide.goto(live_server.url + "/warnings/")
    wide.screenshot(path=SHOTS / "warn-public-page-1440.png", full_page=True)


def test_console_warnings_screen(live_server: LiveServer, new_context) -> None:
    """issue 24: the console's warnings screen (the list with a draft and a published warning, the
    form, a refusal at its field, the cancel confirmation), in Vietnamese and in English."""
    import httpx

    from .server_checks import bearer_for
    from .warnings_helpers import body

    dispatcher = bearer_for(live_server, "a11y.dp", "dispatcher")
    supervisor = bearer_for(live_server, "a11y.sv", "supervisor")
    live = httpx.post(f"{live_server.url}/api/warnings", json=body(), headers=dispatcher).json()["id"]
    assert httpx.post(f"{live_server.url}/api/warnings/{live}/approve", headers=supervisor).status_code == 200
    drill = body(wards="all", exercise=True, headline="Diễn tập: ngập sâu đường Lũy Bán Bích")
    assert httpx.post(f"{live_server.url}/api/warnings", json=drill, headers=dispatcher).status_code == 201

    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    page.get_by_role("link", name="Cảnh báo").click()
    expect(page.locator('.w-card[data-status="draft"]')).to_be_visible()
    expect(page.locator('.w-card[data-status="published"]')).to_be_visible()
    found = {"list": serious(page)}
    page.get_by_role("button", name="+ Soạn cảnh báo mới").click()
    expect(page.locator(".w-map__canvas")).to_have_attribute("data-state", "ready")
    found["form"] = serious(page)
    page.get_by_role("button", name="Lưu nháp, chờ duyệt").click()
    expect(page.locator("fieldset.w-area .field-error")).to_be_visible()
    found["refusal"] = serious(page)
    page.get_by_role("button", name="Hủy", exact=True).click()
    page.locator('.w-card[data-status="published"]').get_by_role("button", name="Hủy cảnh báo").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found["cancel confirmation"] = serious(page)
    page.get_by_role("button", name="Không, giữ nguyên").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Public warnings")).to_be_visible()
    found["list (en)"] = serious(page)
    page.get_by_role("button", name="+ New warning").click()
    page.get_by_role("button", name="Save draft for approval").click()
    expect(page.locator("fieldset.w-area .field-error")).to_be_visible()
    found["form refusal (en)"] = serious(page)


def test_console_admin_screens(live_server: LiveServer, new_context) -> None:
    """issue 25: the console's admin screens (the list, the create form with a weak password
    refused, an import refused with its rows and one done, an account with a new password, the
    disable confirmation), in Vietnamese and in English."""
    import httpx

    from .server_checks import bearer_for

    admin = bearer_for(live_server, "a11y.admin", "admin")
    for name, unit in (("a11y.lan", "ward-26704"), ("a11y.binh", "ward-27031")):
        r = httpx.post(f"{live_server.url}/api/admin/users", headers=admin, json={
            "username": name, "display_name": name, "role": "officer", "unit": unit, "password": "correct horse battery",
            "phone": "0903111222"})
        assert r.status_code == 201, r.text
    page = open_console(live_server, new_context, username="a11y.root", role="admin",
                        viewport={"width": 1440, "height": 900}, bypass_csp=True)
    page.get_by_role("link", name="Tài khoản").click()
    expect(page.locator('.a-table tr[data-user="a11y.lan"]')).to_be_visible()
    found = {"list": serious(page)}
    page.get_by_role("button", name="+ Tạo tài khoản").click()
    page.get_by_label("Tên đăng nhập", exact=True).fill("a11y.new")
    page.locator("#a-new-unit").select_option("ward-26704")
    page.get_by_label("Mật khẩu ban đầu").fill("password1")
    page.get_by_role("button", name="Tạo tài khoản", exact=True).click()
    expect(page.locator("#a-new-password-error")).to_be_visible()
    found["create refused"] = serious(page)
    page.get_by_role("button", name="Hủy", exact=True).click()
    page.get_by_role("button", name="Nhập từ tệp CSV").click()
    head = "username,display_name,role,unit,phone\n"
    page.get_by_label("Chọn tệp CSV").set_input_files({"name": "a.csv", "mimeType": "text/csv",
                                                  "buffer": (head + "a11y.x,X,nobody,,\n").encode()})
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(page.locator('[data-outcome="invalid"]')).to_be_visible()
    found["import refused"] = serious(page)
    page.get_by_label("Chọn tệp CSV").set_input_files({"name": "a.csv", "mimeType": "text/csv",
                                                  "buffer": (head + "a11y.y,Y,officer,ward-26704,\n").encode()})
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(page.locator('[data-outcome="created"]')).to_be_visible()
    found["import done"] = serious(page)
    page.locator('.a-table tr[data-user="a11y.lan"]').get_by_role("button").click()
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.locator('[data-result="password"]')).to_be_visible()
    found["password shown"] = serious(page)
    page.get_by_role("button", name="Khóa tài khoản").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    found["disable confirmation"] = serious(page)
    page.get_by_role("button", name="Không, quay lại").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="User accounts")).to_be_visible()
    found["list and account (en)"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_citizen_warning_screens(live_server: LiveServer, new_context) -> None:
    """Issue 24, the citizen app: the warnings list, one warning (its map and answers) and where
    to be warned, in Vietnamese and in English."""
    from .citizen_warnings_helpers import Police

    police = Police(live_server)
    wid = police.publish(severity="Extreme", headline_en="Big fire at Tan Phu market")
    police.publish(wards="all", exercise=True, severity="Minor", headline="Diễn tập sơ tán")
    page = new_context(
        viewport=PHONE, bypass_csp=True, geolocation=gps(), permissions=["geolocation"]
    ).new_page()
    page.goto(live_server.url + "/#/warnings/areas")
    page.get_by_label("Cảnh báo nơi tôi đang ở").check()
    page.get_by_label("Nhận cả tin diễn tập").check()
    page.get_by_label("Tìm phường để thêm").fill("phu")
    expect(page.locator(".w-results button").first).to_be_visible()
    expect(page.locator('[data-where="found"]')).to_be_visible()
    found = {"warning areas": serious(page)}
    page.get_by_role("link", name="Tất cả cảnh báo").click()
    expect(page.locator(f'[data-warning="{wid}"]')).to_be_visible()
    expect(page.get_by_text("DIỄN TẬP").first).to_be_visible()
    found["warnings"] = serious(page)
    page.locator(f'[data-warning="{wid}"]').click()
    expect(page.locator('.w-map-box[data-map="ready"]')).to_be_visible()
    page.get_by_role("button", name="Tôi an toàn").click()
    expect(page.locator("[data-answer-state]").first).to_contain_text("đã gửi")
    found["warning"] = serious(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Big fire at Tan Phu market")).to_be_visible()
    found["warning (en)"] = serious(page)
    page.get_by_role("link", name="All warnings").click()
    expect(page.locator(f'[data-warning="{wid}"]')).to_be_visible()
    found["warnings (en)"] = serious(page)
    page.get_by_role("link", name="Choose where to be warned").click()
    expect(page.get_by_label("Warnings for where I am")).to_be_checked()
    found["warning areas (en)"] = serious(page)
    assert found == dict.fromkeys(found, [])


def test_silent_report_screens(live_server: LiveServer, new_context) -> None:
    """Issue 29: the hold control counting down, the dim screen after it (the question about the
    live location, then sharing), in both languages; and the console's silent report."""
    from .test_silent_report import add_fixes, fix, silent_report

    page = new_context(
        viewport=PHONE, locale="vi-VN", bypass_csp=True, geolocation=gps(), permissions=["geolocation"]
    ).new_page()
    page.clock.install()
    page.goto(live_server.url + "/")
    hold = page.locator("[data-silent-hold]")
    hold.scroll_into_view_if_needed()
    hold.hover()
    page.mouse.down()
    expect(hold).to_have_text("Giữ tiếp… 3")
    found = {"holding": serious(page)}
    page.clock.run_for(3_500)
    page.wait_for_url("**/#/quiet/*")
    page.mouse.up()
    expect(page.locator("[data-consent=yes]")).to_be_visible()
    found["quiet, asked"] = serious(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "silent-consent-vi.png")
    page.locator("[data-consent=yes]").click()
    expect(page.locator("[data-sharing=on]")).to_be_visible()
    found["quiet, sharing"] = serious(page)
    page.evaluate("location.hash = '#/'")
    page.get_by_role("button", name="English").click()
    page.go_back()
    expect(page.locator("[data-sharing=on]")).to_contain_text("Sharing your location.")
    found["quiet, sharing (en)"] = serious(page)
    page.screenshot(path=SHOTS / "silent-quiet-en.png")
    page.evaluate("location.hash = '#/'")
    expect(page.locator("[data-silent-hold]")).to_have_text("Press and hold 3 s for a silent report")
    page.screenshot(path=SHOTS / "silent-home-en.png", full_page=True)

    citizen = device(live_server)
    report_id = silent_report(citizen, "crime")
    assert citizen.sync(f"report/{report_id}").status_code == 200
    assert add_fixes(citizen, report_id, fix(*tan_phu()), fix(tan_phu()[0] + 0.001, tan_phu()[1])).status_code == 200
    console = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    queue_item(console, report_id).click()
    expect(console.locator("[data-silent-trail] [data-latest-fix]")).to_be_visible()
    found["console silent detail"] = serious(console)
    assert found == dict.fromkeys(found, [])
