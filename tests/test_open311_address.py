"""Open311 with an address and no coordinates (issue 30): routed to the ward the address names,
flagged approximate; routing by an approximate boundary is flagged on the incident."""

from __future__ import annotations

import httpx
import pytest

from app.directory import approximate
from app.settings import Settings

from .conftest import LiveServer
from .server_checks import doc_json, rows, wait_for

SAI_GON = 26740
BASE = "/open311/v2"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, partner_calls_per_minute=30)


def post(server: LiveServer, key: str, **fields: object) -> httpx.Response:
    form = {"api_key": key, "service_code": "crime", "description": "Giật túi xách", **fields}
    with httpx.Client(base_url=server.url + BASE, timeout=10) as c:
        return c.post("/requests.json", data={k: str(v) for k, v in form.items()})


def test_an_address_alone_is_routed_to_its_ward_and_flagged(live_server: LiveServer) -> None:
    approximate.load(live_server.svc.directory)
    key = live_server.svc.partners.add_sync("portal")
    r = post(live_server, key, address_string="23 Lê Thánh Tôn, P. Bến Nghé, Q.1, TP.HCM")
    assert r.status_code == 201, r.text
    request_id = r.json()[0]["service_request_id"]
    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", request_id)[0]
    assert incident["ward_code"] == SAI_GON and incident["lat"] is not None
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", request_id)[0]
    assert report["location_approximate"] == 1  # a ward's point, not the door
    assert report["boundary_approximate"] == 1 and report["outside"] == 0
    assert "Lê Thánh Tôn" in report["description"]
    info = wait_for(lambda: doc_json(live_server, f"incident/{request_id}", "incident").get("info"))
    assert info["boundary_approximate"] is True and info["approximate"] is True


def test_an_address_naming_no_ward_is_refused(live_server: LiveServer) -> None:
    key = live_server.svc.partners.add_sync("portal")
    r = post(live_server, key, address_string="somewhere over the rainbow")
    assert r.status_code == 400 and "address_string" in r.json()[0]["description"]
    assert rows(live_server, "SELECT count(*) AS n FROM reports")[0]["n"] == 0


def test_a_report_inside_a_sample_boundary_is_not_flagged_approximate(live_server: LiveServer) -> None:
    from .sync_client import point_in_ward

    key = live_server.svc.partners.add_sync("portal")
    lat, lon = point_in_ward(27031)
    r = post(live_server, key, lat=lat, long=lon)
    assert r.status_code == 201, r.text
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", r.json()[0]["service_request_id"])[0]
    assert report["boundary_approximate"] == 0 and report["location_approximate"] == 0
