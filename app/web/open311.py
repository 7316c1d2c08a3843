"""Open311 GeoReport v2 for partner systems (other city portals): `/open311/v2/...`, JSON.

- `GET services.json` → the four categories as services, Vietnamese and English names (no key:
  it says nothing about any report).
- `POST requests.json` (form-encoded as the spec says, or JSON) with `api_key`, `service_code`,
  `lat`, `long`, `description`, optional `address_string`, `phone`, `first_name`, `last_name`,
  `media_url` → 201 `[{service_request_id, service_notice}]`. The report takes the app's own path
  (app/incidents/intake.py) with channel `partner:<name>`. Without lat and long, an
  `address_string` naming a ward (old or new name, app/directory/search.py) places the report
  at that ward, flagged approximate.
- `GET requests/<id>.json?api_key=` → `[{service_request_id, status (open/closed), status_notes,
  service_code, requested_datetime, updated_datetime, lat, long}]`: the status only, never what
  anyone wrote, and only to the partner that sent it (any other request is a 404, as if absent).
- `GET requests.json?api_key=` → the same for the partner's own requests, newest first
  (`status`, `service_code`, `start_date`, `end_date` narrow it; at most 1,000).

Refusals are the spec's `[{code, description}]` with the HTTP status as code: 401 without a key,
403 for an unknown or revoked key, 400 for bad input, 404, 429 over the key's rate. Every call
with a key, and every refused key, is in the audit log. See docs/channels.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.directory import search
from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal
from app.incidents import intake
from app.services import Services, services
from app.stats.labels import CATEGORY, STATUS
from app.stats.query import local_iso
from app.web.bodies import read_bounded
from sync import Refused

MAX_BODY = 64 * 1024
MAX_LIST = 1000
FIELD_LIMIT = 2000
BAD_KEYS_PER_IP_PER_MINUTE = 30
# Open311's "closed": nothing more will be done. A resolved incident counts (the police are done
# on the scene), although it stays open in the queue until a dispatcher closes it.
CLOSED = ("resolved", "closed", "rejected", "merged")
Handler = Callable[[Request], Awaitable[Response]]


class Open311Error(Exception):
    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.headers = status, description, headers


def _answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def open311(handler: Handler) -> Handler:
    """Every refusal of these endpoints in the spec's error form."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Open311Error as exc:
            return _answer([{"code": exc.status, "description": exc.description}], exc.status, exc.headers)
        except ApiError as exc:
            # The spec knows no 422: input it cannot take is a 400 there.
            status = 400 if exc.status_code == 422 else exc.status_code
            return _answer([{"code": status, "description": exc.detail}], status, exc.headers)

    return run


async def _params(request: Request) -> dict[str, str]:
    """Query parameters, and for a POST the form or JSON body on top; read as `app.inputs` reads
    any input (size counted as it arrives, JSON depth and NUL checked before use). A refusal
    here is an `ApiError`, which `open311` answers in the spec's form."""
    params = dict(request.query_params)
    if request.method != "POST":
        return params
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_bounded(request, MAX_BODY)
    if kind == "application/json":
        data = inputs.parse_json_object(body, MAX_BODY)
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items() if v is not None})
    elif kind == "application/x-www-form-urlencoded":
        # Parsed here: Starlette's form parser needs python-multipart, for no gain on a flat form.
        try:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50,
                                    errors="strict"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Open311Error(400, "The form is not valid UTF-8 form encoding (at most 50 fields).") from exc
    elif body:
        raise Open311Error(400, "Send the fields form-encoded (application/x-www-form-urlencoded).")
    # PostgreSQL's text cannot hold a NUL (the query string's are refused before routing).
    for name, value in params.items():
        if "\x00" in name or "\x00" in value:
            raise Open311Error(400, f"{name[:40]!r} holds a NUL character, which no text may.")
    return params


async def _partner(request: Request, params: dict[str, str]) -> tuple[Services, Principal]:
    svc = services(request)
    key = params.get("api_key", "")
    if len(key) > 200:  # no key is this long: not worth a hash, nor an audit entry
        raise Open311Error(403, "This api_key is not valid (unknown or revoked).")
    ip = request.client.host if request.client else "-"
    if not key:
        raise Open311Error(401, "An api_key is required; ask the command center for one.")
    partner = await svc.partners.authenticate(key)
    if partner is None:
        # Limited before it is audited: someone trying keys in a loop fills no audit log.
        svc.limiter.check(("open311-bad-key", ip), BAD_KEYS_PER_IP_PER_MINUTE, 60, "calls with a wrong key")
        await audit.record(svc.db, None, "open311.refused", request.url.path, reason="unknown or revoked api_key")
        raise Open311Error(403, "This api_key is not valid (unknown or revoked).")
    svc.limiter.check(("open311", partner.id), svc.settings.partner_calls_per_minute, 60, "calls with this key")
    return svc, partner


def _field(params: dict[str, str], name: str, limit: int = FIELD_LIMIT) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name} is over {limit} characters.")
    return value


def _coordinate(params: dict[str, str], name: str, bound: float) -> float:
    raw = params.get(name)
    if not raw:
        raise Open311Error(400, "lat and long are required (WGS84 degrees), or address_string alone naming a ward.")
    # ASCII digits only: float() reads other scripts' digits, '1_0', 'nan' and 'infinity'.
    return inputs.decimal_value(raw, name, -bound, bound)


