"""Web push over plain HTTP: the VAPID key, and subscriptions of police users and citizen devices."""

from __future__ import annotations

import base64
import os
import stat
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings
from push import EndpointPolicy, InvalidSubscription, VapidKeys, subject_problem
from push.sender import classify, parse_retry_after
from push.subscriptions import parse_subscription


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_subscription(host: str = "fcm.googleapis.com", scheme: str = "https") -> dict:
    """What Chrome's `PushSubscription.toJSON()` looks like (fresh keys, a unique endpoint)."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "endpoint": f"{scheme}://{host}/fcm/send/{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


def citizen(client: TestClient) -> dict[str, str]:
    token = client.post("/api/citizen/devices").json()["token"]
    return {"Authorization": f"Bearer {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the key -------------------------------------------------------------------------------------


def test_the_key_is_an_uncompressed_p256_point_made_once_and_kept(settings: Settings) -> None:
    with TestClient(create_app(settings, Services.build(settings))) as c:
        first = c.get("/api/push/key").json()["public_key"]
    raw = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in first
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    key_file = settings.data_dir / "vapid_private_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with TestClient(create_app(settings, Services.build(settings))) as c:
        assert c.get("/api/push/key").json()["public_key"] == first  # a restart keeps it


def test_the_key_may_come_from_the_environment(settings: Settings) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(private.private_numbers().private_value.to_bytes(32, "big"))
    env = Settings.from_env({"SOS_VAPID_PRIVATE_KEY": raw, "SOS_DATA_DIR": str(settings.data_dir)}, dotenv=None)
    with TestClient(create_app(env, Services.build(env))) as c:
        key = c.get("/api/push/key").json()["public_key"]
    expected = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert key == b64url(expected)
    assert not (settings.data_dir / "vapid_private_key.pem").exists()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert VapidKeys.from_string(pem).public_key == key


@pytest.mark.parametrize(
    ("subject", "real"),
    [
        ("mailto:trucban@congan.hochiminhcity.gov.vn", True),
        ("https://sos.congan.hochiminhcity.gov.vn", True),
        ("mailto:ops@sos-antt.example", False),
        ("mailto:admin@example.com", False),
        ("https://localhost", False),
        ("ops@police.gov.vn", False),
        ("mailto:nobody", False),
    ],
)
def test_a_placeholder_subject_is_told_apart(subject: str, real: bool) -> None:
    assert (subject_problem(subject) is None) is real


# --- subscriptions -------------------------------------------------------------------------------


def test_a_citizen_device_subscribes_once_per_endpoint(client: TestClient) -> None:
    device = citizen(client)
    sub = browser_subscription()
    r = client.post("/api/push/subscriptions", json=sub, headers=device)
    assert r.status_code == 201 and r.json()["endpoint"] == sub["endpoint"]
    again = client.post("/api/push/subscriptions", json={**sub, "lang": "en"}, headers=device)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    listed = client.get("/api/push/subscriptions", headers=device).json()["subscriptions"]
    assert [(s["endpoint"], s["lang"]) for s in listed] == [(sub["endpoint"], "en")]
    # Another device cannot see or remove it.
    stranger = citizen(client)
    assert client.get("/api/push/subscriptions", headers=stranger).json()["subscriptions"] == []
    r = client.request("DELETE", "/api/push/subscriptions", json={"endpoint": sub["endpoint"]}, headers=stranger)
    assert r.status_code == 404
    r = client.request("DELETE", "/api/push/subscriptions", json={"endpoint": sub["endpoint"]}, headers=device)
    assert r.status_code == 204
    assert client.get("/api/push/subscriptions", headers=device).json()["subscriptions"] == []


def test_police_keep_several_devices_and_a_browser_follows_who_signed_in(
    client: TestClient, login, svc: Services
) -> None:
    officer = login("tp.push", "officer", "ward-27031")
    dispatcher = login("dp.push", "dispatcher")
    phone, desktop = browser_subscription(), browser_subscription("updates.push.services.mozilla.com")
    for sub in (phone, desktop):
        assert client.post("/api/push/subscriptions", json=sub, headers=bearer(officer)).status_code == 201
    stored = svc.db.read_sync(
        lambda c: [dict(r) for r in c.execute("SELECT owner_kind, role, unit FROM push_subscriptions")]
    )
    assert stored == [{"owner_kind": "user", "role": "officer", "unit": "ward-27031"}] * 2
    # The same browser, another person signed in: the subscription is theirs now.
    assert client.post("/api/push/subscriptions", json=desktop, headers=bearer(dispatcher)).status_code == 200
    mine = client.get("/api/push/subscriptions", headers=bearer(officer)).json()["subscriptions"]
    assert [s["endpoint"] for s in mine] == [phone["endpoint"]]
    theirs = client.get("/api/push/subscriptions", headers=bearer(dispatcher)).json()["subscriptions"]
    assert [s["endpoint"] for s in theirs] == [desktop["endpoint"]]


def test_a_known_endpoint_cannot_be_moved_away_without_its_keys(
    client: TestClient, login, svc: Services
) -> None:
    """Issue 25's probe: a new citizen device posted a dispatcher's endpoint with its own keys and
    the dispatcher's alerts went to it. Knowing the endpoint is not enough: the keys must match."""
    dispatcher = login("dp.takeover", "dispatcher")
    desk = browser_subscription()
    assert client.post("/api/push/subscriptions", json=desk, headers=bearer(dispatcher)).status_code == 201
    intruder = citizen(client)
    fresh = browser_subscription()["keys"]
    for keys in (fresh, {"p256dh": desk["keys"]["p256dh"], "auth": fresh["auth"]},
                 {"p256dh": fresh["p256dh"], "auth": desk["keys"]["auth"]}):
        r = client.post("/api/push/subscriptions", json={**desk, "keys": keys}, headers=intruder)
        assert r.status_code == 409 and r.json()["error"] == "subscription_taken", r.text
        assert "keys" in r.json()["message"]
    # Nor by a rotation that names, as its new endpoint, someone else's.
    mine = browser_subscription()
    assert client.post("/api/push/subscriptions", json=mine, headers=intruder).status_code == 201
    moved = {**desk, "keys": fresh, "replaces": {"endpoint": mine["endpoint"], "auth": mine["keys"]["auth"]}}
    assert client.post("/api/push/subscriptions", json=moved).status_code == 409
    stored = svc.db.read_sync(lambda c: [dict(r) for r in c.execute(
        "SELECT owner_kind, role, p256dh, auth FROM push_subscriptions WHERE endpoint = ?", (desk["endpoint"],))])
    assert stored == [{"owner_kind": "user", "role": "dispatcher", **desk["keys"]}]
    assert [s["endpoint"] for s in client.get("/api/push/subscriptions", headers=intruder)
            .json()["subscriptions"]] == [mine["endpoint"]]  # the refused rotation changed nothing


