"""The OpenAPI entries of public warnings (issue 24; docs/warnings.md). Kept apart from
`app/web/openapi.py` for size only: the same document, the same building blocks."""

from __future__ import annotations

from typing import Any

from app.warnings.answers import ANSWERS
from app.warnings.areas import MAX_AREAS
from app.warnings.drafts import DRAFTERS
from app.warnings.fields import (
    CATEGORIES,
    CERTAINTIES,
    DESCRIPTION_MAX,
    HEADLINE_MAX,
    INSTRUCTION_MAX,
    MAX_WARDS,
    SEVERITIES,
    URGENCIES,
)
from app.web.openapi_parts import (
    BOOLEAN,
    INTEGER,
    STRING,
    Schema,
    array,
    empty,
    file_answer,
    json_answer,
    nullable,
    obj,
    operation,
    param,
    refusals,
)

WARNING_ID = param("warning_id", "path", {"type": "string", "minLength": 1, "maxLength": 64})
WARD_CODE: Schema = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 999_999_999},
                               {"type": "string", "pattern": "^[0-9]{1,9}$"}]}
WARD = obj(("code", "name"), code=INTEGER, name=STRING)
COUNTS = obj(("queued", "delivered", "failed", "expired", "removed", "pending"),
             queued=INTEGER, delivered=INTEGER, failed=INTEGER, expired=INTEGER, removed=INTEGER,
             pending=INTEGER)
