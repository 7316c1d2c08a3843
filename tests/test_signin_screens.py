"""The police sign-in screens in real Chromium (issue 25): the second step (authenticator code,
wrong code, recovery code, passkey through the DevTools protocol's virtual authenticator), the
forced password change, the second-factor enrolment a restricted session must do first, the
set-up link, and the account screen's password change and sessions."""

from __future__ import annotations

import re

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, LiveServer
from .officer_helpers import PHU_MY_UNIT
from .signin_screen_helpers import (
    DESK,
    NEW_PASSWORD,
    PHONE,
    api_sign_in,
    bearer,
    credentials_of,
    fill_password,
    local,
    one_time_password,
    setup_link,
    virtual_authenticator,
    with_totp,
)

pytestmark = pytest.mark.browser


def console_live(page: Page) -> None:
    expect(page.locator(".console")).to_have_attribute("data-queue", "live")


def test_second_step_with_the_authenticator_app(live_server: LiveServer, new_context, watch_console) -> None:
    secret, _codes = with_totp(live_server, "dieu.phoi")
    page = new_context(viewport=DESK).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/center/")
    fill_password(page, "dieu.phoi")
    expect(page.get_by_role("heading", name="Xác minh đăng nhập")).to_be_visible()
    assert page.evaluate("localStorage.getItem('sos.session')") is None  # no token before the code
    expect(page.get_by_role("button", name="Dùng khoá truy cập")).to_have_count(0)  # none enrolled
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    console_live(page)
    assert errors == []


def test_a_wrong_code_says_so_and_a_recovery_code_signs_in(live_server: LiveServer, new_context) -> None:
    secret, codes = with_totp(live_server, "dieu.phoi")
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "dieu.phoi")
    right = pyotp.TOTP(secret).now()
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("alert").filter(has_text="Mã không đúng")).to_be_visible()
    page.get_by_role("button", name="Dùng mã khôi phục").click()
    page.get_by_label("Mã khôi phục").fill(codes[0])
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator(".o-sync")).to_be_visible()


def test_an_expired_second_step_goes_back_to_the_password(live_server: LiveServer, new_context) -> None:
    secret, _codes = with_totp(live_server, "dieu.phoi")
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "dieu.phoi")
    expect(page.get_by_role("heading", name="Xác minh đăng nhập")).to_be_visible()
    # The challenge as the server keeps it no longer holds (5 minutes, or used elsewhere).
    page.route("**/api/auth/second-factor", lambda route: route.fulfill(
        status=401, json={"error": "challenge_invalid", "code": "challenge_invalid", "params": {}, "message": "x"}))
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("status").filter(has_text="Hãy nhập lại mật khẩu")).to_be_visible()
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("dieu.phoi")


def test_a_locked_second_step_says_how_long_to_wait(live_server: LiveServer, new_context) -> None:
    secret, _codes = with_totp(live_server, "dieu.phoi")
    # Someone with the password tried 10 wrong codes (two challenges: 5 wrong codes end one).
    for _ in range(2):
        r = httpx.post(f"{live_server.url}/api/auth/login", json={"username": "dieu.phoi", "password": PASSWORD})
        challenge = r.json()["challenge"]
        for _ in range(5):
            httpx.post(f"{live_server.url}/api/auth/second-factor", json={"challenge": challenge, "code": "000000"})
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "dieu.phoi")
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("alert").filter(has_text="Bước xác minh bị khoá")).to_contain_text(re.compile(r"sau \d+ phút"))