def test_the_owner_may_subscribe_its_endpoint_again_with_new_keys(client: TestClient, login) -> None:
    dispatcher = login("dp.again", "dispatcher")
    desk = browser_subscription()
    first = client.post("/api/push/subscriptions", json=desk, headers=bearer(dispatcher))
    renewed = {**desk, "keys": browser_subscription()["keys"]}
    again = client.post("/api/push/subscriptions", json=renewed, headers=bearer(dispatcher))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # The browser's own current keys then move it to whoever signs in there next.
    device = citizen(client)
    assert client.post("/api/push/subscriptions", json=desk, headers=device).status_code == 409
    assert client.post("/api/push/subscriptions", json=renewed, headers=device).status_code == 200


def test_a_person_keeps_their_latest_ten_devices(client: TestClient) -> None:
    device = citizen(client)
    subs = [browser_subscription() for _ in range(12)]
    for sub in subs:
        assert client.post("/api/push/subscriptions", json=sub, headers=device).status_code == 201
    listed = client.get("/api/push/subscriptions", headers=device).json()["subscriptions"]
    assert {s["endpoint"] for s in listed} == {s["endpoint"] for s in subs[2:]}


def test_a_rotated_subscription_carries_its_owner_over_with_proof(client: TestClient) -> None:
    device = citizen(client)
    old, new = browser_subscription(), browser_subscription()
    assert client.post("/api/push/subscriptions", json={**old, "lang": "en"}, headers=device).status_code == 201
    # The service worker has no credential; the old auth secret proves it held the old one.
    forged = {**new, "replaces": {"endpoint": old["endpoint"], "auth": b64url(os.urandom(16))}}
    assert client.post("/api/push/subscriptions", json=forged).status_code == 401
    rotated = {**new, "replaces": {"endpoint": old["endpoint"], "auth": old["keys"]["auth"]}}
    assert client.post("/api/push/subscriptions", json=rotated).status_code == 201
    listed = client.get("/api/push/subscriptions", headers=device).json()["subscriptions"]
    assert [(s["endpoint"], s["lang"]) for s in listed] == [(new["endpoint"], "en")]