PERSON = nullable(obj(("id", "username"), id=INTEGER, username=STRING, display_name=nullable(STRING)))
DRAFT = obj(
    ("wards", "category", "severity", "urgency", "certainty", "headline", "description", "expires"),
    wards={"oneOf": [{"const": "all"}, {**array(WARD_CODE), "minItems": 1, "maxItems": MAX_WARDS}]},
    category={"enum": list(CATEGORIES)},
    severity={"enum": list(SEVERITIES)},
    urgency={"enum": list(URGENCIES)},
    certainty={"enum": list(CERTAINTIES)},
    headline={"type": "string", "minLength": 1, "maxLength": HEADLINE_MAX},
    description={"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX},
    instruction=nullable({"type": "string", "maxLength": INSTRUCTION_MAX}),
    headline_en=nullable({"type": "string", "maxLength": HEADLINE_MAX}),
    description_en=nullable({"type": "string", "maxLength": DESCRIPTION_MAX}),
    instruction_en=nullable({"type": "string", "maxLength": INSTRUCTION_MAX}),
    expires={"type": "integer", "minimum": 0, "description": "ms since epoch; in the future, within 30 days."},
    exercise={"type": "boolean", "description": "CAP status Exercise: only devices that opted in."},
)
PUBLIC = {
    "id": STRING, "chain": STRING, "msg_type": {"enum": ["Alert", "Update", "Cancel"]},
    "kind": {"enum": ["warning", "update", "cancel"]}, "references": nullable(STRING),
    "status": {"enum": ["published", "cancelled", "superseded", "expired", "draft"]},
    "exercise": BOOLEAN, "category": STRING, "cap_category": STRING, "severity": {"enum": list(SEVERITIES)},
    "urgency": {"enum": list(URGENCIES)}, "certainty": {"enum": list(CERTAINTIES)}, "headline": STRING,
    "description": STRING, "instruction": nullable(STRING), "headline_en": nullable(STRING),
    "description_en": nullable(STRING), "instruction_en": nullable(STRING), "all_city": BOOLEAN,
    "wards": array(WARD), "sent": nullable(INTEGER), "expires": INTEGER, "replaced_by": nullable(STRING),
    "cap": STRING,
}
WARNING = obj(("id", "kind", "status", "headline", "wards", "expires"), **PUBLIC)
POLICE_WARNING = obj(
    ("id", "kind", "status", "author", "delivery", "answers"), **PUBLIC, author=PERSON, approver=PERSON,
    created=INTEGER, ended=nullable(INTEGER), delivery=COUNTS,
    answers=obj(("safe", "need_help"), safe=INTEGER, need_help=INTEGER),
    reports={**array(STRING), "description": "Incidents opened by \"need help\" on this warning."})
AREAS = obj(("wards", "exercises"), wards=array(WARD), exercises=BOOLEAN)
NO_STORE = {"Cache-Control": {"schema": STRING}}


def warning_paths() -> dict[str, Any]:
    draft_answer = obj(("id", "status"), id=STRING, status={"const": "draft"}, references=STRING)
    return {
        "/api/warnings": {
            "get": operation(
                "The warnings in force (published, unexpired, not cancelled or replaced): public, no "
                "names. `exercise=1` adds exercises. `all=1` (dispatcher, supervisor): the latest "
                "messages of every status with author, approver, delivery counts and answers.",
                {"200": json_answer("Warnings, newest first.", obj(("warnings",), warnings=array(
                    {"anyOf": [WARNING, POLICE_WARNING]}))), "304": empty("Unchanged (the public list)."),
                 **refusals(401, 403)},
                roles=None, tag="warnings",
                params=[param("all", schema={"enum": ["0", "1"]}), param("exercise", schema={"enum": ["0", "1"]}),
                        param("If-None-Match", "header"),
                        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500})]),
            "post": operation(
                "Draft a warning (nothing is sent until a second person approves). Audited.",
                {"201": json_answer("The draft.", draft_answer)}, roles=DRAFTERS, tag="warnings", body=DRAFT),
        },
        "/api/warnings/wards": {"get": operation(
            "Every ward of the city, for the citizen's picker.",
            {"200": json_answer("Wards by name.", obj(("wards",), wards=array(WARD)))}, roles=None, tag="warnings")},
        "/api/warnings/wards.geojson": {"get": operation(
            "The ward boundaries (public facts): the phone finds its own ward and sends only the code.",
            {"200": json_answer("A FeatureCollection.", obj(("type", "features"), type={"const": "FeatureCollection"},
                                                            features=array({"type": "object"}))),
             "304": empty("Unchanged.")},
            roles=None, tag="warnings", params=[param("If-None-Match", "header")])},
        "/api/warnings/{warning_id}": {"get": operation(
            "One message that was published (any status since). Dispatchers and supervisors also "
            "see drafts, with the police fields.",
            {"200": json_answer("The warning.", {"anyOf": [WARNING, POLICE_WARNING]}), **refusals(404)},
            roles=None, tag="warnings", params=[WARNING_ID])},
        "/api/warnings/{warning_id}/approve": {"post": operation(
            "Publish a draft: a supervisor who is not its author (403 `own_warning` otherwise). An "
            "update replaces the warning it references. Delivered to the phones. Audited.",
            {"200": json_answer("Published.", obj(("id", "status"), id=STRING, status={"const": "published"},
                                                  references=nullable(STRING))), **refusals(404, 409)},
            roles=("supervisor",), tag="warnings", params=[WARNING_ID])},
        "/api/warnings/{warning_id}/cancel": {"post": operation(
            "Cancel at once: a draft is dropped; a published warning is withdrawn by a CAP Cancel "
            "message (`cancel_id`) delivered like the original. Audited.",
            {"200": json_answer("Cancelled.", obj(("id", "status", "cancel_id"), id=STRING,
                                                  status={"const": "cancelled"}, cancel_id=nullable(STRING))),
             **refusals(404, 409)},
            roles=DRAFTERS, tag="warnings", params=[WARNING_ID])},
        "/api/warnings/{warning_id}/update": {"post": operation(
            "Draft a new version of a published warning (the same body); approved the same way, it "
            "replaces the old one on every phone. Audited.",
            {"201": json_answer("The draft.", draft_answer), **refusals(404, 409)},
            roles=DRAFTERS, tag="warnings", params=[WARNING_ID], body=DRAFT)},
        "/api/warnings/{warning_id}/answers": {"post": operation(
            "The device's answer, one per device per warning (across its updates), changeable.",
            {"200": json_answer("Kept.", obj(("warning", "answer"), warning=STRING, answer={"enum": list(ANSWERS)})),
             **refusals(404, 409)},
            roles=(), citizen=True, tag="warnings", params=[WARNING_ID],
            body=obj(("answer",), answer={"enum": list(ANSWERS)}))},
        "/api/citizen/devices/me/areas": {
            "get": operation("The wards this device follows.", {"200": json_answer("Areas.", AREAS, NO_STORE)},
                             roles=(), citizen=True, tag="warnings"),
            "put": operation(
                "Replace the wards this device follows (codes only, never a position; at most "
                f"{MAX_AREAS}), and optionally whether it takes exercises. Audited (the count only).",
                {"200": json_answer("Areas.", AREAS)}, roles=(), citizen=True, tag="warnings",
                body=obj(("wards",), wards={**array(WARD_CODE), "maxItems": MAX_AREAS}, exercises=BOOLEAN)),
        },
        "/warnings/": {"get": operation(
            "The public page: warnings in force, readable with no script.",
            {"200": file_answer("HTML.", "text/html")}, roles=None, tag="warnings")},
        "/warnings/warnings.css": {"get": operation(
            "The public page's style.", {"200": file_answer("CSS.", "text/css")}, roles=None, tag="warnings")},
        "/warnings/cap.atom": {"get": operation(
            "Atom feed of the CAP 1.2 messages in force (and cancels of those that would be), each "
            "entry holding the whole alert.",
            {"200": file_answer("Atom.", "application/atom+xml")}, roles=None, tag="warnings")},
        "/warnings/{warning_id}.cap.xml": {"get": operation(
            "One CAP 1.2 alert (OASIS schema): Alert, Update or Cancel with references.",
            {"200": file_answer("CAP 1.2.", "application/cap+xml"), **refusals(404)},
            roles=None, tag="warnings", params=[WARNING_ID])},
    }