def test_passkey_added_from_the_account_screen_then_used_to_sign_in(
    live_server: LiveServer, new_context, watch_console
) -> None:
    live_server.svc.accounts.create_sync("dieu.phoi", PASSWORD, "dispatcher")
    context = new_context(viewport=DESK)
    page = context.new_page()
    errors = watch_console(page)
    cdp, authenticator = virtual_authenticator(context, page)
    page.goto(local(live_server) + "/center/")
    fill_password(page, "dieu.phoi")
    console_live(page)
    page.locator("a.topbar__user").click()
    expect(page.get_by_role("heading", name="Tài khoản và bảo mật")).to_be_visible()
    page.get_by_role("button", name="Thêm khoá truy cập trên thiết bị này").click()
    # The first second factor comes with recovery codes, shown once.
    expect(page.locator("[data-recovery] .acct-codes li")).to_have_count(10)
    shown = page.locator("[data-recovery] .acct-codes code").all_inner_texts()
    with page.expect_download() as download:  # a text file made in the browser, no server copy
        page.get_by_role("link", name="Tải về thành tệp").click()
    saved = download.value.path().read_text()
    assert download.value.suggested_filename == "sos-antt-recovery-dieu.phoi.txt"
    assert all(code in saved for code in shown) and "dieu.phoi" in saved
    page.get_by_role("button", name="Tôi đã lưu các mã").click()
    expect(page.locator("[data-passkey]")).to_have_count(1)
    assert len(credentials_of(cdp, authenticator)) == 1
    page.get_by_role("button", name="Đăng xuất").click()

    fill_password(page, "dieu.phoi")
    page.get_by_role("button", name="Dùng khoá truy cập").click()
    console_live(page)
    # And removed again (two steps: a passkey is not lost to a slip of the mouse).
    page.locator("a.topbar__user").click()
    page.get_by_role("button", name=re.compile("^Xoá khoá truy cập")).click()
    page.get_by_role("button", name="Đồng ý xoá").click()
    expect(page.get_by_role("status").filter(has_text="Đã xoá khoá truy cập")).to_be_visible()
    expect(page.locator("[data-passkey]")).to_have_count(0)
    expect(page.locator(".acct-state--off")).to_be_visible()
    assert errors == []


def test_a_one_time_password_is_changed_at_the_first_sign_in(live_server: LiveServer, new_context) -> None:
    given = one_time_password(live_server, "lan", unit=PHU_MY_UNIT)
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "lan", given)
    expect(page.get_by_role("heading", name="Chọn mật khẩu mới")).to_be_visible()
    # The one-time password was just typed: it is not asked again.
    expect(page.get_by_label("Mật khẩu hiện tại")).to_have_count(0)
    page.get_by_label("Mật khẩu mới", exact=True).fill("password123")
    page.get_by_label("Nhập lại mật khẩu mới").fill("password123")
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.get_by_role("alert").filter(has_text="quá dễ đoán")).to_be_visible()
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.locator(".o-sync")).to_be_visible()  # the app itself, with the same session
    api_sign_in(live_server, "lan", NEW_PASSWORD)


def test_an_enrol_session_sets_up_the_app_before_anything_else(
    live_server: LiveServer, new_context
) -> None:
    live_server.svc.accounts.create_sync("giam.sat", PASSWORD, "supervisor")
    # Created long ago: past the grace, the sign-in opens a session for the enrolment only.
    live_server.svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE users SET created_at = created_at - 30 * 86400 WHERE username = 'giam.sat'"))
    page = new_context(viewport=DESK).new_page()
    page.goto(live_server.url + "/center/")
    fill_password(page, "giam.sat")
    expect(page.get_by_role("heading", name="Thiết lập bước xác minh thứ hai")).to_be_visible()
    expect(page.locator(".console")).to_have_count(0)
    page.get_by_role("button", name="Thiết lập ứng dụng xác thực").click()
    expect(page.locator("img.acct-qr")).to_have_attribute("src", re.compile("^blob:"))
    # The image is an SVG the browser could read (not a broken-image box).
    page.wait_for_function("document.querySelector('img.acct-qr').naturalWidth > 0")
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_label("Nhập mã 6 số ứng dụng đang hiện").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận và bật").click()
    expect(page.locator("[data-recovery] .acct-codes li")).to_have_count(10)
    page.get_by_role("button", name="Tôi đã lưu, tiếp tục").click()
    console_live(page)


def test_a_set_up_link_chooses_the_password_then_the_sign_in(live_server: LiveServer, new_context) -> None:
    link = setup_link(live_server, "lan.nguyen")
    page = new_context(viewport=DESK).new_page()
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", name="Chọn mật khẩu của bạn")).to_be_visible()
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Lưu mật khẩu").click()
    expect(page.get_by_role("alert").filter(has_text="không giống nhau")).to_be_visible()
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu mật khẩu")).to_be_visible()
    assert "#/setup" not in page.url
    fill_password(page, "lan.nguyen", NEW_PASSWORD)
    console_live(page)
    # The link is good once.
    page2 = new_context(viewport=DESK).new_page()
    page2.goto(live_server.url + link)
    page2.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page2.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page2.get_by_role("button", name="Lưu mật khẩu").click()
    expect(page2.get_by_role("alert").filter(has_text="đã được dùng hoặc đã hết hạn")).to_be_visible()


