"""A silent report and its live location (issue 29) over real HTTP sync, on SQLite and PostgreSQL:
P1 whatever the category and whatever triage says, the `track` written only by the report's own
device while the incident is open, its bounds, who may read it, and the projections that keep
only the first location."""

from __future__ import annotations

import json

import httpx
import pytest
from pycrdt import Array, Doc, Map

from app.incidents.documents import MAX_TRACK, Invalid, validate_report
from app.settings import Settings

from .conftest import LiveServer
from .server_checks import bearer_for, doc_json, rows, wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward
from .test_report_flow import device, police

TAN_PHU = 27031
PHU_MY = 26704


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def silent_report(citizen: SyncClient, category: str = "other", ward: int = TAN_PHU) -> str:
    report_id = citizen.new_report(category, description="", where=point_in_ward(ward))
    doc = citizen.doc(f"report/{report_id}")
    with doc.transaction():
        report = doc.get("report", type=Map)
        report["silent"] = True
        report["track"] = Array()
    return report_id


def fix(lat: float, lon: float, at: float | None = None, accuracy: float = 12.0) -> dict[str, float]:
    return {"lat": lat, "lon": lon, "accuracy": accuracy, "at": now_ms() if at is None else at}


def add_fixes(citizen: SyncClient, report_id: str, *fixes: dict[str, float]) -> httpx.Response:
    citizen.doc(f"report/{report_id}").get("report", type=Map)["track"].extend(list(fixes))
    return citizen.sync(f"report/{report_id}")


def fresh(citizen: SyncClient, report_id: str) -> None:
    """Forget what the server refused: the phone's copy becomes the server's again."""
    citizen.docs.pop(f"report/{report_id}")
    assert citizen.pull(f"report/{report_id}").status_code == 200


def dispatch(live_server: LiveServer, report_id: str, entry: dict) -> None:
    dispatcher = police(live_server, f"dp{entry_id()[:6]}", "dispatcher")
    name = f"incident/{report_id}"
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"), what="incident doc")
    dispatcher.append(name, "dispatch", {"id": entry_id(), "by": str(dispatcher.user["id"]), "at": now_ms(), **entry})  # type: ignore[attr-defined]
    r = dispatcher.sync(name)
    assert r.status_code == 200, r.text


def test_a_silent_report_is_p1_whatever_its_category_and_stays_so(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen, "other")
    assert citizen.sync(f"report/{report_id}").status_code == 200
    incident = rows(live_server, "SELECT priority, silent FROM incidents WHERE id = ?", report_id)[0]
    assert incident == {"priority": 1, "silent": 1}
    info = wait_for(lambda: doc_json(live_server, f"incident/{report_id}", "incident").get("info"), what="info")
    assert info["silent"] is True
    # Triage cannot lower it: whoever cannot speak may be in danger.
    dispatch(live_server, report_id, {"action": "verify", "category": "other", "priority": 3})
    assert rows(live_server, "SELECT priority, status FROM incidents WHERE id = ?", report_id)[0] == {
        "priority": 1, "status": "triaged"}
    # And a report that is not silent keeps its category's priority.
    plain = citizen.new_report("other", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{plain}").status_code == 200
    assert rows(live_server, "SELECT priority, silent FROM incidents WHERE id = ?", plain)[0] == {"priority": 3, "silent": 0}


def test_silent_cannot_change_once_sent(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen)
    assert citizen.sync(f"report/{report_id}").status_code == 200
    citizen.doc(f"report/{report_id}").get("report", type=Map)["silent"] = False
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 422 and r.json()["code"] == "report_frozen"


def test_the_track_is_written_by_the_report_own_device_and_read_by_police_with_access(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen)
    lat, lon = point_in_ward(TAN_PHU)
    assert citizen.sync(f"report/{report_id}").status_code == 200
    r = add_fixes(citizen, report_id, fix(lat, lon), fix(lat + 0.0002, lon))
    assert r.status_code == 200, r.text
    assert rows(live_server, "SELECT track_count FROM reports WHERE id = ?", report_id)[0]["track_count"] == 2

    # Another citizen can neither read nor write it.
    stranger = device(live_server)
    assert stranger.pull(f"report/{report_id}").status_code == 403
    stranger.docs[f"report/{report_id}"] = Doc()
    stranger.doc(f"report/{report_id}").apply_update(citizen.doc(f"report/{report_id}").get_update())
    stranger.doc(f"report/{report_id}").get("report", type=Map)["track"].append(fix(lat, lon + 0.001))
    assert stranger.sync(f"report/{report_id}").status_code == 403
    assert rows(live_server, "SELECT track_count FROM reports WHERE id = ?", report_id)[0]["track_count"] == 2

    # An officer of the ward reads the trail, and the read is audited; another ward's cannot.
    officer = police(live_server, "tp1", "officer", f"ward-{TAN_PHU}")
    assert officer.pull(f"report/{report_id}").status_code == 200
    assert [f["lat"] for f in officer.json(f"report/{report_id}", "report")["track"]] == [lat, lat + 0.0002]
    audit = rows(live_server, "SELECT actor_role, target FROM audit_log WHERE action = 'report.read'")
    assert {"actor_role": "officer", "target": f"report/{report_id}"} in audit
    assert police(live_server, "pm1", "officer", f"ward-{PHU_MY}").pull(f"report/{report_id}").status_code == 403


@pytest.mark.parametrize("bad, why", [
    ({"lat": 91.0}, "lat"), ({"lon": -181.0}, "lon"), ({"accuracy": -1.0}, "negative accuracy"),
    ({"accuracy": 50_000.0}, "useless accuracy"), ({"at": now_ms() + 3_600_000}, "an hour ahead"),
    ({"at": 1_000.0}, "before the report"), ({"speed": 3.0}, "an unknown field"), ({"lat": "10.7"}, "text"),
])
def test_bad_fixes_are_refused_with_a_code(live_server: LiveServer, bad: dict, why: str) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen)
    assert citizen.sync(f"report/{report_id}").status_code == 200
    lat, lon = point_in_ward(TAN_PHU)
    r = add_fixes(citizen, report_id, {**fix(lat, lon), **bad})
    assert r.status_code == 422, why
    assert r.json()["code"] == "track_invalid", why
    assert rows(live_server, "SELECT track_count FROM reports WHERE id = ?", report_id)[0]["track_count"] == 0


