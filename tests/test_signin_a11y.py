"""axe-core on the police sign-in and account screens of issue 25 (0 serious, 0 critical), in
Vietnamese and English, with a screenshot of each into /tmp/sos-shots/signin-*.png for a person
to look at: the officer app at 360×640, the console at 1440×900."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, LiveServer
from .officer_helpers import PHU_MY_UNIT
from .signin_screen_helpers import (
    DESK,
    PHONE,
    fill_password,
    one_time_password,
    setup_link,
    shoot,
    to_english,
    to_vietnamese,
    with_totp,
)
from .test_a11y import serious

pytestmark = pytest.mark.browser


def check(page: Page, found: dict[str, Any], name: str) -> None:
    """axe on the screen as it is, in both languages, and its two pictures."""
    found[name] = serious(page)
    shoot(page, f"{name}-vi")
    to_english(page)
    found[f"{name} (en)"] = serious(page)
    shoot(page, f"{name}-en")
    to_vietnamese(page)


def test_officer_sign_in_screens(live_server: LiveServer, new_context) -> None:
    found: dict[str, Any] = {}
    context = new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    # An account with a passkey: the second step as the server would answer it (the real one is
    # in test_signin_screens.py, with a virtual authenticator).
    answer = {"second_factor": ["passkey", "totp", "recovery"], "challenge": "c" * 43,
              "webauthn": {"challenge": "AAAA", "allowCredentials": [], "userVerification": "required"}}
    page.route("**/api/auth/login", lambda route: route.fulfill(json=answer))
    page.goto(live_server.url + "/officer/")
    fill_password(page, "ai.do")
    expect(page.get_by_role("button", name="Dùng khoá truy cập")).to_be_visible()
    check(page, found, "officer-second-step-passkey")
    page.get_by_role("button", name="Quay lại bước mật khẩu").click()
    page.unroute("**/api/auth/login")
    # The second step, then its wrong-code message.
    secret, _codes = with_totp(live_server, "dieu.phoi")
    page.goto(live_server.url + "/officer/")
    fill_password(page, "dieu.phoi")
    expect(page.get_by_role("heading", name="Xác minh đăng nhập")).to_be_visible()
    check(page, found, "officer-second-step")
    right = pyotp.TOTP(secret).now()
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("alert").filter(has_text="Mã không đúng")).to_be_visible()
    check(page, found, "officer-wrong-code")
    page.get_by_role("button", name="Quay lại bước mật khẩu").click()

    # A one-time password: the forced change.
    given = one_time_password(live_server, "lan", unit=PHU_MY_UNIT)
    fill_password(page, "lan", given)
    expect(page.get_by_role("heading", name="Chọn mật khẩu mới")).to_be_visible()
    check(page, found, "officer-forced-password")
    page.get_by_role("button", name="Đăng xuất").click()

    # Past the grace: the enrolment, with the authenticator app's QR code open.
    live_server.svc.accounts.create_sync("giam.sat", PASSWORD, "supervisor", PHU_MY_UNIT)
    live_server.svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE users SET created_at = created_at - 30 * 86400 WHERE username = 'giam.sat'"))
    fill_password(page, "giam.sat")
    expect(page.get_by_role("heading", name="Thiết lập bước xác minh thứ hai")).to_be_visible()
    check(page, found, "officer-enrol")
    page.get_by_role("button", name="Thiết lập ứng dụng xác thực").click()
    expect(page.locator("img.acct-qr")).to_be_visible()
    check(page, found, "officer-enrol-totp")
    page.get_by_role("button", name="Đăng xuất").click()

    # Inside the grace: the reminder on the home, then the account screen.
    live_server.svc.accounts.create_sync("dieu.phoi2", PASSWORD, "dispatcher", PHU_MY_UNIT)
    fill_password(page, "dieu.phoi2")
    expect(page.locator("[data-reminder=enrol]")).to_be_visible()
    check(page, found, "officer-reminder")
    page.get_by_role("link", name="Tài khoản và bảo mật").click()
    expect(page.locator("[data-session]")).to_have_count(1)
    check(page, found, "officer-account")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.get_by_role("alert").filter(has_text="mật khẩu hiện tại")).to_be_visible()
    check(page, found, "officer-account-password")
    assert found == dict.fromkeys(found, [])


def test_console_sign_in_screens(live_server: LiveServer, new_context) -> None:
    found: dict[str, Any] = {}
    page = new_context(viewport=DESK, bypass_csp=True).new_page()
    link = setup_link(live_server, "lan.nguyen")
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", name="Chọn mật khẩu của bạn")).to_be_visible()
    check(page, found, "console-setup")

    secret, _codes = with_totp(live_server, "dieu.phoi")
    page.goto(live_server.url + "/center/")
    fill_password(page, "dieu.phoi")
    expect(page.get_by_role("heading", name="Xác minh đăng nhập")).to_be_visible()
    page.get_by_role("button", name="Dùng mã khôi phục").click()
    check(page, found, "console-second-step-recovery")
    page.get_by_role("button", name="Dùng ứng dụng xác thực").click()
    page.get_by_label("Mã 6 số trong ứng dụng xác thực").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator(".console")).to_have_attribute("data-queue", "live")
    page.locator("a.topbar__user").click()
    expect(page.locator("[data-session]")).to_have_count(2)  # with_totp's own sign-in
    check(page, found, "console-account")
    page.get_by_role("button", name="Tạo mã khôi phục mới").click()
    page.get_by_role("button", name="Đồng ý tạo mã mới").click()
    expect(page.locator("[data-recovery] .acct-codes li")).to_have_count(10)
    check(page, found, "console-recovery-codes")
    page.get_by_role("button", name="Tôi đã lưu các mã").click()
    page.get_by_role("button", name="Đăng xuất").click()

    # Inside the grace: the console's reminder strip.
    live_server.svc.accounts.create_sync("dieu.phoi2", PASSWORD, "dispatcher")
    fill_password(page, "dieu.phoi2")
    expect(page.locator("[data-reminder=enrol]")).to_be_visible()
    check(page, found, "console-reminder")
    page.get_by_role("button", name="Đăng xuất").click()

    # Past the grace: the enrolment before the console.
    live_server.svc.accounts.create_sync("giam.sat", PASSWORD, "supervisor")
    live_server.svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE users SET created_at = created_at - 30 * 86400 WHERE username = 'giam.sat'"))
    fill_password(page, "giam.sat")
    expect(page.get_by_role("heading", name="Thiết lập bước xác minh thứ hai")).to_be_visible()
    check(page, found, "console-enrol")
    assert found == dict.fromkeys(found, [])