def test_the_account_screen_ends_another_session(live_server: LiveServer, new_context) -> None:
    live_server.svc.accounts.create_sync("dieu.phoi", PASSWORD, "dispatcher")
    phone = "Mozilla/5.0 (Linux; Android 14; SM-A146P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
    other = api_sign_in(live_server, "dieu.phoi", agent=phone)
    third = api_sign_in(live_server, "dieu.phoi")
    page = new_context(viewport=DESK).new_page()
    page.goto(live_server.url + "/center/")
    fill_password(page, "dieu.phoi")
    console_live(page)
    page.locator("a.topbar__user").click()
    sessions = page.locator("[data-session]")
    expect(sessions).to_have_count(3)
    expect(sessions.first).to_contain_text("Thiết bị này")
    page.get_by_role("button", name="Kết thúc phiên trên Chrome · Android").click()
    expect(page.get_by_role("status").filter(has_text="Đã kết thúc phiên")).to_be_visible()
    expect(sessions).to_have_count(2)
    assert httpx.get(f"{live_server.url}/api/auth/me", headers=bearer(other)).status_code == 401
    assert httpx.get(f"{live_server.url}/api/auth/me", headers=bearer(third)).status_code == 200
    page.get_by_role("button", name="Kết thúc mọi phiên khác (1)").click()
    expect(page.get_by_role("status").filter(has_text="Đã kết thúc 1 phiên")).to_be_visible()
    expect(sessions).to_have_count(1)
    assert httpx.get(f"{live_server.url}/api/auth/me", headers=bearer(third)).status_code == 401
    # Back to the queue, the console still live.
    page.get_by_role("link", name="Quay lại").click()
    expect(page.locator(".queue__head")).to_be_visible()


def test_the_officer_changes_the_password_from_the_account_screen(live_server: LiveServer, new_context) -> None:
    live_server.svc.accounts.create_sync("lan", PASSWORD, "officer", PHU_MY_UNIT)
    other = api_sign_in(live_server, "lan")
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "lan")
    expect(page.locator(".o-sync")).to_be_visible()
    page.get_by_role("link", name="Tài khoản và bảo mật").click()
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_label("Mật khẩu hiện tại")).to_be_focused()
    page.get_by_label("Mật khẩu hiện tại").fill("not the password")
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.get_by_role("alert").filter(has_text="Mật khẩu hiện tại không đúng")).to_be_visible()
    expect(page.get_by_label("Mật khẩu hiện tại")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.get_by_role("status").filter(has_text="Đã đổi mật khẩu")).to_be_visible()
    assert httpx.get(f"{live_server.url}/api/auth/me", headers=bearer(other)).status_code == 401
    api_sign_in(live_server, "lan", NEW_PASSWORD)


def test_inside_the_grace_a_reminder_gives_the_date_and_can_wait(live_server: LiveServer, new_context) -> None:
    live_server.svc.accounts.create_sync("dieu.phoi", PASSWORD, "dispatcher", PHU_MY_UNIT)
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/officer/")
    fill_password(page, "dieu.phoi")
    reminder = page.locator("[data-reminder=enrol]")
    expect(reminder).to_be_visible()
    enrol_by = page.evaluate("JSON.parse(localStorage.getItem('sos.session')).user.second_factor.enrol_by")
    day = page.evaluate(
        "ms => new Intl.DateTimeFormat('vi-VN', {day: 'numeric', month: 'numeric', year: 'numeric',"
        " timeZone: 'Asia/Ho_Chi_Minh'}).format(new Date(ms))", enrol_by)
    expect(reminder).to_contain_text(day)
    reminder.get_by_role("link", name="Thiết lập ngay").click()
    expect(page.get_by_role("heading", name="Tài khoản và bảo mật")).to_be_visible()
    page.get_by_role("link", name="Quay lại").click()
    reminder.get_by_role("button", name="Để sau").click()
    expect(reminder).to_have_count(0)
    page.reload()  # put off for this tab's session, not for good
    expect(page.locator(".o-sync")).to_be_visible()
    expect(reminder).to_have_count(0)
