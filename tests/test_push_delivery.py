"""Web push end to end against real push services on loopback: `web-push-testing` (npm, checks the
VAPID token and decrypts) and a recording HTTP peer (429/503 first, headers, its own decryption).

Needs `make push-testing` (cd tests/push && npm ci)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .push.flow import (
    DESCRIPTION,
    NAME,
    PHONE,
    PHU_MY,
    TAN_PHU,
    device,
    login,
    report_with_personal_data,
    subscribe,
    triage_and_dispatch,
)
from .push.mock_service import MockPushService, subscription_json
from .push.peer import RecordingPeer
from .server_checks import rows, wait_for
from .sync_client import point_in_ward

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def mock_push() -> Iterator[MockPushService]:
    with MockPushService.start() as service:
        yield service


@pytest.fixture
def peer() -> Iterator[RecordingPeer]:
    with RecordingPeer() as p:
        yield p


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(push_allow_loopback=True, triage_timeout_s=3600, ack_timeout_s=3600)



def deliveries(server: LiveServer, key_like: str) -> list[dict[str, Any]]:
    return rows(
        server,
        """SELECT d.*, n.key FROM push_deliveries d JOIN push_notifications n ON n.id = d.notification_id
           WHERE n.key LIKE ? ORDER BY d.id""",
        key_like,
    )


def settled(server: LiveServer, key_like: str, count: int) -> list[dict[str, Any]]:
    """The deliveries of matching notifications once `count` of them reached a final state."""
    def check() -> list[dict[str, Any]] | None:
        found = deliveries(server, key_like)
        return found if sum(d["state"] != "pending" for d in found) >= count else None

    return wait_for(check, what=f"{count} final deliveries for {key_like}")  # type: ignore[no-any-return]


def no_personal_data(payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        text = repr(payload)
        assert DESCRIPTION not in text and DESCRIPTION[:20] not in text
        assert NAME not in text and PHONE not in text


def user(server: LiveServer, username: str, role: str, unit: str | None = None):
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    return login(server.url, username)


def test_a_report_reaches_the_center_and_the_ward_and_the_citizen_follows(
    live_server: LiveServer, mock_push: MockPushService
) -> None:
    key = httpx.get(f"{live_server.url}/api/push/key").json()["public_key"]
    people = {
        "dispatcher": user(live_server, "dp1", "dispatcher"),
        "tan_phu": user(live_server, "tp1", "officer", f"ward-{TAN_PHU}"),
        "phu_my": user(live_server, "pm1", "officer", f"ward-{PHU_MY}"),
        "citizen": device(live_server.url),
    }
    hashes = {}
    for who, client in people.items():
        sub = mock_push.subscribe(key)
        r = subscribe(client, subscription_json(sub))
        assert r.status_code == 201, r.text
        hashes[who] = sub["clientHash"]

    report_id = report_with_personal_data(people["citizen"], "fire", point_in_ward(TAN_PHU))

    (center,) = mock_push.wait_for_messages(hashes["dispatcher"], 1)
    (ward,) = mock_push.wait_for_messages(hashes["tan_phu"], 1)
    assert center["title"] == "Tin báo mới: Cháy nổ — Phường Tân Phú"
    assert center["url"] == f"/center/#/incident/{report_id}"
    assert ward["url"] == f"/officer/#/incident/{report_id}"
    for payload in (center, ward):
        assert payload["kind"] == "new_report" and payload["incident"] == report_id
        assert (payload["category"], payload["priority"]) == ("fire", 1)
        assert (payload["ward_code"], payload["ward"]) == (TAN_PHU, "Phường Tân Phú")
        assert payload["renotify"] is True and payload["require_interaction"] is True
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", payload["tag"])
    assert center["tag"] != ward["tag"]  # one per app: the apps replace their own notices only
    # Every planned delivery is final, and the other ward and the citizen got nothing.
    final = settled(live_server, f"new_report:{report_id}:%", 2)
    assert [d["state"] for d in final] == ["delivered", "delivered"]
    assert mock_push.raw_messages(hashes["phu_my"]) == []
    assert mock_push.raw_messages(hashes["citizen"]) == []

    # Dispatched to Tân Phú with a message for the citizen: the ward is told, the citizen once.
    triage_and_dispatch(people["dispatcher"], report_id, f"ward-{TAN_PHU}", "Lực lượng đang đến")
    _, assigned = mock_push.wait_for_messages(hashes["tan_phu"], 2)
    assert assigned["kind"] == "dispatch" and assigned["url"] == f"/officer/#/incident/{report_id}"
    assert assigned["title"] == "Được phân công: Cháy nổ — Phường Tân Phú"
    assert assigned["tag"] == ward["tag"]  # replaces the "new report" notice on the phone
    (told,) = mock_push.wait_for_messages(hashes["citizen"], 1)
    assert told["url"] == f"/#/reports/{report_id}" and told["status"] == "in_progress"
    assert told["kind"] == "citizen" and told["title"] == "Công an đã gửi tin nhắn cho bạn"
    assert "Lực lượng đang đến" not in repr(told)  # the message is read in the app
    settled(live_server, f"citizen:{report_id}:%", 1)
    settled(live_server, f"dispatch:{report_id}:%", 1)
    assert len(mock_push.raw_messages(hashes["dispatcher"])) == 1
    assert mock_push.raw_messages(hashes["phu_my"]) == []
    everything = [m for h in hashes.values() for m in mock_push.messages(h)]
    no_personal_data(everything)
    # Every attempt is on record with the push service's answer.
    attempts = rows(live_server, "SELECT status, outcome FROM push_attempts")
    assert attempts and all(a == {"status": 201, "outcome": "delivered"} for a in attempts)


def test_an_expired_subscription_is_removed(live_server: LiveServer, mock_push: MockPushService) -> None:
    key = httpx.get(f"{live_server.url}/api/push/key").json()["public_key"]
    dispatcher = user(live_server, "dp2", "dispatcher")
    alive, expired = mock_push.subscribe(key), mock_push.subscribe(key)
    for sub in (alive, expired):
        assert subscribe(dispatcher, subscription_json(sub)).status_code == 201
    mock_push.expire(expired["clientHash"])

    citizen = device(live_server.url)
    report_id = report_with_personal_data(citizen, "crime", point_in_ward(PHU_MY))
    final = settled(live_server, f"new_report:{report_id}:%", 2)
    assert sorted(d["state"] for d in final) == ["delivered", "gone"]
    gone = next(d for d in final if d["state"] == "gone")
    assert gone["endpoint"] == expired["endpoint"]
    assert rows(live_server, "SELECT status, outcome FROM push_attempts WHERE delivery_id = ?", gone["id"]) == [
        {"status": 410, "outcome": "gone"}
    ]
    listed = dispatcher.http.get("/api/push/subscriptions").json()["subscriptions"]
    assert [s["endpoint"] for s in listed] == [alive["endpoint"]]
    assert len(mock_push.raw_messages(alive["clientHash"])) == 1


def test_429_and_503_are_retried_after_the_delay_asked(live_server: LiveServer, peer: RecordingPeer) -> None:
    dispatcher = user(live_server, "dp3", "dispatcher")
    throttled = peer.subscription("throttled", script=[(429, {"Retry-After": "1"})])
    failing = peer.subscription("failing", script=[(503, {})])
    for sub in (throttled, failing):
        assert subscribe(dispatcher, sub).status_code == 201

    citizen = device(live_server.url)
    report_id = report_with_personal_data(citizen, "crime", point_in_ward(TAN_PHU))
    first, second = peer.wait_for_requests("throttled", 2)
    assert second.at - first.at >= 0.95  # Retry-After: 1 was honoured
    peer.wait_for_requests("failing", 2)
    final = settled(live_server, f"new_report:{report_id}:%", 2)
    assert [d["state"] for d in final] == ["delivered", "delivered"]
    for d in final:
        outcomes = rows(live_server, "SELECT status, outcome, retry_after_s FROM push_attempts WHERE delivery_id = ? ORDER BY id", d["id"])
        assert [(a["status"], a["outcome"]) for a in outcomes][1:] == [(201, "delivered")]
        assert outcomes[0]["outcome"] == "retry" and outcomes[0]["status"] in (429, 503)

    # What went over the wire: aes128gcm, VAPID with our key, a real TTL, P1 urgency, a topic.
    key = httpx.get(f"{live_server.url}/api/push/key").json()["public_key"]
    headers = {k.lower(): v for k, v in second.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert re.fullmatch(r"vapid t=[\w-]+\.[\w-]+\.[\w-]+,\s*k=" + re.escape(key), headers["authorization"])
    assert 3500 <= int(headers["ttl"]) <= 3600
    assert headers["urgency"] == "high"  # crime is P1 by default
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
    payload = peer.decrypt("throttled", second.body)
    assert payload["incident"] == report_id and payload["tag"] == headers["topic"]
    no_personal_data([payload])


def test_a_low_priority_report_is_normal_urgency_and_other_languages_get_their_own(
    live_server: LiveServer, peer: RecordingPeer
) -> None:
    dispatcher = user(live_server, "dp4", "dispatcher")
    assert subscribe(dispatcher, peer.subscription("vi")).status_code == 201
    assert subscribe(dispatcher, peer.subscription("en"), lang="en").status_code == 201
    citizen = device(live_server.url)
    report_with_personal_data(citizen, "other", point_in_ward(TAN_PHU))
    (vi,) = peer.wait_for_requests("vi", 1)
    (en,) = peer.wait_for_requests("en", 1)
    assert {k.lower(): v for k, v in vi.headers.items()}["urgency"] == "normal"
    assert peer.decrypt("vi", vi.body)["title"] == "Tin báo mới: Sự cố khác — Phường Tân Phú"
    assert peer.decrypt("en", en.body)["title"] == "New report: Other emergency — Phường Tân Phú"
    assert peer.decrypt("en", en.body)["renotify"] is False


def test_an_untriaged_report_is_escalated_to_the_dispatchers(settings: Settings, peer: RecordingPeer) -> None:
    server = LiveServer(settings.with_(triage_timeout_s=1)).start()
    try:
        dispatcher = user(server, "dp5", "dispatcher")
        officer = user(server, "tp5", "officer", f"ward-{TAN_PHU}")
        assert subscribe(dispatcher, peer.subscription("center")).status_code == 201
        assert subscribe(officer, peer.subscription("ward")).status_code == 201
        report_id = report_with_personal_data(device(server.url), "traffic", point_in_ward(TAN_PHU))
        new, late = peer.wait_for_requests("center", 2, timeout=15)
        assert peer.decrypt("center", new.body)["kind"] == "new_report"
        escalated = peer.decrypt("center", late.body)
        assert escalated["kind"] == "escalation" and escalated["incident"] == report_id
        assert escalated["title"] == "Quá hạn xác minh: Tai nạn giao thông — Phường Tân Phú"
        assert escalated["url"] == f"/center/#/incident/{report_id}"
        assert {k.lower(): v for k, v in late.headers.items()}["urgency"] == "normal"  # traffic is P2
        settled(server, f"escalation:{report_id}:%", 1)
        assert len(peer.requests_for("ward")) == 1  # the ward was told of the report, not of this
    finally:
        server.stop()
