"""Helpers for the sign-in tests: TOTP codes on the test's clock, enrolment, the two steps."""

from __future__ import annotations

from typing import Any

import pyotp
from starlette.testclient import TestClient

from .conftest import PASSWORD, Clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code(secret: str, clock: Clock, offset_s: float = 0) -> str:
    return str(pyotp.TOTP(secret).at(clock() + offset_s))


def password_step(client: TestClient, username: str, password: str = PASSWORD, **kw: Any) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password}, **kw)


def sign_in(client: TestClient, username: str) -> str:
    """A bearer token from a password-only sign-in (no cookie left behind)."""
    r = password_step(client, username)
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return str(r.json()["token"])


def enrol_totp(client: TestClient, token: str, clock: Clock) -> tuple[str, list[str]]:
    """Set up an authenticator app for the token's user: (secret, recovery codes)."""
    r = client.post("/api/auth/totp", headers=bearer(token))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    r = client.post("/api/auth/totp/confirm", json={"code": code(secret, clock)}, headers=bearer(token))
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return secret, r.json()["recovery_codes"]


def second_step(client: TestClient, challenge: str, value: str, **kw: Any) -> Any:
    return client.post("/api/auth/second-factor", json={"challenge": challenge, "code": value}, **kw)


def challenge_for(client: TestClient, username: str) -> str:
    r = password_step(client, username)
    assert r.status_code == 200, r.text
    assert "token" not in r.json() and "set-cookie" not in r.headers
    return str(r.json()["challenge"])
