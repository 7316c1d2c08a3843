"""Open311 GeoReport v2 for partner systems, over real HTTP against a running server: a partner's
request is routed like an app report; each partner reads only its own; every refusal is in the
spec's error form with the right status."""

from __future__ import annotations

import httpx
import pytest

from app.settings import Settings

from .center_helpers import write
from .citizen_helpers import police
from .conftest import LiveServer
from .server_checks import doc_json, rows, wait_for
from .sync_client import point_in_ward

TAN_PHU = 27031
BASE = "/open311/v2"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, partner_calls_per_minute=30)


def http(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url + BASE, timeout=10)


def post_request(c: httpx.Client, key: str, **fields: object) -> httpx.Response:
    lat, lon = point_in_ward(TAN_PHU)
    form = {"api_key": key, "service_code": "traffic", "lat": lat, "long": lon,
            "description": "Xe máy va chạm ở ngã tư", **fields}
    return c.post("/requests.json", data={k: str(v) for k, v in form.items()})


def assert_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    return str(body[0]["description"])


def test_services_list_the_four_categories_in_both_languages(live_server: LiveServer) -> None:
    with http(live_server) as c:
        services = c.get("/services.json").json()
        english = c.get("/services.json", params={"locale": "en"}).json()
    assert [s["service_code"] for s in services] == ["crime", "traffic", "fire", "other"]
    fire = next(s for s in services if s["service_code"] == "fire")
    assert fire["service_name"] == "Cháy nổ" and fire["names"] == {"vi": "Cháy nổ", "en": "Fire or explosion"}
    assert next(s for s in english if s["service_code"] == "fire")["service_name"] == "Fire or explosion"