@open311
async def service_list(request: Request) -> Response:
    locale = "en" if (request.query_params.get("locale") or "").lower().startswith("en") else "vi"
    return _answer(
        [
            {
                "service_code": code,
                "service_name": CATEGORY[locale][code],
                "description": f"{CATEGORY['vi'][code]} / {CATEGORY['en'][code]}",
                "names": {"vi": CATEGORY["vi"][code], "en": CATEGORY["en"][code]},
                "metadata": False,
                "type": "realtime",
                "keywords": code,
                "group": "police",
            }
            for code in CATEGORY["vi"]
        ]
    )


@open311
async def create_request(request: Request) -> Response:
    params = await _params(request)
    svc, partner = await _partner(request, params)
    code = params.get("service_code", "")
    if code not in CATEGORY["vi"]:
        raise Open311Error(400, f"service_code must be one of {', '.join(CATEGORY['vi'])} (see services.json).")
    address = _field(params, "address_string", 400)
    approximate = False
    if address and not params.get("lat") and not params.get("long"):
        # issue 30: an address without coordinates is placed at the ward it names (its old or new
        # name), and flagged approximate like a ward picked by a dispatcher.
        found = search.search(address, svc.directory.ward_point)
        if not found:
            raise Open311Error(400, "address_string names no ward or commune of Ho Chi Minh City; give lat and long.")
        lat, lon, approximate = found[0].lat, found[0].lon, True
    else:
        lat, lon = _coordinate(params, "lat", 90), _coordinate(params, "long", 180)
    text = _field(params, "description", 3000)
    if not text:
        raise Open311Error(400, "description is required.")
    # Kept with what the partner's citizen wrote, for the police to read: never fetched (a URL
    # the server fetched on a partner's word would let it probe the city's network).
    for label, name in (("Địa chỉ", "address_string"), ("Ảnh/video", "media_url")):
        if value := _field(params, name, 400):
            text += f"\n{label}: {value}"
    name = " ".join(filter(None, (_field(params, "first_name", 50), _field(params, "last_name", 50))))
    report = intake.Intake(
        channel=f"partner:{partner.username}",
        author=str(partner.username),
        actor=partner,
        category=code,
        description=text,
        lat=lat,
        lon=lon,
        approximate=approximate,
        contact_name=name or None,
        contact_phone=_field(params, "phone", 30) or None,
    )
    try:
        report_id = await intake.submit(svc, report)
    except intake.Rejected as exc:
        raise Open311Error(400, str(exc)) from exc
    except Refused as exc:
        raise Open311Error(exc.status if exc.status != 422 else 400, str(exc)) from exc
    notice = "Đã chuyển đến Trung tâm chỉ huy và công an phường. / Sent to the command center and the ward police."
    return _answer([{"service_request_id": report_id, "service_notice": notice, "account_id": None}], 201)


def _status(row: Any) -> dict[str, Any]:
    status = row["status"]
    if status == "rejected":
        notes = f"Rejected: {row['rejected_reason'] or 'other'}"
    elif status == "merged":
        notes = "Merged with another report of the same event"
    else:
        notes = STATUS["en"].get(status, status)
    return {
        "service_request_id": row["id"],
        "status": "closed" if status in CLOSED else "open",
        "status_notes": notes,
        "service_code": row["category"],
        "service_name": CATEGORY["vi"].get(row["category"]),
        "requested_datetime": local_iso(row["arrived_at"]),
        "updated_datetime": local_iso(row["updated_at"]),
        "lat": row["lat"],
        "long": row["lon"],
    }


COLUMNS = "id, status, category, rejected_reason, arrived_at, updated_at, lat, lon"


@open311
async def get_request(request: Request) -> Response:
    params = await _params(request)
    svc, partner = await _partner(request, params)
    request_id = str(request.path_params["request_id"])
    channel = f"partner:{partner.username}"
    row = await svc.db.read(
        lambda c: c.execute(
            f"SELECT {COLUMNS} FROM incidents WHERE id = ? AND channel = ?", (request_id, channel)
        ).fetchone()
    )
    await audit.record(svc.db, partner, "open311.read", f"incident/{request_id}", found=row is not None)
    if row is None:
        raise Open311Error(404, f"No request {request_id} from this partner.")
    return _answer([_status(row)])


def _date(params: dict[str, str], name: str, city: ZoneInfo) -> float | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time; got {raw!r}.") from exc
    if moment.tzinfo is None:  # a date without an offset is the city's wall clock
        moment = moment.replace(tzinfo=city)
    return moment.timestamp()


@open311
async def list_requests(request: Request) -> Response:
    params = await _params(request)
    svc, partner = await _partner(request, params)
    sql = f"SELECT {COLUMNS} FROM incidents WHERE channel = ?"
    args: list[Any] = [f"partner:{partner.username}"]
    if code := params.get("service_code"):
        sql += " AND category = ?"
        args.append(code)
    for name, op in (("start_date", ">="), ("end_date", "<")):
        if (moment := _date(params, name, ZoneInfo(svc.settings.city_timezone))) is not None:
            sql += f" AND arrived_at {op} ?"
            args.append(moment)
    wanted = params.get("status")
    if wanted not in (None, "", "open", "closed"):
        raise Open311Error(400, "status must be open or closed.")
    if wanted:
        marks = ",".join("?" * len(CLOSED))
        sql += f" AND status {'IN' if wanted == 'closed' else 'NOT IN'} ({marks})"
        args.extend(CLOSED)
    sql += " ORDER BY arrived_at DESC LIMIT ?"
    args.append(MAX_LIST)
    rows = await svc.db.read(lambda c: c.execute(sql, args).fetchall())
    found = [_status(row) for row in rows]
    await audit.record(svc.db, partner, "open311.list", f"partner/{partner.username}", count=len(found))
    return _answer(found)
