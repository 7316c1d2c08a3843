"""Public warnings reach the phones (issue 24), against the real mock push service
`web-push-testing` (it checks the VAPID token and decrypts each message): a draft pushes nothing,
the author cannot approve, a second person's approval reaches the devices that follow the area and
no other, an update replaces it, a cancel withdraws it, an exercise reaches only opted-in devices.

Needs `make push-testing` (cd tests/push && npm ci)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.settings import Settings

from .conftest import LiveServer
from .push.mock_service import MockPushService, subscription_json
from .server_checks import bearer_for, rows, wait_for
from .warnings_helpers import PHU_MY, TAN_PHU, body

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def mock_push() -> Iterator[MockPushService]:
    with MockPushService.start() as service:
        yield service


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(push_allow_loopback=True)


@pytest.fixture
def phones() -> Iterator[list[Phone]]:
    made: list[Phone] = []
    yield made
    for phone in made:
        phone.http.close()


class Phone:
    """A citizen device with a push subscription at the mock service, following some wards."""

    def __init__(self, made: list[Phone], server: LiveServer, push: MockPushService, wards: list[int],
                 exercises: bool = False, lang: str = "vi") -> None:
        made.append(self)
        token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
        self.push = push
        key = self.http.get("/api/push/key").json()["public_key"]
        sub = push.subscribe(key)
        self.hash = sub["clientHash"]
        assert self.http.post("/api/push/subscriptions", json={**subscription_json(sub), "lang": lang}).status_code == 201
        r = self.http.put("/api/citizen/devices/me/areas", json={"wards": wards, "exercises": exercises})
        assert r.status_code == 200, r.text

    def got(self, count: int) -> list[dict[str, Any]]:
        return self.push.wait_for_messages(self.hash, count)

    def all(self) -> list[dict[str, Any]]:
        return self.push.messages(self.hash)


def settled(server: LiveServer, warning_id: str) -> dict[str, int]:
    """The warning's delivery counts once every planned delivery reached a final state."""
    def check() -> dict[str, int] | None:
        found = rows(
            server,
            """SELECT d.state FROM warning_notifications wn JOIN push_deliveries d
               ON d.notification_id = wn.notification_id WHERE wn.warning_id = ?""",
            warning_id,
        )
        planned = rows(server, "SELECT state FROM outbox WHERE key LIKE ?", f"warning.deliver:{warning_id}%")
        if planned and all(p["state"] == "done" for p in planned) and all(f["state"] != "pending" for f in found):
            return {"final": len(found)}
        return None

    wait_for(check, what=f"the deliveries of {warning_id}")
    headers = bearer_for(server, f"reader-{warning_id[:8]}", "dispatcher")
    listed = httpx.get(f"{server.url}/api/warnings?all=1", headers=headers).json()["warnings"]
    return next(w["delivery"] for w in listed if w["id"] == warning_id)


