"""Probe findings on sign-in (issue 25): login CSRF, and an attacker who locks the owner out.

Wrong passwords from many addresses (TestClient's `client=`: what uvicorn sets from the socket,
or from X-Forwarded-For behind the trusted proxy) must slow the guesser, not stop the owner."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from app.identity import audit
from app.services import Services
from app.settings import Settings

from .conftest import PASSWORD, Clock
from .signin_helpers import challenge_for, code, enrol_totp, password_step, second_step, sign_in

WRONG = {"username": "lan", "password": "not the password"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No held-back answers here (test_auth.py shows them): these tests count, they do not wait.
    return settings.with_(login_slowdown_ms=0, login_address_max_failures=5)


def from_address(client: TestClient, ip: str) -> TestClient:
    """Another browser on the same running app, at another address."""
    return TestClient(client.app, base_url="http://testserver", client=(ip, 40000))


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/second-factor"])
def test_sign_in_takes_json_from_our_own_origin_only(client: TestClient, make_user, path: str) -> None:
    make_user("lan", "dispatcher")
    form = json.dumps({"username": "lan", "password": PASSWORD})
    # What the probe sent: a text/plain "simple request" from another site (no CORS preflight).
    r = client.post(path, content=form, headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    assert (r.status_code, r.json()["error"]) == (415, "unsupported_media_type")
    assert "set-cookie" not in r.headers
    r = client.post(path, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    for header in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"},
                   {"Origin": "null"}):
        r = client.post(path, content=form, headers={"Content-Type": "application/json", **header})
        assert (r.status_code, r.json()["error"]) == (403, "cross_origin"), header
        assert "set-cookie" not in r.headers
    if path == "/api/auth/login":
        r = client.post(path, content=form, headers={"Content-Type": "application/json; charset=utf-8",
                                                      "Origin": "http://testserver"})
        assert r.status_code == 200 and "sos_session=" in r.headers["set-cookie"]
        client.cookies.clear()
        # No Origin at all (an API client, curl): allowed, as before.
        assert password_step(client, "lan").status_code == 200


def test_an_attacker_from_many_addresses_does_not_stop_the_owner(
    client: TestClient, make_user, svc: Services, settings: Settings, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    make_user("minh", "dispatcher")
    # The owners signed in here before: their browsers are known devices.
    owner = from_address(client, "198.51.100.7")
    assert password_step(owner, "lan").status_code == 200
    assert owner.cookies.get("sos_known_device")
    owner.cookies.delete("sos_session")
    secret, _ = enrol_totp(client, sign_in(client, "minh"), clock)

    # What the probe did: six wrong passwords from six addresses (`login_max_failures`), here
    # on both accounts.
    for n in range(settings.login_max_failures):
        attacker = from_address(client, f"203.0.113.{n + 1}")
        for name in ("lan", "minh"):
            r = attacker.post("/api/auth/login", json={"username": name, "password": "guess"})
            assert r.status_code == 401
    # The attacker with the right password from a new browser, without a second factor: refused.
    r = password_step(from_address(client, "203.0.113.99"), "lan")
    assert (r.status_code, r.json()["error"]) == (429, "locked")
    # ...exactly as a wrong one is: the answer does not tell the guesser they found it.
    r = password_step(from_address(client, "203.0.113.98"), "lan", "another guess")
    assert (r.status_code, r.json()["error"]) == (429, "locked")
    # The owner's known browser gets through; so does the owner with a second factor.
    r = password_step(owner, "lan")
    assert r.status_code == 200, r.text
    assert r.json()["user"]["username"] == "lan"
    clock.advance(30)
    phone = from_address(client, "192.0.2.55")
    challenge = challenge_for(phone, "minh")
    assert second_step(phone, challenge, code(secret, clock)).status_code == 200


def test_one_address_is_slowed_then_refused_alone(client: TestClient, make_user, settings: Settings) -> None:
    make_user("lan", "dispatcher")
    attacker = from_address(client, "203.0.113.1")
    for n in range(settings.login_address_max_failures):
        r = attacker.post("/api/auth/login", json={"username": f"user{n}", "password": "guess"})
        assert r.status_code == 401
    r = attacker.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
    assert (r.status_code, r.json()["error"]) == (429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0
    # Nobody else is affected: the owner at another address signs in.
    assert password_step(from_address(client, "198.51.100.7"), "lan").status_code == 200


def test_a_hard_lock_lets_only_known_devices_in_and_alerts_the_admins(
    settings: Settings, clock: Clock
) -> None:
    from app.main import create_app

    strict = settings.with_(login_hard_lock_failures=12)
    svc = Services.build(strict, clock=clock)
    with TestClient(create_app(strict, svc)) as client:
        svc.accounts.create_sync("lan", PASSWORD, "dispatcher")
        owner = from_address(client, "198.51.100.7")
        r = password_step(owner, "lan")  # a known device now: the cookie stays, the session goes
        owner.cookies.delete("sos_session")
        secret, _ = enrol_totp(client, r.json()["token"], clock)
        for n in range(12):
            r = from_address(client, f"203.0.113.{n + 1}").post("/api/auth/login", json=WRONG)
            assert r.status_code == 401
        # Hard lock: a new browser is refused even with the second factor at hand...
        r = password_step(from_address(client, "192.0.2.55"), "lan")
        assert (r.status_code, r.json()["error"]) == (429, "locked")
        alerts = svc.db.read_sync(lambda c: [e for e in audit.entries(c) if e["action"] == "user.login_locked"])
        assert len(alerts) == 1 and alerts[0]["detail"]["alert"] is True
        # ...and a known device still gets to its second step.
        r = password_step(owner, "lan")
        assert r.status_code == 200 and "challenge" in r.json()
        clock.advance(30)
        assert second_step(owner, r.json()["challenge"], code(secret, clock)).status_code == 200


def test_behind_the_proxy_the_forwarded_address_is_the_one_throttled(live_server) -> None:
    """Real uvicorn: from the trusted proxy (127.0.0.1), X-Forwarded-For names the address."""
    import httpx

    live_server.svc.accounts.create_sync("lan", PASSWORD, "dispatcher")
    url = live_server.url + "/api/auth/login"
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(live_server.settings.login_address_max_failures):
        assert httpx.post(url, json=WRONG, headers=attacker).status_code == 401
    r = httpx.post(url, json={"username": "lan", "password": PASSWORD}, headers=attacker)
    assert (r.status_code, r.json()["error"]) == (429, "rate_limited")
    r = httpx.post(url, json={"username": "lan", "password": PASSWORD},
                   headers={"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 200


def test_addresses_are_counted_by_ipv4_address_or_ipv6_64() -> None:
    from app.identity.signin import address_key

    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("testclient") == "testclient" and address_key(None) == "-"
