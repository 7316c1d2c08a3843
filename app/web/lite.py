"""The citizen's script-less first paint (issue 23, DESIGN.md "First paint without JavaScript").

- `GET /`: the citizen app's shell, whose HTML already holds the emergency numbers and a plain
  report form (pwa/tools/build/lite.mjs), with a fresh random form id filled in. Never cached
  (`no-store`): two people must never post the same form id. Compressed here (gzip) rather than
  taken precompressed from the build, because every answer differs; about 2 KB.
- `POST /` (the form, `application/x-www-form-urlencoded`): `category`, `description`, optional
  `ward` (official code), `form_id` → 303 to `/lite/reports/{id}` with the phone's device in an
  HttpOnly cookie (`sos_device`, a citizen device token as `POST /api/citizen/devices` makes).
  The report takes the path of every channel (app/incidents/intake.py, channel `web-lite`),
  written as that device, so the device's report limits apply. Its id is derived from the form id:
  a double tap (or a resubmit after a lost answer) finds the report written and answers with it.
  Refusals answer the form again, with a Vietnamese message, a 4xx and what was typed.
- `GET /lite/reports/{id}`: the report's status in plain words, to the device that sent it only
  (any other → 404, as if absent).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity.auth import Principal
from app.incidents import intake
from app.incidents.documents import CATEGORIES, MAX_DESCRIPTION
from app.services import Services, services
from app.web.bodies import read_bounded
from app.web.lite_pages import LitePages, Typed
from app.web.pwa import PwaFiles, files_for
from sync import Refused

COOKIE = "sos_device"
COOKIE_MAX_AGE = 365 * 24 * 3600
# 4,000 Vietnamese characters percent-encoded are up to 36 KB.
MAX_BODY = 64 * 1024
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Report ids of form posts: uuid5(this, form id). Fixed forever: a resubmit must find its report.
NAMESPACE = uuid.UUID("5f1d3c1e-9a6b-4c55-8e0f-2b7d1c0a9e43")
NO_STORE = "no-store"


class Refusal(Exception):
    """A form that cannot become a report: shown again with `message`, status `status`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _files(request: Request) -> PwaFiles:
    settings = services(request).settings
    return files_for(settings.pwa_dist, settings.tile_url)