def test_approval_update_cancel_and_exercise_reach_the_right_phones(
    live_server: LiveServer, mock_push: MockPushService, phones: list[Phone]
) -> None:
    url = live_server.url
    # One device per planning transaction, so that paging is used here (2,000 in service).
    assert live_server.svc.warning_delivery is not None
    live_server.svc.warning_delivery.page = 1
    dispatcher = bearer_for(live_server, "dp", "dispatcher")
    supervisor = bearer_for(live_server, "sv", "supervisor")
    tan_phu = Phone(phones, live_server, mock_push, [TAN_PHU])
    tan_phu_en = Phone(phones, live_server, mock_push, [PHU_MY, TAN_PHU], exercises=True, lang="en")
    phu_my = Phone(phones, live_server, mock_push, [PHU_MY])
    expired = Phone(phones, live_server, mock_push, [TAN_PHU])
    mock_push.expire(expired.hash)

    draft = httpx.post(f"{url}/api/warnings", json=body(headline_en="Big fire at Tan Phu market"),
                       headers=dispatcher).json()["id"]
    own = httpx.post(f"{url}/api/warnings/{draft}/approve", headers=bearer_for(live_server, "sv0", "supervisor"))
    assert own.status_code == 200  # a supervisor who is not the author
    counts = settled(live_server, draft)
    (first,) = tan_phu.got(1)  # exactly one: the draft itself pushed nothing
    assert first["kind"] == "warning" and first["warning"] == draft and first["references"] is None
    assert first["title"] == "Cháy lớn tại chợ Tân Phú" and first["url"] == f"/#/warnings/{draft}"
    (first_en,) = tan_phu_en.got(1)
    assert first_en["title"] == "Big fire at Tan Phu market" and first_en["tag"] == first["tag"]
    assert phu_my.all() == []  # another ward: not told
    assert counts == {"queued": 3, "delivered": 2, "failed": 0, "expired": 0, "removed": 1, "pending": 0}
    pages = rows(live_server, "SELECT payload FROM outbox WHERE key LIKE ?", f"warning.deliver:{draft}%")
    assert len(pages) == 4  # three devices follow Tân Phú: a page each, and the empty last one
    # Severe: Urgency high; TTL until the warning expires.
    (notice,) = rows(live_server, "SELECT urgency, ttl_s FROM push_notifications WHERE key = ?", f"warning:{draft}:vi")
    assert notice["urgency"] == "high" and 3 * 3600 - 120 <= notice["ttl_s"] <= 3 * 3600
    for payload in (first, first_en):
        assert set(payload) >= {"warning", "kind", "headline"} and "author" not in payload

    # The author cannot approve the update; a second person can. It reaches the old area and the new.
    update = httpx.post(f"{url}/api/warnings/{draft}/update",
                        json=body(headline="Cháy lan sang Phú Mỹ", wards=[PHU_MY], severity="Moderate"),
                        headers=supervisor).json()["id"]
    assert httpx.post(f"{url}/api/warnings/{update}/approve", headers=supervisor).status_code == 403
    assert httpx.post(f"{url}/api/warnings/{update}/approve",
                      headers=bearer_for(live_server, "sv2", "supervisor")).status_code == 200
    settled(live_server, update)
    for phone, count in ((tan_phu, 2), (tan_phu_en, 2), (phu_my, 1)):
        told = phone.got(count)[-1]
        assert told["kind"] == "update" and told["warning"] == update and told["references"] == draft
        assert told["tag"] == first["tag"]  # replaces the first notice on the phone
    (notice,) = rows(live_server, "SELECT urgency FROM push_notifications WHERE key = ?", f"warning:{update}:vi")
    assert notice["urgency"] == "normal"  # Moderate

    # Cancel: immediate (no second person), delivered like the original, to every phone that had
    # any version (Tân Phú's phone is outside the update's area, but had the first version).
    cancel = httpx.post(f"{url}/api/warnings/{update}/cancel", headers=dispatcher).json()
    assert cancel["status"] == "cancelled"
    settled(live_server, cancel["cancel_id"])
    for phone, count in ((tan_phu, 3), (tan_phu_en, 3), (phu_my, 2)):
        told = phone.got(count)[-1]
        assert told["kind"] == "cancel" and told["references"] == update and told["tag"] == first["tag"]
    assert httpx.get(f"{url}/api/warnings").json()["warnings"] == []

    # An exercise reaches only the device that opted in.
    exercise = httpx.post(f"{url}/api/warnings", json=body(exercise=True), headers=dispatcher).json()["id"]
    httpx.post(f"{url}/api/warnings/{exercise}/approve", headers=supervisor)
    assert settled(live_server, exercise)["delivered"] == 1
    told = tan_phu_en.got(4)[-1]
    assert told["warning"] == exercise and told["exercise"] is True and told["title"].startswith("[EXERCISE]")
    assert len(tan_phu.all()) == 3 and len(phu_my.all()) == 2


def test_a_draft_asks_the_other_supervisors_to_approve(live_server: LiveServer, mock_push: MockPushService) -> None:
    url = live_server.url
    key = httpx.get(f"{url}/api/push/key").json()["public_key"]
    people = {who: bearer_for(live_server, who, role) for who, role in
              (("sv.a", "supervisor"), ("sv.b", "supervisor"), ("dp.c", "dispatcher"))}
    hashes = {}
    for who, headers in people.items():
        sub = mock_push.subscribe(key)
        r = httpx.post(f"{url}/api/push/subscriptions", json=subscription_json(sub), headers=headers)
        assert r.status_code == 201, r.text
        hashes[who] = sub["clientHash"]

    mine = httpx.post(f"{url}/api/warnings", json=body(), headers=people["sv.a"]).json()["id"]
    (asked,) = mock_push.wait_for_messages(hashes["sv.b"], 1)
    assert asked["kind"] == "warning_review" and asked["warning"] == mine
    assert asked["url"] == f"/center/#/warnings/{mine}" and asked["title"] == "Cảnh báo chờ duyệt: Cháy lớn tại chợ Tân Phú"
    # The dispatcher's draft asks both supervisors: sv.a's subscription works, and was left out above.
    theirs = httpx.post(f"{url}/api/warnings", json=body(), headers=people["dp.c"]).json()["id"]
    (asked_a,) = mock_push.wait_for_messages(hashes["sv.a"], 1)
    assert asked_a["warning"] == theirs
    assert [m["warning"] for m in mock_push.wait_for_messages(hashes["sv.b"], 2)] == [mine, theirs]
    # Dispatchers do not approve: nothing was even planned for one.
    assert rows(live_server, """SELECT count(*) AS n FROM push_deliveries d
                                JOIN push_subscriptions s ON s.id = d.subscription_id
                                WHERE s.role = 'dispatcher'""") == [{"n": 0}]
