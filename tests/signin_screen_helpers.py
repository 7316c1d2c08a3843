"""Helpers for the police sign-in screens' browser tests (issue 25): accounts in a given state
(a second factor, a one-time password to change, a set-up link), the sign-in form, and the
virtual authenticator of Chromium's DevTools protocol for passkeys."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pyotp
from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from app.identity.auth import SERVER

from .conftest import PASSWORD, LiveServer

PHONE = {"width": 360, "height": 640}
DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/sos-shots")
NEW_PASSWORD = "mưa rào chiều thứ bảy"


def local(server: LiveServer) -> str:
    """The server as http://localhost:PORT: WebAuthn refuses an IP address as the RP ID."""
    return f"http://localhost:{server.port}"


def api_sign_in(server: LiveServer, username: str, password: str = PASSWORD, agent: str | None = None) -> str:
    headers = {"User-Agent": agent} if agent else {}
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": password}, headers=headers)
    assert r.status_code == 200 and "token" in r.json(), r.text
    return str(r.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_totp(server: LiveServer, username: str, role: str = "dispatcher", unit: str | None = None) -> tuple[str, list[str]]:
    """A new account (inside the grace: a full session) with the authenticator app set up over
    HTTP as the screen does it. Returns the TOTP secret and the recovery codes. The confirming
    code is the previous time step's, so that the test's sign-in may use the current one (a code
    is good once)."""
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    token = api_sign_in(server, username)
    r = httpx.post(f"{server.url}/api/auth/totp", headers=bearer(token))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    code = pyotp.TOTP(secret).at(time.time() - 30)
    r = httpx.post(f"{server.url}/api/auth/totp/confirm", headers=bearer(token), json={"code": code})
    assert r.status_code == 200, r.text
    return secret, list(r.json()["recovery_codes"])


def one_time_password(server: LiveServer, username: str, role: str = "officer", unit: str | None = None) -> str:
    """An account an admin has just reset: its one-time password must be changed at sign-in."""
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    password, _ended = server.svc.lifecycle.reset_password_sync(SERVER, username)
    return str(password)


def setup_link(server: LiveServer, username: str, role: str = "dispatcher") -> str:
    """An imported account's set-up link, as the import gives it (the path and hash only)."""
    data = f"username,display_name,role,unit,phone\n{username},Nguyễn Thị Lan,{role},,\n".encode()
    [credential] = server.svc.lifecycle.import_users_sync(data, SERVER)
    app = "officer" if role == "officer" else "center"
    return f"/{app}/#/setup/{credential.token}"


def fill_password(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator with a screen lock that always says yes (DevTools protocol)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})
    return cdp, str(made["authenticatorId"])


def credentials_of(cdp: CDPSession, authenticator: str) -> list[dict[str, Any]]:
    return list(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"signin-{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def to_english(page: Page) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def to_vietnamese(page: Page) -> None:
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
