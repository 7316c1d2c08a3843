"""The OpenAPI entries of where the units are (issue 16: docs/positions.md) and of the other
channels (issue 17: phone intake, Open311 GeoReport v2, the GIS export; docs/channels.md).

Kept apart from `app/web/openapi.py` for size only: the same document, the same building blocks
(`openapi_parts`). Open311 answers its refusals in its own form, `[{code, description}]`
(the `Open311Error` schema), not the app's `{error, message}`: partners' clients read the spec's.
"""

from __future__ import annotations

from typing import Any

from app.directory.routing import CATEGORIES
from app.incidents.positions import MAX_ACCURACY_M, MAX_BATCH
from app.web.openapi_parts import (
    BOOLEAN,
    CENTER,
    INTEGER,
    NUMBER,
    STATS,
    STRING,
    Schema,
    array,
    empty,
    file_answer,
    json_answer,
    nullable,
    obj,
    open311_refusals,
    operation,
    param,
    refusals,
)

NO_STORE = {"Cache-Control": {"schema": STRING}}
LAT: Schema = {"type": "number", "minimum": -90, "maximum": 90}
LON: Schema = {"type": "number", "minimum": -180, "maximum": 180}
FIX = obj(("lat", "lon", "accuracy", "at"), lat=LAT, lon=LON,
          accuracy={"type": "number", "minimum": 0, "maximum": MAX_ACCURACY_M},
          at={"type": "number", "minimum": 0,
              "description": "When the phone took the fix, ms since epoch (at most 2 min ahead)."})
POINT = obj(("lat", "lon", "accuracy", "at"), lat=NUMBER, lon=NUMBER, accuracy=NUMBER, at=INTEGER)
POSITION = obj(("username", "unit", "lat", "lon", "accuracy", "at", "availability", "incident", "stale"),
               username=STRING, display_name=nullable(STRING), unit=nullable(STRING), lat=NUMBER,
               lon=NUMBER, accuracy=NUMBER, at=INTEGER, availability={"enum": ["available", "busy"]},
               incident=nullable(STRING), stale=BOOLEAN)


def position_paths() -> dict[str, Any]:
    return {
        "/api/officers/me/position": {"put": operation(
            "An officer's position fix, or the offline batch as a list of fixes (docs/positions.md).",
            {"204": empty("Kept (a fix past the retention is dropped silently)."), **refusals(409)},
            roles=("officer",), tag="officers",
            body={"oneOf": [FIX, {**array(FIX), "minItems": 1, "maxItems": MAX_BATCH}]})},
        "/api/units/positions": {"get": operation(
            "The latest position of each on-duty officer. Audited.",
            {"200": json_answer("Positions.", array(POSITION), NO_STORE)}, roles=CENTER, tag="officers")},
        "/api/units/positions/live": {"get": operation(
            "The positions as a server-sent event stream that never ends by itself: `event: "
            "snapshot` (data: the list of GET /api/units/positions), then `event: position` per "
            "change of one officer (data: a row; without lat/lon the officer is off the map), and "
            "a `: keep-alive` comment every 15 s. Opening it is audited.",
            {"200": file_answer("text/event-stream (EventSource).", "text/event-stream")},
            roles=CENTER, tag="officers")},
        "/api/incidents/{incident_id}/track": {"get": operation(
            "An officer's fixes from their unit's dispatch to the incident until its clearing. Audited.",
            {"200": json_answer("The track, oldest first.", obj(
                ("incident", "officer", "unit", "from", "to", "positions"), incident=STRING,
                officer=STRING, display_name=nullable(STRING), unit=nullable(STRING),
                **{"from": INTEGER, "to": nullable(INTEGER)}, positions=array(POINT)), NO_STORE),
             **refusals(404, 422)},
            roles=("supervisor",), tag="officers",
            params=[param("incident_id", "path"),
                    param("officer", schema={"type": "string", "minLength": 1, "maxLength": 100},
                          description="The officer's username.", required=True)])},
    }


SERVICE = obj(("service_code", "service_name", "description", "metadata", "type", "keywords", "group"),
              service_code={"enum": list(CATEGORIES)}, service_name=STRING, description=STRING,
              names=obj(("vi", "en"), vi=STRING, en=STRING), metadata=BOOLEAN, type=STRING,
              keywords=STRING, group=STRING)