def _html(request: Request, page: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    files = _files(request)
    body = page.encode("utf-8")
    out = {**files.html_headers(request), "Cache-Control": NO_STORE, "Vary": "Accept-Encoding", **(headers or {})}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        body = gzip.compress(body, compresslevel=9, mtime=0)
        out["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, headers=out, media_type="text/html; charset=utf-8")


def _form(request: Request, typed: Typed, status: int = 200, notice: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    svc = services(request)
    page = _files(request).lite.form(svc.directory.mapped_wards(), typed, notice)
    return _html(request, page, status, headers)


async def form_page(request: Request) -> Response:
    return _form(request, Typed())


# -- posting -------------------------------------------------------------------------------------
async def report(request: Request) -> Response:
    typed = Typed()
    try:
        return await _report(request, typed)
    except Refusal as refused:
        return _form(request, typed, refused.status, refused.message, refused.headers)


async def _report(request: Request, typed: Typed) -> Response:
    svc = services(request)
    pages = _files(request).lite
    fields = await _fields(request, pages)
    # Browsers send a textarea's line breaks as CRLF; its maxlength counted them as one.
    typed.description = fields.get("description", "").replace("\r\n", "\n")
    typed.category = fields.get("category", "")
    typed.ward = fields.get("ward", "").strip()
    given_id = fields.get("form_id", "")
    if FORM_ID.match(given_id):
        typed.form_id = given_id
    if not _same_origin(request):  # after reading: the page shown keeps what was typed
        raise Refusal(403, pages.message("origin"))
    if typed.category not in CATEGORIES:
        typed.category = ""
        raise Refusal(422, pages.message("category"))
    if len(typed.description) > MAX_DESCRIPTION:
        raise Refusal(422, pages.message("description_long", count=len(typed.description), max=MAX_DESCRIPTION))
    place = _ward_place(svc, typed.ward)
    if typed.ward and place is None:
        raise Refusal(422, pages.message("ward"))
    report_id = str(uuid.uuid5(NAMESPACE, typed.form_id))
    owner = await _owner(svc, report_id)
    if owner is None:
        device = await _device(request, svc, pages)
        lat, lon, accuracy = place if place is not None else (None, None, None)
        entry = intake.Intake(
            channel="web-lite", author=None, actor=device, category=typed.category,
            description=typed.description, lat=lat, lon=lon, accuracy=accuracy,
            approximate=place is not None,
        )
        try:
            await intake.submit(svc, entry, report_id=report_id, writer=device)
        except intake.Rejected as exc:  # checked above; kept as a refusal, never a 500
            raise Refusal(422, str(exc)) from exc
        except Refused as exc:
            raise _refusal(pages, exc.status, exc.retry_after) from exc
        # Two taps at once: the first to write owns the report, and both answers name it.
        owner = await _owner(svc, report_id) or device.id
    response = RedirectResponse(f"/lite/reports/{report_id}", status_code=303,
                                headers={"Cache-Control": NO_STORE})
    _set_device_cookie(request, svc, response, owner)
    return response


def _same_origin(request: Request) -> bool:
    """form-action 'self' asks the browser; this asks the server: a post from another site is
    refused. Without an Origin header (old browsers, proxy browsers) the post is taken. Only the
    host is compared: behind a TLS proxy the scheme seen here may differ, the host cannot."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


async def _fields(request: Request, pages: LitePages) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = await read_bounded(request, MAX_BODY)
    except ApiError as exc:
        raise Refusal(413, pages.message("description_long", count=f"> {MAX_DESCRIPTION}", max=MAX_DESCRIPTION)) from exc
    if kind != "application/x-www-form-urlencoded":
        raise Refusal(415, pages.message("form"))
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(400, pages.message("form")) from exc
    # PostgreSQL's text cannot hold a NUL.
    if any("\x00" in name or "\x00" in value for name, value in pairs):
        raise Refusal(400, pages.message("form"))
    return dict(pairs)


def _ward_place(svc: Services, raw: str) -> tuple[float, float, float] | None:
    if not raw:
        return None
    try:
        code = inputs.whole_value(raw, "ward", 0, 10**9)
    except ApiError:
        return None
    return svc.directory.ward_point(code)


async def _owner(svc: Services, report_id: str) -> str | None:
    row = await svc.db.read(
        lambda c: c.execute("SELECT device_id FROM reports WHERE id = ?", (report_id,)).fetchone()
    )
    return None if row is None else str(row[0])


async def _device(request: Request, svc: Services, pages: LitePages) -> Principal:
    """This phone's device (from its cookie), or a new one, limited per address as
    `POST /api/citizen/devices` is."""
    ip = request.client.host if request.client else None
    known = await _cookie_device(request, svc)
    if known is not None:
        return Principal(kind="device", id=known, role="citizen", ip=ip)
    wait = svc.limiter.hit(("devices", ip or "-"), svc.settings.devices_per_ip_per_hour, 3600)
    if wait:
        raise _refusal(pages, 429, wait)
    device_id, _token = await svc.devices.create()
    return Principal(kind="device", id=device_id, role="citizen", ip=ip)


async def _cookie_device(request: Request, svc: Services) -> str | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    principal = await svc.authenticator.principal_for(token)
    return principal.id if principal is not None and principal.is_citizen else None


def _refusal(pages: LitePages, status: int, retry_after: Any) -> Refusal:
    if status == 429:
        seconds = max(1, int(float(retry_after or 60)))
        return Refusal(429, pages.message("rate_limited", minutes=max(1, -(-seconds // 60))),
                       {"Retry-After": str(seconds)})
    if 400 <= status < 500:
        return Refusal(status, pages.message("form"))
    return Refusal(503, pages.message("unavailable"))


def _set_device_cookie(request: Request, svc: Services, response: Response, device_id: str) -> None:
    mode = svc.settings.cookie_secure
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    response.set_cookie(COOKIE, svc.authenticator.tokens.device_token(device_id), max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="lax", secure=secure, path="/")


# -- the status page -----------------------------------------------------------------------------
async def status_page(request: Request) -> Response:
    svc = services(request)
    pages = _files(request).lite
    report_id = str(request.path_params["report_id"])
    device = await _cookie_device(request, svc)
    row = None
    if device is not None and len(report_id) <= 64:
        row = await svc.db.read(
            lambda c: c.execute(
                """SELECT i.id, i.status, i.category, i.rejected_reason, r.arrived_at
                   FROM reports r JOIN incidents i ON i.id = r.id WHERE r.id = ? AND r.device_id = ?""",
                (report_id, device),
            ).fetchone()
        )
    if row is None:
        return _html(request, pages.not_found(), 404)
    city = ZoneInfo(svc.settings.city_timezone)
    sent_at = dt.datetime.fromtimestamp(row["arrived_at"], city).strftime("%H:%M %d/%m/%Y")
    return _html(request, pages.status(dict(row), sent_at))