def test_anonymous_callers_are_refused(client: TestClient) -> None:
    r = client.post("/api/push/subscriptions", json=browser_subscription())
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    assert client.request("DELETE", "/api/push/subscriptions", json={"endpoint": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "https"),
        ({"endpoint": "https://push.evil.example/x"}, "not a known push service"),
        ({"endpoint": "https://10.0.0.7/x"}, "not an address"),
        ({"endpoint": "https://127.0.0.1:8080/x"}, "not allowed"),
        ({"endpoint": "http://localhost:8090/notify/x"}, "not allowed"),
        ({"endpoint": "https://user:pw@fcm.googleapis.com/x"}, "not a valid push service URL"),
        ({"endpoint": "https://fcm.googleapis.com/" + "x" * 2100}, "longer than"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(os.urandom(16))}}, "not a point"),
        ({"keys": {"p256dh": b64url(os.urandom(33)), "auth": b64url(os.urandom(16))}}, "65 bytes"),
        ({"keys": {"auth": b64url(os.urandom(16))}}, "p256dh is missing"),
        ({"keys": None}, "no keys"),
        ({"endpoint": None}, "no endpoint"),
    ],
)
def test_unusable_subscriptions_are_refused_with_the_reason(client: TestClient, change: dict, reason: str) -> None:
    sub = browser_subscription()
    sub.update(change)
    r = client.post("/api/push/subscriptions", json=sub, headers=citizen(client))
    assert r.status_code == 422 and reason in r.json()["message"], r.text


def test_a_short_auth_secret_is_refused() -> None:
    sub = browser_subscription()
    sub["keys"]["auth"] = b64url(os.urandom(8))
    with pytest.raises(InvalidSubscription, match="16 bytes"):
        parse_subscription(sub, EndpointPolicy())


def test_loopback_endpoints_only_when_the_setting_allows() -> None:
    sub = browser_subscription()
    sub["endpoint"] = "http://localhost:8090/notify/abc"
    assert parse_subscription(sub, EndpointPolicy(allow_loopback=True)).endpoint == sub["endpoint"]
    any_host = EndpointPolicy(hosts=("*",))
    sub["endpoint"] = "https://push.example.net/x"
    assert parse_subscription(sub, any_host).endpoint == sub["endpoint"]
    sub["endpoint"] = "https://web.push.apple.com/QGv0"
    assert parse_subscription(sub, EndpointPolicy()).endpoint == sub["endpoint"]


def test_push_service_answers_are_read_as_the_rfcs_say() -> None:
    assert [classify(s) for s in (201, 404, 410, 429, 500, 503, 400, 403, 413)] == [
        "delivered", "gone", "gone", "retry", "retry", "retry", "failed", "failed", "failed",
    ]
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("999999") == 3600.0  # capped: the TTL decides past that
    assert 50 < (parse_retry_after(email_date(60)) or 0) <= 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def email_date(seconds_from_now: float) -> str:
    import email.utils
    import time

    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)
