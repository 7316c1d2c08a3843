"""Schema and writer rules of the document kinds, checked on before/after pairs of real Y docs."""

from __future__ import annotations

import pytest
from pycrdt import Array, Doc, Map

from app.incidents.documents import Invalid, validate_incident, validate_report


def report_doc(**fields) -> Doc:
    doc = Doc()
    report = doc.get("report", type=Map)
    base = {"category": "crime", "description": "Cướp giật", "lat": 10.73, "lon": 106.72, "accuracy": 12.0, "created_at": 1.7e12}
    base.update(fields)
    with doc.transaction():
        for key, value in base.items():
            if value is not None:
                report[key] = Array(value) if key in ("media", "messages") else value
    return doc


def copy(doc: Doc) -> Doc:
    other = Doc()
    other.apply_update(doc.get_update())
    return other


def test_a_good_report_passes() -> None:
    data = validate_report(None, report_doc(media=["media-0001"], contact={"name": "A", "phone": "0901234567"}))
    assert data["category"] == "crime"


def test_a_report_without_location_passes() -> None:
    validate_report(None, report_doc(lat=None, lon=None, accuracy=None))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"category": "ufo"}, "category"),
        ({"category": None}, "category"),
        ({"description": "x" * 4001}, "limit is 4000"),
        ({"lat": 95.0}, "WGS84"),
        ({"lon": None}, "lat and lon come together"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"media": ["../../etc/passwd"]}, "media ids"),
        ({"contact": {"name": "A", "email": "a@b"}}, "contact"),
        ({"evil": 1}, "unknown report field"),
    ],
)
def test_bad_reports_are_refused_with_a_reason(fields, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        validate_report(None, report_doc(**fields))


def test_extra_root_types_are_refused() -> None:
    doc = report_doc()
    doc.get("graffiti", type=Array).append("hi")
    with pytest.raises(Invalid, match="graffiti"):
        validate_report(None, doc)


def test_what_the_citizen_sent_is_frozen_but_messages_and_media_grow() -> None:
    before = report_doc(media=["media-0001"], messages=[])
    after = copy(before)
    report = after.get("report", type=Map)
    report["media"].append("media-0002")
    report["messages"].append({"id": "msg-0001", "text": "Kẻ gian mặc áo đỏ", "at": 1.7e12})
    validate_report(before, after)

    edited = copy(before)
    edited.get("report", type=Map)["description"] = "something else"
    with pytest.raises(Invalid, match="cannot change"):
        validate_report(before, edited)

    removed = copy(before)
    del removed.get("report", type=Map)["media"][0]
    with pytest.raises(Invalid, match="append-only"):
        validate_report(before, removed)


def incident_doc() -> Doc:
    doc = Doc()
    incident = doc.get("incident", type=Map)
    with doc.transaction():
        incident["info"] = {"category": "crime", "priority": 1}
        incident["dispatch"] = Array()
        incident["timeline"] = Array()
    return doc


def append(doc: Doc, log: str, entry: dict) -> Doc:
    after = copy(doc)
    after.get("incident", type=Map)[log].append(entry)
    return after


def test_dispatcher_triages_officer_writes_timeline() -> None:
    before = incident_doc()
    verify = {"id": "d-000001", "action": "verify", "category": "fire", "priority": 1, "by": "3", "at": 1.7e12}
    validate_incident(before, append(before, "dispatch", verify), "3", "dispatcher", None, set())
    ack = {"id": "t-000001", "type": "acknowledged", "unit": "ward-26704", "by": "5", "at": 1.7e12}
    added = validate_incident(before, append(before, "timeline", ack), "5", "officer", "ward-26704", {"ward-26704"})
    assert added["timeline"] == [ack]


def test_officer_cannot_triage_nor_write_for_others_nor_when_not_assigned() -> None:
    before = incident_doc()
    verify = {"id": "d-000001", "action": "verify", "category": "fire", "priority": 1, "by": "5", "at": 1.7e12}
    with pytest.raises(Invalid, match="only a dispatcher"):
        validate_incident(before, append(before, "dispatch", verify), "5", "officer", "ward-26704", {"ward-26704"})
    other = {"id": "t-000001", "type": "on_scene", "unit": "ward-26704", "by": "6", "at": 1.7e12}
    with pytest.raises(Invalid, match="own name"):
        validate_incident(before, append(before, "timeline", other), "5", "officer", "ward-26704", {"ward-26704"})
    mine = {**other, "by": "5"}
    with pytest.raises(Invalid, match="not assigned"):
        validate_incident(before, append(before, "timeline", mine), "5", "officer", "ward-26704", {"ward-27031"})


def test_dispatcher_cannot_touch_server_info_or_rewrite_history() -> None:
    before = append(incident_doc(), "dispatch", {"id": "d-000001", "action": "note", "text": "x", "by": "3", "at": 1.0})
    info = copy(before)
    info.get("incident", type=Map)["info"] = {"category": "other", "priority": 3}
    with pytest.raises(Invalid, match="server only"):
        validate_incident(before, info, "3", "dispatcher", None, set())
    erased = copy(before)
    del erased.get("incident", type=Map)["dispatch"][0]
    with pytest.raises(Invalid, match="append-only"):
        validate_incident(before, erased, "3", "dispatcher", None, set())
