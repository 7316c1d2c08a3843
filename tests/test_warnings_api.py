"""Public warnings, the API (issue 24): drafting and its refusals, approval by a second person,
update and cancel, the public list, the wards a device follows, answers, and the audit trail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.services import Services

from .conftest import Clock
from .warnings_helpers import PHU_MY, TAN_PHU, bearer, body, device, police, publish


@pytest.fixture
def people(login) -> dict[str, dict[str, str]]:
    return police(login)



@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"wards": None}, "wards"),
        ({"wards": []}, "wards"),
        ({"wards": [TAN_PHU, 99999999]}, "wards"),
        ({"wards": "some"}, "wards"),
        ({"expires": round((time.time() - 60) * 1000)}, "expires"),
        ({"expires": "tomorrow"}, "expires"),
        ({"headline": "x" * 161}, "headline"),
        ({"headline": "   "}, "headline"),
        ({"description": None}, "description"),
        ({"severity": "Catastrophic"}, "severity"),
        ({"urgency": "Now"}, "urgency"),
        ({"certainty": "Sure"}, "certainty"),
        ({"category": "aliens"}, "category"),
        ({"exercise": "yes"}, "exercise"),
    ],
)
def test_bad_drafts_are_refused_naming_the_field(
    client: TestClient, login, changes: dict[str, Any], field: str
) -> None:
    r = client.post("/api/warnings", json=body(**changes), headers=bearer(login("dp", "dispatcher")))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_only_dispatchers_and_supervisors_draft(
    client: TestClient, login, people: dict[str, dict[str, str]]
) -> None:
    assert client.post("/api/warnings", json=body()).status_code == 401
    assert client.post("/api/warnings", json=body(), headers=people["officer"]).status_code == 403
    assert client.post("/api/warnings", json=body(), headers=bearer(login("ad", "admin"))).status_code == 403
    assert client.post("/api/warnings", json=body(), headers=device(client)).status_code == 403
    for who in ("dispatcher", "supervisor"):
        r = client.post("/api/warnings", json=body(), headers=people[who])
        assert r.status_code == 201 and r.json()["status"] == "draft"
    # A headline of exactly 160 characters is fine, and the whole city is an area.
    r = client.post("/api/warnings", json=body(headline="x" * 160, wards="all"), headers=people["dispatcher"])
    assert r.status_code == 201


def test_a_second_person_approves_and_only_then_it_is_public(
    client: TestClient, svc: Services, people: dict[str, dict[str, str]]
) -> None:
    draft = client.post("/api/warnings", json=body(), headers=people["supervisor"]).json()
    wid = draft["id"]
    assert draft == {"id": wid, "status": "draft"}
    assert client.get("/api/warnings").json() == {"warnings": []}
    assert client.get(f"/api/warnings/{wid}").status_code == 404  # a draft is not public

    assert client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor"]).status_code == 403
    assert client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor"]).json()["error"] == "own_warning"
    assert client.post(f"/api/warnings/{wid}/approve", headers=people["dispatcher"]).status_code == 403
    assert client.post(f"/api/warnings/{wid}/approve", headers=device(client)).status_code == 403
    r = client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor2"])
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor2"]).status_code == 409

    (public,) = client.get("/api/warnings").json()["warnings"]
    assert public["id"] == wid and public["status"] == "published" and public["kind"] == "warning"
    assert public["wards"] == [{"code": TAN_PHU, "name": "Phường Tân Phú"}]
    assert public["cap_category"] == "Fire" and public["cap"] == f"/warnings/{wid}.cap.xml"
    assert "author" not in public and "approver" not in public
    assert "sv" not in repr({k: v for k, v in public.items() if k not in ("severity",)}).replace("Severe", "")
    assert client.get(f"/api/warnings/{wid}").json()["headline"] == "Cháy lớn tại chợ Tân Phú"

    # The police list: author and approver by name, status, delivery and answers.
    assert client.get("/api/warnings?all=1").status_code == 401
    assert client.get("/api/warnings?all=1", headers=people["officer"]).status_code == 403
    (police,) = client.get("/api/warnings?all=1", headers=people["dispatcher"]).json()["warnings"]
    assert police["author"]["username"] == "sv" and police["approver"]["username"] == "sv2"
    assert police["delivery"]["queued"] == 0 and police["answers"] == {"safe": 0, "need_help": 0}

    actions = svc.db.read_sync(lambda c: [tuple(r) for r in c.execute(
        "SELECT action, target FROM audit_log WHERE action LIKE 'warning.%' ORDER BY id")])
    assert actions == [("warning.draft", f"warning/{wid}"), ("warning.approve", f"warning/{wid}")]


def test_an_expired_warning_leaves_the_list(
    client: TestClient, clock: Clock, people: dict[str, dict[str, str]]
) -> None:
    wid = client.post("/api/warnings", json=body(expires=round((clock.now + 60) * 1000)),
                      headers=people["dispatcher"]).json()["id"]
    assert client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor"]).status_code == 200
    assert len(client.get("/api/warnings").json()["warnings"]) == 1
    late = client.post("/api/warnings", json=body(expires=round((clock.now + 30) * 1000)),
                       headers=people["dispatcher"]).json()["id"]
    clock.advance(61)
    assert client.get("/api/warnings").json()["warnings"] == []
    assert client.get(f"/api/warnings/{wid}").json()["status"] == "expired"
    # A draft whose expiry passed before anyone approved it is not published.
    r = client.post(f"/api/warnings/{late}/approve", headers=people["supervisor"])
    assert r.status_code == 409 and r.json()["error"] == "expired"
    # Nor is an expired warning updated or answered.
    assert client.post(f"/api/warnings/{wid}/update", json=body(), headers=people["dispatcher"]).status_code == 409


def test_an_update_replaces_the_warning_once_approved(
    client: TestClient, svc: Services, people: dict[str, dict[str, str]]
) -> None:
    old = publish(client, people)
    r = client.post(f"/api/warnings/{old}/update", json=body(headline="Cháy đã lan sang Phú Mỹ",
                                                              wards=[TAN_PHU, PHU_MY]), headers=people["dispatcher"])
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert r.json() == {"id": new, "status": "draft", "references": old}
    assert [w["id"] for w in client.get("/api/warnings").json()["warnings"]] == [old]  # until approved
    assert client.post(f"/api/warnings/{new}/approve", headers=people["dispatcher"]).status_code == 403
    assert client.post(f"/api/warnings/{new}/approve", headers=people["supervisor"]).json()["status"] == "published"
    (current,) = client.get("/api/warnings").json()["warnings"]
    assert current["id"] == new and current["references"] == old and current["kind"] == "update"
    assert client.get(f"/api/warnings/{old}").json()["status"] == "superseded"
    assert client.get(f"/api/warnings/{old}").json()["replaced_by"] == new
    # A superseded warning cannot be updated again, nor can an update change the exercise mode.
    assert client.post(f"/api/warnings/{old}/update", json=body(), headers=people["dispatcher"]).status_code == 409
    r = client.post(f"/api/warnings/{new}/update", json=body(exercise=True), headers=people["dispatcher"])
    assert r.status_code == 422 and r.json()["field"] == "exercise"


def test_cancel_is_immediate_and_makes_a_cancel_message(
    client: TestClient, svc: Services, people: dict[str, dict[str, str]]
) -> None:
    wid = publish(client, people)
    r = client.post(f"/api/warnings/{wid}/cancel", headers=people["dispatcher"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancel_id"]
    assert client.get("/api/warnings").json()["warnings"] == []
    cancel = client.get(f"/api/warnings/{r.json()['cancel_id']}").json()
    assert cancel["kind"] == "cancel" and cancel["references"] == wid
    assert client.post(f"/api/warnings/{wid}/cancel", headers=people["dispatcher"]).status_code == 409
    assert client.post(f"/api/warnings/{wid}/cancel", headers=people["officer"]).status_code == 403
    # A draft cancelled is simply dropped: no Cancel message, never public, cannot be approved.
    draft = client.post("/api/warnings", json=body(), headers=people["dispatcher"]).json()["id"]
    r = client.post(f"/api/warnings/{draft}/cancel", headers=people["dispatcher"])
    assert r.json() == {"id": draft, "status": "cancelled", "cancel_id": None}
    assert client.post(f"/api/warnings/{draft}/approve", headers=people["supervisor"]).status_code == 409
    assert client.post("/api/warnings/nope/cancel", headers=people["dispatcher"]).status_code == 404


def test_exercises_are_listed_only_when_asked(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    first = client.get("/api/warnings")
    unchanged = client.get("/api/warnings", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304  # a phone asking again costs nothing
    wid = publish(client, people, exercise=True)
    assert client.get("/api/warnings", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    r = client.get("/api/warnings?exercise=1", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 200  # changed for those who take exercises
    assert client.get("/api/warnings").json()["warnings"] == []
    (listed,) = client.get("/api/warnings?exercise=1").json()["warnings"]
    assert listed["id"] == wid and listed["exercise"] is True


def test_a_device_follows_wards_by_code(client: TestClient, svc: Services, people: dict[str, dict[str, str]]) -> None:
    me = device(client)
    assert client.get("/api/citizen/devices/me/areas", headers=me).json() == {"wards": [], "exercises": False}
    r = client.put("/api/citizen/devices/me/areas", json={"wards": [TAN_PHU, str(PHU_MY)], "exercises": True},
                   headers=me)
    assert r.status_code == 200, r.text
    assert r.json() == {"wards": [{"code": PHU_MY, "name": "Phường Phú Mỹ"},
                                  {"code": TAN_PHU, "name": "Phường Tân Phú"}], "exercises": True}
    # Replaced as a whole; the exercise choice kept when not given.
    r = client.put("/api/citizen/devices/me/areas", json={"wards": [PHU_MY]}, headers=me)
    assert r.json() == {"wards": [{"code": PHU_MY, "name": "Phường Phú Mỹ"}], "exercises": True}
    codes = [w["code"] for w in client.get("/api/warnings/wards").json()["wards"]]
    too_many = client.put("/api/citizen/devices/me/areas", json={"wards": codes[:11]}, headers=me)
    assert too_many.status_code == 422 and too_many.json()["field"] == "wards"
    unknown = client.put("/api/citizen/devices/me/areas", json={"wards": [123]}, headers=me)
    assert unknown.status_code == 422 and unknown.json()["unknown"] == [123]
    for bad in ({"wards": [{"lat": 10.7, "lon": 106.6}]}, {"wards": "all"}, {"wards": [1], "exercises": "y"}):
        assert client.put("/api/citizen/devices/me/areas", json=bad, headers=me).status_code == 422
    assert client.put("/api/citizen/devices/me/areas", json={"wards": [PHU_MY]}).status_code == 401
    r = client.put("/api/citizen/devices/me/areas", json={"wards": [PHU_MY]}, headers=people["dispatcher"])
    assert r.status_code == 403
    assert len(codes) >= 100  # every ward of the city, for the picker
    geo = client.get("/api/warnings/wards.geojson")
    assert geo.status_code == 200 and geo.json()["type"] == "FeatureCollection"


def test_answers_are_one_per_device_and_counted(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    wid = publish(client, people)
    a, b = device(client), device(client)
    for who, answer in ((a, "safe"), (b, "safe"), (b, "need_help")):
        r = client.post(f"/api/warnings/{wid}/answers", json={"answer": answer}, headers=who)
        assert r.status_code == 200 and r.json() == {"warning": wid, "answer": answer}
    bad = client.post(f"/api/warnings/{wid}/answers", json={"answer": "maybe"}, headers=a)
    assert bad.status_code == 422 and bad.json()["field"] == "answer"
    assert client.post(f"/api/warnings/{wid}/answers", json={"answer": "safe"}).status_code == 401
    assert client.post(f"/api/warnings/{wid}/answers", json={"answer": "safe"},
                       headers=people["dispatcher"]).status_code == 403
    (police,) = client.get("/api/warnings?all=1", headers=people["supervisor"]).json()["warnings"]
    assert police["answers"] == {"safe": 1, "need_help": 1}
    # Answers count across the chain: the update shows them, and an old id may still be answered.
    new = client.post(f"/api/warnings/{wid}/update", json=body(), headers=people["dispatcher"]).json()["id"]
    client.post(f"/api/warnings/{new}/approve", headers=people["supervisor"])
    assert client.post(f"/api/warnings/{wid}/answers", json={"answer": "safe"}, headers=b).status_code == 200
    listed = {w["id"]: w for w in client.get("/api/warnings?all=1", headers=people["supervisor"]).json()["warnings"]}
    assert listed[new]["answers"] == {"safe": 2, "need_help": 0}
    client.post(f"/api/warnings/{new}/cancel", headers=people["supervisor"])
    assert client.post(f"/api/warnings/{new}/answers", json={"answer": "safe"}, headers=a).status_code == 409


def test_the_answers_match_the_openapi_document(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    import jsonschema

    from app.web.openapi import document

    paths = document()["paths"]

    def check(path: str, method: str, status: str, answer: Any) -> None:
        schema = paths[path][method]["responses"][status]["content"]["application/json"]["schema"]
        jsonschema.validate(answer, schema)

    wid = publish(client, people, headline_en="Fire", wards="all")
    update = client.post(f"/api/warnings/{wid}/update", json=body(), headers=people["dispatcher"])
    check("/api/warnings/{warning_id}/update", "post", "201", update.json())
    check("/api/warnings", "get", "200", client.get("/api/warnings").json())
    check("/api/warnings", "get", "200", client.get("/api/warnings?all=1", headers=people["supervisor"]).json())
    check("/api/warnings/{warning_id}", "get", "200", client.get(f"/api/warnings/{wid}").json())
    cancel = client.post(f"/api/warnings/{wid}/cancel", headers=people["supervisor"])
    check("/api/warnings/{warning_id}/cancel", "post", "200", cancel.json())
    me = device(client)
    areas = client.put("/api/citizen/devices/me/areas", json={"wards": [TAN_PHU]}, headers=me)
    check("/api/citizen/devices/me/areas", "put", "200", areas.json())
