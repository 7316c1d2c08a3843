"""Police sign-in, sessions, cookies, lockout, and the role checks every endpoint reuses."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings

from .conftest import PASSWORD, Clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_token_user_and_a_safe_cookie(client: TestClient, make_user) -> None:
    make_user("lan", "dispatcher")
    r = client.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    user = body["user"]
    assert {k: user[k] for k in ("username", "role", "unit", "scope", "must_change_password")} == {
        "username": "lan", "role": "dispatcher", "unit": None, "scope": None,
        "must_change_password": False,
    }
    # A new dispatcher is inside the enrolment grace: signed in fully, told until when.
    assert user["second_factor"]["required"] is True and user["second_factor"]["enrol_by"] > 0
    assert isinstance(body["token"], str) and len(body["token"]) > 20
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"sos_session={body['token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    # The bearer token works on its own, without the cookie.
    client.cookies.clear()
    me = client.get("/api/auth/me", headers=bearer(body["token"]))
    assert me.json()["user"]["username"] == "lan"


def test_cookie_is_secure_over_https(settings: Settings, svc: Services) -> None:
    with TestClient(create_app(settings, svc), base_url="https://sos.example") as c:
        svc.accounts.create_sync("lan", PASSWORD, "dispatcher")
        r = c.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
        assert r.status_code == 200
        assert "Secure" in r.headers["set-cookie"]


def test_officer_login_carries_the_unit(login, client: TestClient) -> None:
    token = login("phumy", "officer", "ward-26704")
    me = client.get("/api/auth/me", headers=bearer(token)).json()["user"]
    assert (me["role"], me["unit"]) == ("officer", "ward-26704")


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "lan", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_bad_credentials_are_401_with_a_reason(client: TestClient, make_user, payload) -> None:
    make_user("lan", "dispatcher")
    r = client.post("/api/auth/login", json=payload)
    assert r.status_code == 401
    assert r.json()["error"] == "bad_credentials"
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"username": 5}', b"{}"])
def test_malformed_login_is_4xx_not_500(client: TestClient, body: bytes) -> None:
    r = client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert r.json()["message"]


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.with_(
        login_slowdown_after=1, login_slowdown_ms=150, login_max_failures=3, login_lockout_s=600
    )


def test_repeated_failures_slow_down_then_need_a_known_device(
    strict_settings: Settings, clock: Clock
) -> None:
    svc = Services.build(strict_settings, clock=clock)
    with TestClient(create_app(strict_settings, svc)) as c:
        svc.accounts.create_sync("lan", PASSWORD, "dispatcher")
        wrong = {"username": "lan", "password": "guess-guess"}
        assert c.post("/api/auth/login", json=wrong).status_code == 401
        started = time.monotonic()
        assert c.post("/api/auth/login", json=wrong).status_code == 401
        # The second failure from this address is past `login_slowdown_after`: held back.
        assert time.monotonic() - started >= 0.15
        assert c.post("/api/auth/login", json=wrong).status_code == 401

        # The account is under attack now: a correct password alone, from a browser that never
        # signed in here and without a second factor, is refused with a reason and Retry-After.
        r = c.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
        assert r.status_code == 429
        assert r.json()["error"] == "locked"
        assert 0 < int(r.headers["Retry-After"]) <= strict_settings.login_window_s

        # Another account is not affected.
        svc.accounts.create_sync("minh", PASSWORD, "dispatcher")
        assert c.post("/api/auth/login", json={"username": "minh", "password": PASSWORD}).status_code == 200

        c.cookies.clear()  # minh's session cookie would make these cookie writes (CSRF-checked)
        clock.advance(strict_settings.login_window_s + 1)
        r = c.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
        assert r.status_code == 200
        # A success clears the account's count: one new failure does not lock again.
        c.cookies.clear()
        assert c.post("/api/auth/login", json=wrong).status_code == 401
        assert c.post("/api/auth/login", json={"username": "lan", "password": PASSWORD}).status_code == 200


def test_token_expires(client: TestClient, login, clock: Clock, settings: Settings) -> None:
    token = login("lan", "dispatcher")
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(settings.token_ttl_s - 60)
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(120)
    r = client.get("/api/auth/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.json()["error"] == "unauthenticated"


def test_logout_revokes_the_token_and_clears_the_cookie(client: TestClient, login) -> None:
    token = login("lan", "dispatcher")
    r = client.post("/api/auth/logout", headers=bearer(token))
    assert r.status_code == 204
    assert 'sos_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401


def test_tampered_token_is_refused(client: TestClient, login) -> None:
    token = login("lan", "dispatcher")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get("/api/auth/me", headers=bearer(forged)).status_code == 401


def test_deactivated_user_loses_access_at_once(client: TestClient, login, svc: Services) -> None:
    token = login("lan", "dispatcher")
    svc.db.write_sync(lambda tx: tx.execute("UPDATE users SET active = 0 WHERE username = 'lan'"))
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401


def test_cookie_writes_need_our_origin(client: TestClient, make_user) -> None:
    make_user("lan", "dispatcher")
    assert client.post("/api/auth/login", json={"username": "lan", "password": PASSWORD}).status_code == 200
    # The session cookie is in the client's jar now. A write without Origin is refused (CSRF)...
    r = client.post("/api/auth/logout")
    assert r.status_code == 403
    assert r.json()["error"] == "cross_origin"
    r = client.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    # ...reads with the cookie work, and a write from our own origin goes through.
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout", headers={"Origin": "http://testserver"}).status_code == 204


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/route?lat=10.73&lon=106.72&category=crime", {"dispatcher", "supervisor", "admin"}),
        ("/api/audit", {"supervisor", "admin"}),
        ("/api/admin/users", {"admin"}),
        ("/api/units", {"officer", "dispatcher", "supervisor", "admin"}),
    ],
)
def test_role_checks(client: TestClient, login, path: str, allowed: set[str]) -> None:
    for role in ("officer", "dispatcher", "supervisor", "admin"):
        token = login(f"user-{role}", role, "ward-26704" if role == "officer" else None)
        r = client.get(path, headers=bearer(token))
        if role in allowed:
            assert r.status_code == 200, (role, path, r.text)
        else:
            assert r.status_code == 403, (role, path, r.text)
            assert r.json()["error"] == "forbidden"
            assert role in r.json()["message"]
    assert client.get(path).status_code == 401
    device = client.post("/api/citizen/devices").json()["token"]
    assert client.get(path, headers=bearer(device)).status_code == 403


def test_admin_creates_accounts_with_validation(client: TestClient, login) -> None:
    token = login("root", "admin")
    ok = client.post(
        "/api/admin/users",
        json={"username": "tuan", "password": "long enough pw", "role": "officer", "unit": "ward-27031"},
        headers=bearer(token),
    )
    assert ok.status_code == 201
    for bad in (
        {"username": "a", "password": "short", "role": "officer", "unit": "ward-27031"},
        {"username": "b", "password": "long enough pw", "role": "officer"},
        {"username": "c", "password": "long enough pw", "role": "king"},
        {"username": "d", "password": "long enough pw", "role": "officer", "unit": "ward-1"},
        {"username": "tuan", "password": "long enough pw", "role": "dispatcher"},
    ):
        r = client.post("/api/admin/users", json=bad, headers=bearer(token))
        assert r.status_code == 422, bad
        assert r.json()["message"]