REQUEST_STATUS = obj(
    ("service_request_id", "status", "status_notes", "service_code", "requested_datetime",
     "updated_datetime", "lat", "long"),
    service_request_id=STRING, status={"enum": ["open", "closed"]}, status_notes=STRING,
    service_code=STRING, service_name=nullable(STRING), requested_datetime=STRING,
    updated_datetime=STRING, lat=nullable(NUMBER), long=nullable(NUMBER))
API_KEY = param("api_key", schema={"type": "string", "minLength": 1, "maxLength": 200}, required=True,
                description="The partner's key (`sos partners add`).")
NEW_REQUEST = {**obj(
    ("api_key", "service_code", "description"),
    api_key={"type": "string", "minLength": 1, "maxLength": 200},
    service_code={"enum": list(CATEGORIES)}, lat=LAT, long=LON,
    description={"type": "string", "minLength": 1, "maxLength": 3000},
    address_string={"type": "string", "maxLength": 400,
                    "description": "Without lat and long: placed at the ward it names (old or new "
                                   "name), marked approximate (issue 30)."},
    media_url={"type": "string", "maxLength": 400},
    first_name={"type": "string", "maxLength": 50}, last_name={"type": "string", "maxLength": 50},
    phone={"type": "string", "maxLength": 30}),
    "anyOf": [{"required": ["lat", "long"]}, {"required": ["address_string"]}]}


def _open311(summary: str, answers: dict[str, Schema], codes: tuple[int, ...], **kw: Any) -> Schema:
    op = operation(summary, {**answers, **open311_refusals(*codes)}, roles=None, tag="open311", **kw)
    op["description"] = "Who: a partner system, with its api_key. " + op["description"].removeprefix("Who: anyone.")
    return op


def channel_paths() -> dict[str, Any]:
    create = _open311(
        "A service request (a report, channel partner:<name>): form-encoded as the spec says, or JSON.",
        {"201": json_answer("Made.", array(obj(("service_request_id", "service_notice"),
                                               service_request_id=STRING, service_notice=STRING,
                                               account_id={"type": "null"})))},
        (400, 401, 403, 413, 429))
    create["description"] = create["description"].rstrip() + " Any field may also come in the query."
    create["requestBody"] = {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": NEW_REQUEST},
        "application/json": {"schema": NEW_REQUEST}}}
    return {
        "/api/incidents/phone": {"post": operation(
            "A dispatcher turns a call into a report (channel phone); `ward` instead of lat/lon "
            "places it at the ward's representative point, marked approximate.",
            {"201": json_answer("Made.", obj(("id", "ward_code", "approximate"), id=STRING,
                                             ward_code=nullable(INTEGER), approximate=BOOLEAN))},
            roles=("dispatcher",), tag="incidents",
            body={**obj(("category", "description"), category={"enum": list(CATEGORIES)},
                     description={"type": "string", "minLength": 1, "maxLength": 4000},
                     caller=obj(name=nullable({"type": "string", "maxLength": 100}),
                                phone=nullable({"type": "string", "pattern": "^[0-9 +().-]{6,20}$"})),
                     lat=LAT, lon=LON,
                     approximate={"type": "boolean", "description": "lat/lon is a ward's point from "
                                  "address search, not the place (issue 30)."},
                     ward={"type": ["integer", "string"], "pattern": "^[0-9]{1,9}$", "minimum": 0,
                           "maximum": 10**9, "description": "The official code of a ward."}),
                  "anyOf": [{"required": ["lat", "lon"]}, {"required": ["ward"]}]})},
        "/open311/v2/services.json": {"get": operation(
            "The categories as Open311 services, with Vietnamese and English names.",
            {"200": json_answer("Services.", array(SERVICE))}, roles=None, tag="open311",
            params=[param("locale", description="en for English names; Vietnamese otherwise.")])},
        "/open311/v2/requests.json": {
            "get": _open311(
                "The partner's own requests' statuses, newest first (at most 1,000). Audited.",
                {"200": json_answer("Statuses.", array(REQUEST_STATUS))}, (400, 401, 403, 429),
                params=[API_KEY, param("service_code"), param("status", schema={"enum": ["open", "closed"]}),
                        param("start_date", description="ISO 8601 (local time without an offset)."),
                        param("end_date", description="ISO 8601, exclusive.")]),
            "post": create,
        },
        "/open311/v2/requests/{request_id}.json": {"get": _open311(
            "One of the partner's requests: its status only. Audited.",
            {"200": json_answer("One status.", array(REQUEST_STATUS))}, (400, 401, 403, 404, 429),
            params=[param("request_id", "path"), API_KEY])},
    }


