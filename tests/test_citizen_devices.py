"""Anonymous citizen identities: signed, no account needed, rate-limited per address."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings

from .conftest import Clock


def test_device_token_is_issued_and_identifies_the_device(client: TestClient) -> None:
    r = client.post("/api/citizen/devices")
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"device_id", "token"}
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["user"] == {"id": body["device_id"], "role": "citizen"}
    other = client.post("/api/citizen/devices").json()
    assert other["device_id"] != body["device_id"]


def test_device_token_cannot_be_forged_from_an_id(client: TestClient, svc: Services) -> None:
    device_id = client.post("/api/citizen/devices").json()["device_id"]
    # Signed with another key: the id alone, or a token from elsewhere, proves nothing.
    from app.identity.auth import TokenIssuer

    forged = TokenIssuer("some other secret").device_token(device_id)
    r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_new_devices_are_rate_limited_per_address(settings: Settings, clock: Clock) -> None:
    limited = settings.with_(devices_per_ip_per_hour=3)
    with TestClient(create_app(limited, Services.build(limited, clock=clock))) as c:
        for _ in range(3):
            assert c.post("/api/citizen/devices").status_code == 201
        r = c.post("/api/citizen/devices")
        assert r.status_code == 429
        assert r.json()["error"] == "rate_limited"
        assert 0 < int(r.headers["Retry-After"]) <= 3600
        assert "try again" in r.json()["message"]


def test_contact_details_are_optional_and_checked(client: TestClient, svc: Services) -> None:
    device = client.post("/api/citizen/devices").json()
    auth = {"Authorization": f"Bearer {device['token']}"}
    r = client.put("/api/citizen/devices/me", json={"name": "Nguyễn Văn A", "phone": "0901 234 567"}, headers=auth)
    assert r.status_code == 200
    row = svc.db.read_sync(
        lambda c: c.execute("SELECT contact_name, contact_phone FROM devices WHERE id = ?", (device["device_id"],)).fetchone()
    )
    assert tuple(row) == ("Nguyễn Văn A", "0901 234 567")
    assert client.put("/api/citizen/devices/me", json={"phone": "call me maybe"}, headers=auth).status_code == 422
    assert client.put("/api/citizen/devices/me", json={"name": "x"}).status_code == 401


@pytest.mark.parametrize("limit", [2])
def test_rate_limiter_refills(limit: int) -> None:
    from app.identity.ratelimit import RateLimiter

    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.hit("k", limit, 60) == 0
    assert limiter.hit("k", limit, 60) == 0
    wait = limiter.hit("k", limit, 60)
    assert 29 < wait <= 30  # one slot comes back every period/limit seconds
    now[0] += wait
    assert limiter.hit("k", limit, 60) == 0
    assert limiter.hit("other", limit, 60) == 0