def test_the_track_is_append_only_and_bounded_in_count() -> None:
    def doc(track: list[dict]) -> Doc:
        d = Doc()
        report = d.get("report", type=Map)
        with d.transaction():
            report["category"] = "crime"
            report["created_at"] = 1_700_000_000_000.0
            report["silent"] = True
            report["track"] = Array(track)
        return d

    at = 1_700_000_000_000.0
    fixes = [{"lat": 10.7, "lon": 106.6, "accuracy": 10.0, "at": at + i * 10_000} for i in range(MAX_TRACK + 1)]
    assert validate_report(None, doc(fixes[:MAX_TRACK]), at + 1e8)["track"][-1] == fixes[MAX_TRACK - 1]
    with pytest.raises(Invalid) as full:
        validate_report(None, doc(fixes), at + 1e8)
    assert full.value.code == "track_full"
    with pytest.raises(Invalid) as edited:
        validate_report(doc(fixes[:3]), doc([fixes[1], fixes[0], fixes[2], fixes[3]]), at + 1e8)
    assert edited.value.code == "track_invalid"


@pytest.mark.parametrize("finish", ["close", "reject", "merge", "resolved"])
def test_fixes_are_refused_once_the_incident_is_finished(live_server: LiveServer, finish: str) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen, "crime")
    lat, lon = point_in_ward(TAN_PHU)
    assert citizen.sync(f"report/{report_id}").status_code == 200
    assert add_fixes(citizen, report_id, fix(lat, lon)).status_code == 200
    if finish == "close":
        dispatch(live_server, report_id, {"action": "close", "outcome": "handled"})
    elif finish == "reject":
        dispatch(live_server, report_id, {"action": "reject", "reason": "spam"})
    elif finish == "merge":
        main = citizen.new_report("crime", where=point_in_ward(TAN_PHU))
        assert citizen.sync(f"report/{main}").status_code == 200
        dispatch(live_server, report_id, {"action": "merge", "into": main})
    else:
        unit = f"ward-{TAN_PHU}"
        dispatch(live_server, report_id, {"action": "dispatch", "unit": unit})
        officer = police(live_server, "tp9", "officer", unit)
        name = f"incident/{report_id}"
        assert officer.pull(name).status_code == 200
        officer.append(name, "timeline", {"id": entry_id(), "type": "resolved", "unit": unit, "by": str(officer.user["id"]), "at": now_ms()})  # type: ignore[attr-defined]
        assert officer.sync(name).status_code == 200

    r = add_fixes(citizen, report_id, fix(lat + 0.001, lon))
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "incident_finished"
    assert rows(live_server, "SELECT track_count FROM reports WHERE id = ?", report_id)[0]["track_count"] == 1
    # The report itself still takes a message: only the live location stops.
    fresh(citizen, report_id)
    citizen.doc(f"report/{report_id}").get("report", type=Map)["messages"].append({"id": entry_id(), "text": "Tôi đã an toàn", "at": now_ms()})
    assert citizen.sync(f"report/{report_id}").status_code == 200


def test_the_projections_know_the_first_location_only(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = silent_report(citizen, "crime")
    lat, lon = point_in_ward(TAN_PHU)
    assert citizen.sync(f"report/{report_id}").status_code == 200
    away = [fix(lat + 0.0123, lon + 0.0456), fix(lat + 0.0234, lon + 0.0567)]
    assert add_fixes(citizen, report_id, *away).status_code == 200
    incident = rows(live_server, "SELECT lat, lon FROM incidents WHERE id = ?", report_id)[0]
    assert (incident["lat"], incident["lon"]) == (lat, lon)

    headers = bearer_for(live_server, "sup", "supervisor")
    r = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", headers=headers)
    assert r.status_code == 200, r.text
    feature = next(f for f in json.loads(r.content)["features"] if f["id"] == report_id)
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-5)
    for moved in away:
        assert f"{moved['lat']:.4f}"[:7] not in r.text and "track" not in r.text
