"""The OpenAPI 3.1 document of the REST API, served at `GET /api/openapi.json`.

What partners and the next developer read, and what the fuzzer (tests/test_api_fuzz.py) sends
requests from and checks answers against. `tests/test_openapi.py` compares its paths and methods
with the app's routes both ways: a route added without an entry here fails the suite.

To add an endpoint (docs/api.md): one entry in `_paths()` under its path,
`{method: operation(...)}`, with its roles, parameters, body and answers; refusals by code from
`refusals(...)`, which all share the `Error` schema (the blocks are in `openapi_parts`). The binary sync protocol is described only as octet-stream
(docs/sync.md has the framing); the PWA's pages and assets are not part of the API.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.directory.routing import CATEGORIES
from app.incidents.intake import CHANNEL_KINDS
from app.incidents.state import STATUSES
from app.stats.figures import GROUPS, STAGES
from app.web.openapi_accounts import account_paths, users_list
from app.web.openapi_channels import channel_paths, geojson_path, lite_paths, position_paths
from app.web.openapi_evidence import evidence_paths
from app.web.openapi_parts import (
    ANY_OBJECT,
    BOOLEAN,
    CENTER,
    INTEGER,
    NUMBER,
    STATS,
    STRING,
    Schema,
    array,
    components,
    empty,
    file_answer,
    json_answer,
    nullable,
    obj,
    operation,
    param,
    refusals,
)
from app.web.openapi_signin import signin_paths
from app.web.openapi_warnings import warning_paths

# -- shared shapes -------------------------------------------------------------------------------
USER = obj(("id", "role"), id={"type": ["integer", "string"]}, username=STRING, role=STRING,
           unit=nullable(STRING))
STATS_FILTERS = [
    param("from", description="Start of the period: a date (local), a date-time or epoch seconds."),
    param("to", description="End of the period (a date includes that whole day)."),
    param("ward", schema={"type": "string", "pattern": "^[0-9]{1,9}$"},
          description="The official code of a ward."),
    param("category", schema={"enum": list(CATEGORIES)}),
    param("unit", description="A unit code: incidents dispatched to it."),
    param("status", description="Comma-separated statuses, or open: " + ", ".join(STATUSES)),
    param("lang", schema={"enum": ["vi", "en"]}),
    param("channel", schema={"enum": list(CHANNEL_KINDS)}, description="How the reports came in."),
]
FIGURE_PARAMS = [
    param("group", schema={"enum": list(GROUPS)}, description="response-times only"),
    param("bucket", schema={"enum": ["day", "week"]}, description="series only"),
    param("stage", schema={"enum": list(STAGES)}, description="histogram only"),
    param("bins", schema={"type": "integer", "minimum": 1, "maximum": 200}, description="histogram"),
    param("bin_s", schema={"type": "number", "minimum": 1, "maximum": 86400}, description="histogram"),
    param("top", schema={"type": "integer", "minimum": 1, "maximum": 1000}, description="wards only"),
    param("mode", schema={"enum": ["auto", "points", "grid"]}, description="map only"),
    param("cell_m", schema={"type": "number", "minimum": 50, "maximum": 5000}, description="map"),
    param("max_points", schema={"type": "integer", "minimum": 0, "maximum": 20000}, description="map"),
]
FIGURE = param("figure", "path", {"enum": ["overview", "response-times", "series", "histogram",
                                           "wards", "map"]})
AUDIT_PARAMS = [
    param("actor", description="A username, user:<id>, device:<id> or server."),
    param("action", description="Exact, or a prefix ending in *."),
    param("target", description="Exact, a prefix ending in *, or a bare incident id."),
    param("from"), param("to"),
    param("before", schema={"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
          description="Entries older than this entry id (the answer's next_before)."),
    param("limit", schema={"type": "integer", "minimum": 1, "maximum": 100_000},
          description="At most 1,000 as JSON, 100,000 as CSV."),
    param("lang", schema={"enum": ["vi", "en"]}),
]
TUS_VERSION = param("Tus-Resumable", "header", {"const": "1.0.0"}, required=True)
MEDIA_ID = param("media_id", "path", {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"})
OCTETS: Schema = {"type": "string", "contentMediaType": "application/octet-stream"}
SVG = file_answer("The chart, an accessible SVG (title and description).", "image/svg+xml")
CSV = file_answer("A CSV file (UTF-8), audited.", "text/csv")
PUSH_SUBSCRIPTION = obj(
    ("endpoint", "keys"), endpoint={"type": "string", "format": "uri"},
    keys=obj(("p256dh", "auth"), p256dh=STRING, auth=STRING),
    expirationTime=nullable(NUMBER), lang={"enum": ["vi", "en"]},
    replaces=obj(("endpoint", "auth"), endpoint=STRING, auth=STRING),
)
OFFICER = obj(("id", "username", "unit"), id=INTEGER, username=STRING,
              display_name=nullable(STRING), unit=nullable(STRING),
              availability=nullable({"enum": ["available", "busy", "off_duty"]}),
              availability_at=nullable(NUMBER))


CHECKSUM = param("Upload-Checksum", "header", {"type": "string", "pattern": "^sha256 [A-Za-z0-9+/]{43}=$"},
                 description="tus checksum: sha256 and the base64 of the body's 32-byte SHA-256.")


def _media_paths() -> dict[str, Any]:
    create = operation(
        "tus creation: an upload for a report's photo or video (creation-with-upload too).",
        {"201": empty("Created; Location names the upload (its last segment is the media id).")},
        citizen=True, tag="media",
        params=[TUS_VERSION, param("Upload-Length", "header", {"type": "string", "pattern": "^[0-9]{1,15}$"},
                                   required=True),
                param("Upload-Metadata", "header", description="report, filename, filetype, kind, preview_of, sha256"),
                CHECKSUM],
    )
    create["responses"].update(refusals(400, 409, 412, 413, 460))
    options = operation("tus discovery.",
                        {"204": empty("Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm.")},
                        roles=None, tag="media")
    upload = {
        "head": operation("tus: how much of the upload the server has.",
                          {"200": empty("Upload-Offset and Upload-Length.")}, citizen=True, tag="media",
                          params=[TUS_VERSION, MEDIA_ID]),
        "patch": operation("tus: bytes at Upload-Offset.", {"204": empty("Upload-Offset now.")},
                           citizen=True, tag="media", body=OCTETS,
                           body_type="application/offset+octet-stream",
                           params=[TUS_VERSION, MEDIA_ID,
                                   param("Upload-Offset", "header", {"type": "string", "pattern": "^[0-9]{1,15}$"},
                                         required=True), CHECKSUM]),
        "delete": operation("tus termination.", {"204": empty("Gone.")}, citizen=True, tag="media",
                            params=[TUS_VERSION, MEDIA_ID]),
        "post": operation("tus with X-HTTP-Method-Override (PATCH, HEAD or DELETE), for proxies.",
                          {"200": empty("As the overridden method."), "204": empty("As PATCH or DELETE.")},
                          citizen=True, tag="media", params=[TUS_VERSION, MEDIA_ID]),
        "options": operation("tus discovery, on an upload.",
                             {"204": empty("Tus-Version, Tus-Extension, Tus-Max-Size.")},
                             roles=None, tag="media", params=[MEDIA_ID]),
    }
    for op in upload.values():
        op["responses"].update(refusals(400, 404, 405, 409, 410, 412, 413, 415, 422))
    upload["patch"]["responses"].update(refusals(460))
    upload["post"]["responses"].update(refusals(460))
    media = obj(("id", "report", "state"), id=STRING, report=STRING, role=STRING,
                state=STRING, type=nullable(STRING), size=INTEGER,
                sha256=nullable(STRING), client_sha256=nullable(STRING),
                capture=nullable({"enum": ["verified", "mismatch", "none"],
                                  "description": "The server's SHA-256 against the phone's, "
                                                 "null until the whole original is in."}))
    return {
        "/media/uploads/": {"options": options, "post": create},
        "/media/uploads": {"post": create},
        "/media/uploads/{media_id}": upload,
        "/media/{media_id}": {"get": operation(
            "A media's state, facts and the URLs of its variants.",
            {"200": json_answer("The media.", media), **refusals(404)}, citizen=True, tag="media",
            params=[MEDIA_ID])},
        "/media/{media_id}/{variant}": {"get": operation(
            "A variant's bytes (Range works); original is audited and sent as an attachment.",
            {"200": file_answer("The file.", "application/octet-stream", OCTETS),
             "206": file_answer("Part of it.", "application/octet-stream", OCTETS),
             "416": empty("The range lies past the end."), **refusals(400, 404)},
            citizen=True, tag="media",
            params=[MEDIA_ID, param("variant", "path",
                                    {"enum": ["thumb", "display", "poster", "video", "original"]}),
                    param("Range", "header", {"type": "string", "pattern": "^bytes=[0-9]*-[0-9]*$"})])},
        "/api/reports/{report_id}/media": {"get": operation(
            "A report's media with their states (a citizen sees its own uploads).",
            {"200": json_answer("The media.", obj(("report", "media"), report=STRING, media=array(media)))},
            citizen=True, tag="media", params=[param("report_id", "path")])},
    }


def _sync_paths() -> dict[str, Any]:
    sync_answer = {"200": file_answer("The server's sync step 2 (empty without a step 1).",
                                      "application/octet-stream", OCTETS),
                   **refusals(400, 404, 413, 415, 422, 429)}
    return {
        "/sync/{kind}/{doc_id}": {"post": operation(
            "y-protocols messages (sync step 1, updates) for one document; idempotent. The "
            "framing is docs/sync.md's; WebSocket /sync/{kind}/{doc_id} speaks the same.",
            sync_answer, citizen=True, tag="sync", body=OCTETS, body_type="application/octet-stream",
            params=[param("kind", "path", {"enum": ["report", "incident", "reply", "inbox"]}),
                    param("doc_id", "path")])},
        "/sync": {"post": operation(
            "Many documents at once (sync.batch framing); a status per document.",
            {"200": file_answer("The batch answer.", "application/octet-stream", OCTETS),
             **refusals(400, 413, 415)},
            citizen=True, tag="sync", body=OCTETS, body_type="application/octet-stream")},
    }


def _paths() -> dict[str, Any]:
    no_store = {"Cache-Control": {"schema": STRING}}
    return {
        "/healthz": {"get": operation("Liveness.", {"200": json_answer(
            "Up.", obj(("status",), status={"const": "ok"}))}, roles=None, tag="service")},
        # issue 26: for operators (app/web/metrics.py, docs/deploy.md "Metrics and alerts")
        "/metrics": {"get": operation(
            "Prometheus text exposition; to loopback and trusted proxies only (the connection's address).",
            {"200": file_answer("Metrics (text/plain; version=0.0.4).", "text/plain"), **refusals(403)},
            roles=None, tag="service")},
        "/readyz": {"get": operation("Readiness for a load balancer: the database takes a write now.", {
            "200": json_answer("Ready.", obj(("status",), status={"const": "ready"})),
            # Not ready: `error` is read_only, unreachable, timeout or write_failed.
            "503": {"$ref": "#/components/responses/Unavailable"}}, roles=None, tag="service")},
        "/api/openapi.json": {"get": operation("This document.", {"200": json_answer(
            "OpenAPI 3.1.", ANY_OBJECT)}, roles=None, tag="service")},
        "/api/config": {"get": operation("Public settings the apps need before sign-in.", {
            "200": json_answer("Settings.", obj(("tile_url", "timezone", "languages"),
                                                tile_url=STRING, timezone=STRING,
                                                languages=array(STRING), default_language=STRING))},
            roles=None, tag="service")},
        # -- sign-in ------------------------------------------------------------------------------
        "/api/auth/logout": {"post": operation("End the session (token and cookie).",
                                               {"204": empty("Signed out.")}, tag="auth")},
        "/api/auth/me": {"get": operation("Who am I (police: SIGNED_IN_USER of openapi_signin).",
            {"200": json_answer("The caller.", obj(("user",), user=USER))}, citizen=True, tag="auth")},
        "/api/citizen/devices": {"post": operation(
            "A new anonymous citizen identity and its signed token.",
            {"201": json_answer("Made.", obj(("device_id", "token"), device_id=STRING, token=STRING)),
             **refusals(429)}, roles=None, tag="auth")},
        "/api/citizen/devices/me": {"put": {**operation(
            "The device's optional contact details, for a call-back.",
            {"200": json_answer("Stored.", obj(("device_id", "contact"), device_id=STRING, contact=obj(
                name=nullable(STRING), phone=nullable(STRING))))},
            citizen=True, roles=(), tag="auth",
            body=obj(name=nullable({"type": "string", "maxLength": 100}),
                     phone=nullable({"type": "string", "pattern": "^[0-9 +().-]{6,20}$"})))}},
        # -- directory ----------------------------------------------------------------------------
        "/api/units": {"get": operation("Active units, and police display names by id.", {
            "200": json_answer("Units.", obj(("units", "people"), units=array(obj(
                ("code", "kind", "name"), code=STRING, kind=STRING, name=STRING)),
                people=array(obj(("id",), id=STRING, display_name=nullable(STRING)))))},
            tag="directory")},
        "/api/wards/boundaries": {"get": operation(
            "Ward boundaries, GeoJSON; revalidate with If-None-Match.",
            {"200": json_answer("A FeatureCollection.", obj(("type", "features"), type={"const": "FeatureCollection"},
                                                            features=array(ANY_OBJECT))),
             "304": empty("Unchanged.")},
            tag="directory", params=[param("If-None-Match", "header")])},
        "/api/directory/search": {"get": operation(
            "Address search: the wards an address names, by their names before or after the 2025 "
            "merger, with or without diacritics, abbreviations P., Q., TP.HCM understood.",
            {"200": json_answer("Best first, at most 10; empty when nothing matches.", array(obj(
                ("ward", "lat", "lon", "approximate", "matched"),
                ward=obj(("code", "name"), code=INTEGER, name=STRING), lat=NUMBER, lon=NUMBER,
                approximate=BOOLEAN, matched=STRING))),
             **refusals(422)},
            tag="directory",
            params=[param("q", schema={"type": "string", "minLength": 1, "maxLength": 200}, required=True)])},
        "/api/route": {"get": operation(
            "Where a point and category would be routed.",
            {"200": json_answer("The route.", obj(("units",), ward_code=nullable(INTEGER),
                                                  units=array(STRING), outside=BOOLEAN)),
             **refusals(422)},
            roles=CENTER, tag="directory",
            params=[param("lat", schema={"type": "number", "minimum": -90, "maximum": 90}, required=True),
                    param("lon", schema={"type": "number", "minimum": -180, "maximum": 180}, required=True),
                    param("category", schema={"enum": list(CATEGORIES)})])},
        # -- incidents and officers ---------------------------------------------------------------
        "/api/incidents/timers": {"get": operation("The dispatch deadlines the server escalates at.", {
            "200": json_answer("Seconds.", obj(("triage_timeout_s", "ack_timeout_s"),
                                               triage_timeout_s=NUMBER, ack_timeout_s=NUMBER))},
            roles=CENTER, tag="incidents")},
        "/api/incidents/{incident_id}/candidates": {"get": operation(
            "Open incidents near in place and time: duplicates to merge. Audited.",
            {"200": json_answer("Nearest first.", obj(("incident", "candidates"), incident=STRING,
                                                      radius_m=NUMBER, window_s=NUMBER,
                                                      candidates=array(ANY_OBJECT))),
             **refusals(404)},
            roles=CENTER, tag="incidents", params=[param("incident_id", "path")])},
        "/api/incidents/{incident_id}/reporters": {"get": operation(
            "Whose citizens a police message on this incident can reach: its report, then those merged into it.",
            {"200": json_answer("Its own report first.", obj(("incident", "reporters"), incident=STRING,
                                                             reporters=array(ANY_OBJECT))),
             **refusals(404)},
            roles=CENTER, tag="incidents", params=[param("incident_id", "path")])},
        "/api/officers": {"get": operation(
            "Officers and their availability; an officer sees their own unit.",
            {"200": json_answer("Officers.", array(OFFICER), no_store), **refusals(422)},
            tag="officers", params=[param("unit")])},
        "/api/officers/me/availability": {"put": operation(
            "An officer says whether they can take work (at: when they chose, ms). Audited.",
            {"200": json_answer("The officer's record.", OFFICER)}, roles=("officer",), tag="officers",
            body=obj(("status",), status={"enum": ["available", "busy", "off_duty"]},
                     at={"type": "number", "minimum": 0}))},
        # -- admin and audit ----------------------------------------------------------------------
        "/api/admin/users": users_list(),
        **account_paths(),
        "/api/audit": {"get": operation(
            "The audit log, newest first, filtered and paged (format=csv: as /api/audit.csv).",
            {"200": {"description": "Entries.", "content": {
                "application/json": {"schema": obj(("entries", "next_before"), entries=array(ANY_OBJECT),
                                                   next_before=nullable(INTEGER), query=ANY_OBJECT)},
                "text/csv": {"schema": STRING}}}, **refusals(422)},
            roles=("supervisor", "admin"), tag="audit",
            params=[*AUDIT_PARAMS, param("format", schema={"enum": ["json", "csv"]})])},
        "/api/audit.csv": {"get": operation(
            "The audit log as a CSV file (the export itself is audited); X-Next-Before pages.",
            {"200": CSV, **refusals(422)}, roles=("supervisor", "admin"), tag="audit",
            params=AUDIT_PARAMS)},
        # -- statistics ---------------------------------------------------------------------------
        "/api/stats/{figure}": {"get": operation(
            "A figure as JSON (format=csv: as the .csv address).",
            {"200": {"description": "The figure.", "content": {"application/json": {"schema": ANY_OBJECT},
                                                              "text/csv": {"schema": STRING}}},
             **refusals(404, 422)},
            roles=STATS, tag="stats",
            params=[FIGURE, *STATS_FILTERS, *FIGURE_PARAMS, param("format", schema={"enum": ["json", "csv"]})])},
        "/api/stats/{figure}.csv": {"get": operation(
            "A figure as a CSV file (audited).", {"200": CSV, **refusals(404, 422)}, roles=STATS,
            tag="stats", params=[FIGURE, *STATS_FILTERS, *FIGURE_PARAMS])},
        "/api/stats/charts/{chart}.svg": {"get": operation(
            "A chart of a figure.", {"200": SVG, **refusals(404, 422)}, roles=STATS, tag="stats",
            params=[param("chart", "path", {"enum": ["series", "wards", "histogram"]}), *STATS_FILTERS,
                    param("kind", schema={"enum": ["line", "area"]}, description="series only"),
                    param("measure", schema={"enum": ["count", "share_60s", "dispatch_median"]},
                          description="wards only"),
                    *[p for p in FIGURE_PARAMS if p["name"] in ("bucket", "stage", "bins", "bin_s", "top")]])},
        # -- push ---------------------------------------------------------------------------------
        "/api/push/key": {"get": operation("The VAPID public key (applicationServerKey).", {
            "200": json_answer("base64url.", obj(("public_key",), public_key=STRING))},
            roles=None, tag="push")},
        "/api/push/subscriptions": {
            "get": operation("The caller's push subscriptions.", {"200": json_answer(
                "Subscriptions.", obj(("subscriptions",), subscriptions=array(obj(
                    ("id", "endpoint"), id=INTEGER, endpoint=STRING))))}, citizen=True, tag="push"),
            "post": operation(
                "A browser PushSubscription (201 new, 200 known). From a service worker with no "
                "credential, `replaces` proves the subscription it rotated away from. An endpoint "
                "another owner holds moves only with the keys stored for it (409 otherwise).",
                {"200": json_answer("Known.", obj(("id", "endpoint"), id=INTEGER, endpoint=STRING)),
                 "201": json_answer("Stored.", obj(("id", "endpoint"), id=INTEGER, endpoint=STRING)),
                 **refusals(409)},
                citizen=True, tag="push", body=PUSH_SUBSCRIPTION),
            "delete": operation("Remove the caller's subscription for an endpoint.",
                                {"204": empty("Removed."), **refusals(404)}, citizen=True, tag="push",
                                body=obj(("endpoint",), endpoint=STRING)),
        },
        **position_paths(),
        **warning_paths(),
        **signin_paths(),
        **channel_paths(),
        **evidence_paths(),
        **lite_paths(),
        **geojson_path(STATS_FILTERS),
        **_media_paths(),
        **_sync_paths(),
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SOS ANTT",
            "version": "1",
            "description": (
                "Emergency incident reporting and dispatch. Everything a client writes travels "
                "as a CRDT document over /sync (docs/sync.md); this API is the rest: sign-in, "
                "directory, statistics, audit, push, media (tus 1.0). Every refusal is JSON "
                "`{error, message}` (components.schemas.Error); no input is a 500."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": components(),
    }


_cached: bytes | None = None


async def openapi_json(request: Request) -> Response:
    global _cached
    if _cached is None:
        _cached = JSONResponse(document()).body
    return Response(_cached, media_type="application/json", headers={"Cache-Control": "no-cache"})