def test_a_partner_request_is_routed_like_an_app_report(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-q7")
    with http(live_server) as c:
        r = post_request(c, key, address_string="12 Nguyễn Thị Thập", phone="0901 234 567",
                         first_name="Lan", media_url="https://portal.example/p/1.jpg")
        assert r.status_code == 201, r.text
        [created] = r.json()
        request_id = created["service_request_id"]
        assert created["service_notice"]

        incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", request_id)[0]
        assert incident["channel"] == "partner:portal-q7" and incident["ward_code"] == TAN_PHU
        assert incident["status"] == "new" and incident["category"] == "traffic"
        report = rows(live_server, "SELECT * FROM reports WHERE id = ?", request_id)[0]
        assert report["contact_phone"] == "0901 234 567" and report["author"] == "portal-q7"
        assert "12 Nguyễn Thị Thập" in report["description"]
        units = {r["unit"] for r in rows(live_server, "SELECT unit FROM incident_units WHERE incident_id = ?", request_id)}
        assert {"center", f"ward-{TAN_PHU}", "dept-traffic"} <= units
        # The same follow-ups as an app report: the ward's inbox, the triage timer.
        listed = wait_for(lambda: doc_json(live_server, f"inbox/ward-{TAN_PHU}", "incidents").get(request_id))
        assert listed["channel"] == "partner:portal-q7"
        timers = rows(live_server, "SELECT topic FROM outbox WHERE key = ?", f"timer.triage:{request_id}")
        assert timers == [{"topic": "timer.triage"}]

        status = c.get(f"/requests/{request_id}.json", params={"api_key": key})
        assert status.status_code == 200, status.text
        [one] = status.json()
        assert one["service_request_id"] == request_id and one["status"] == "open"
        assert one["service_code"] == "traffic" and one["updated_datetime"]
        assert one["lat"] == pytest.approx(incident["lat"]) and one["long"] == pytest.approx(incident["lon"])
        # The status only: nothing anybody wrote.
        assert "description" not in one and "phone" not in str(one) and "Nguyễn" not in str(one)

        listed_all = c.get("/requests.json", params={"api_key": key}).json()
        assert [x["service_request_id"] for x in listed_all] == [request_id]
        assert c.get("/requests.json", params={"api_key": key, "status": "closed"}).json() == []

    actions = [r["action"] for r in rows(live_server, "SELECT action FROM audit_log WHERE actor_id = 'partner:portal-q7' ORDER BY id")]
    assert actions == ["report.intake", "open311.read", "open311.list", "open311.list"]


def test_json_bodies_are_accepted_too(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-json")
    lat, lon = point_in_ward(TAN_PHU)
    with http(live_server) as c:
        r = c.post("/requests.json", json={"api_key": key, "service_code": "fire", "lat": lat,
                                           "long": lon, "description": "Khói từ nhà kho"})
    assert r.status_code == 201, r.text


def test_each_partner_sees_only_its_own_requests(live_server: LiveServer) -> None:
    mine = live_server.svc.partners.add_sync("portal-a")
    theirs = live_server.svc.partners.add_sync("portal-b")
    with http(live_server) as c:
        request_id = post_request(c, mine).json()[0]["service_request_id"]
        assert_error(c.get(f"/requests/{request_id}.json", params={"api_key": theirs}), 404)
        assert c.get("/requests.json", params={"api_key": theirs}).json() == []
        # An app report is no partner's either.
        assert_error(c.get("/requests/not-a-request.json", params={"api_key": mine}), 404)


def test_nothing_is_readable_without_a_valid_key(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-c")
    with http(live_server) as c:
        request_id = post_request(c, key).json()[0]["service_request_id"]
        assert "api_key" in assert_error(c.get(f"/requests/{request_id}.json"), 401)
        assert_error(c.get("/requests.json"), 401)
        assert_error(post_request(c, ""), 401)
        assert_error(c.get(f"/requests/{request_id}.json", params={"api_key": "guessed-" + key[:10]}), 403)
        assert_error(c.get("/requests.json", params={"api_key": key + "x"}), 403)

        live_server.svc.partners.revoke_sync("portal-c")
        assert_error(c.get(f"/requests/{request_id}.json", params={"api_key": key}), 403)
        assert_error(post_request(c, key), 403)
    refused = rows(live_server, "SELECT count(*) AS n FROM audit_log WHERE action = 'open311.refused'")
    assert refused[0]["n"] == 4


def test_bad_input_is_refused_in_open311_form(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-d")
    with http(live_server) as c:
        assert "lat" in assert_error(post_request(c, key, lat="91.5"), 400)
        assert "long" in assert_error(post_request(c, key, long="east"), 400)
        assert_error(c.post("/requests.json", data={"api_key": key, "service_code": "fire", "description": "x"}), 400)
        assert "service_code" in assert_error(post_request(c, key, service_code="pothole"), 400)
        assert_error(post_request(c, key, description="   "), 400)
        assert_error(c.get("/requests.json", params={"api_key": key, "start_date": "yesterday"}), 400)
    assert rows(live_server, "SELECT count(*) AS n FROM incidents")[0]["n"] == 0


def test_a_key_is_rate_limited(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-e")
    with http(live_server) as c:
        answers = [c.get("/requests.json", params={"api_key": key}) for _ in range(31)]
    assert [r.status_code for r in answers[:30]] == [200] * 30
    assert_error(answers[30], 429)
    assert int(answers[30].headers["Retry-After"]) >= 1


def test_keys_are_stored_hashed(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-f")
    [row] = rows(live_server, "SELECT * FROM partners WHERE name = 'portal-f'")
    assert key not in str(row) and len(row["key_hash"]) == 64


def test_a_rejected_request_reads_closed_with_the_reason(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal-g")
    dispatcher = police(live_server, "dp-open311", "dispatcher")
    with http(live_server) as c:
        request_id = post_request(c, key).json()[0]["service_request_id"]
        assert write(dispatcher, request_id, "dispatch", action="reject", reason="spam").status_code == 200
        [one] = c.get(f"/requests/{request_id}.json", params={"api_key": key}).json()
        assert one["status"] == "closed" and one["status_notes"] == "Rejected: spam"
        assert [x["service_request_id"] for x in c.get("/requests.json", params={"api_key": key, "status": "closed"}).json()] == [request_id]
        assert c.get("/requests.json", params={"api_key": key, "status": "open"}).json() == []