HTML = {"text/html": {"schema": {"type": "string"}}}
NOT_BUILT = {"$ref": "#/components/responses/Unavailable"}
LITE_REFUSAL = {"$ref": "#/components/responses/LitePage"}


def _page(description: str, headers: dict[str, Any] | None = None) -> Schema:
    return {"description": description, "content": HTML, **({"headers": headers} if headers else {})}


def lite_paths() -> dict[str, Any]:
    """The citizen's script-less first paint and report form (issue 23): HTML, not JSON; a refusal
    is the form again with a Vietnamese message and what was typed (docs/api.md)."""
    # 400 not form encoding or not UTF-8, 403 posted from another site (Origin), 413 over 64 KB,
    # 415 not a form, 422 a category, description or ward that cannot make a report, 429 too many
    # reports from this phone or address (Retry-After), 503 not stored now.
    refused = {str(code): LITE_REFUSAL for code in (400, 403, 413, 415, 422, 429, 503)}
    form = obj(("category", "description"), category={"enum": list(CATEGORIES)},
               description={"type": "string", "minLength": 1, "maxLength": 4000},
               ward={"type": "string", "pattern": "^[0-9]{0,9}$",
                     "description": "The official code of a ward; empty: not known."},
               form_id={"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$",
                        "description": "From the page: the same form sent twice makes one report."})
    return {
        "/": {
            "get": operation(
                "The citizen app, whose HTML alone shows the emergency numbers and a report form "
                "(with a fresh form id; never cached).",
                {"200": _page("The page."), "503": NOT_BUILT}, roles=None, tag="citizen"),
            "post": {**operation(
                "Report with no script: the form of `/` → a report with channel web-lite, written as "
                "this phone's device (cookie sos_device, made if absent).",
                {"303": empty("To the report's status page.", {
                    "Location": {"schema": STRING}, "Set-Cookie": {"schema": STRING}}), **refused},
                roles=None, tag="citizen"),
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": form}}}},
        },
        "/lite/reports/{report_id}": {"get": operation(
            "A report's status in plain words, to the phone (cookie sos_device) that sent it only.",
            {"200": _page("The status page."), "404": LITE_REFUSAL, "503": NOT_BUILT}, roles=None, tag="citizen", params=[param("report_id", "path")])},
    }


def geojson_path(filters: list[Schema]) -> dict[str, Any]:
    collection = obj(("type", "name", "filters", "total", "no_location", "features"),
                     type={"const": "FeatureCollection"}, name=STRING, filters={"type": "object"},
                     total=INTEGER, no_location=INTEGER,
                     features=array(obj(("type", "id", "geometry", "properties"),
                                        type={"const": "Feature"}, id=STRING,
                                        geometry=obj(("type", "coordinates"), type={"const": "Point"},
                                                     coordinates=array(NUMBER)),
                                        properties=obj(
                                            ("id", "category", "priority", "status", "ward_code",
                                             "channel", "arrived_at"),
                                            id=STRING, category=STRING, priority=nullable(INTEGER),
                                            status=STRING, ward_code=nullable(INTEGER),
                                            channel=STRING, arrived_at=STRING))))
    return {"/api/stats/incidents.geojson": {"get": operation(
        "The filtered incidents as GeoJSON points (RFC 7946), for a GIS; no text anyone wrote. Audited.",
        {"200": file_answer("A FeatureCollection (attachment).", "application/geo+json", collection),
         **refusals(422)},
        roles=STATS, tag="stats", params=filters)}}
