"""Photos and videos over HTTP: tus uploads under `/media/uploads/`, and the media themselves.

Who may do what is decided here (with `app.access`); the `media` library does the rest.

- `OPTIONS /media/uploads/`: tus discovery (no sign-in needed).
- `POST /media/uploads/`: tus creation. `Upload-Metadata` names `report` and `filename`, and may
  add `filetype` (a hint that picks the size limit), `kind` (`original` or `preview`),
  `preview_of` (the original's media id) and `sha256` (the phone's hash at capture: a file that differs is kept, marked `capture: "mismatch"`).
  Only the device that made the report, or police with access to its incident, may upload.
- `HEAD|PATCH|DELETE /media/uploads/<id>`: tus core and termination, for the uploader only.
  A PATCH (or a creation POST with a body) may carry `Upload-Checksum: sha256 <base64>`
  (tus checksum): a body that differs is answered 460 and nothing of it is stored.
  `POST` with `X-HTTP-Method-Override` works too (for proxies that drop PATCH).
- `GET /media/<id>`: state and facts as JSON; `GET /media/<id>/<variant>` with variant thumb,
  display, poster, video (Range requests work) or original (audited, as an attachment).
- `GET /api/reports/<id>/media`: a report's media with their states.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    MalformedRangeHeader,
    RangeNotSatisfiable,
    Response,
)

from app.errors import ApiError
from app.identity import access, audit
from app.identity.auth import Principal, require_principal
from app.services import services
from media import MediaError, Record, tus
from media.uploads import MEDIA_ID, REPORT_ID

Endpoint = Callable[[Request], Awaitable[Response]]
RANGE = re.compile(r"bytes=[0-9]{0,15}-[0-9]{0,15}( *, *[0-9]{0,15}-[0-9]{0,15}){0,15}", re.ASCII)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Uploaded bytes must never run as a page of this site, whatever they turn out to be.
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


class MediaFileResponse(FileResponse):
    """A file whose Range refusals are the app's JSON errors: Starlette answers them itself, in
    plain text (a 416 past the end, a 400 for an end before its start). Raised while the answer
    is being sent, before any byte of it, they reach the app's error handler like any other."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader as exc:
            raise ApiError(400, "bad_range", f"Range cannot be read: {exc.content or 'malformed'}.",
                           field="Range") from exc
        except RangeNotSatisfiable as exc:
            raise ApiError(416, "range_not_satisfiable",
                           f"Range starts past the end of the file ({exc.max_size} bytes).",
                           headers={"Content-Range": f"bytes */{exc.max_size}"}, field="Range") from exc


def _tus_errors(endpoint: Endpoint) -> Endpoint:
    """MediaError -> the app's JSON error; tus answers always carry Tus-Resumable."""

    @wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except MediaError as exc:
            headers = {**tus.base_headers(), **exc.headers}
            raise ApiError(exc.status, exc.code, exc.message, headers=headers) from exc
        except ApiError as exc:
            exc.headers = {**tus.base_headers(), **(exc.headers or {})}
            raise

    return wrapper


def _uploader(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"


def _media_id(request: Request) -> str:
    media_id = str(request.path_params["media_id"])
    if not MEDIA_ID.match(media_id):
        raise ApiError(404, "not_found", "There is no such media.")
    return media_id


# -- tus ---------------------------------------------------------------------------------------
async def tus_options(request: Request) -> Response:
    config = services(request).media.config
    return Response(status_code=204, headers=tus.options_headers(config.max_upload_bytes))


@_tus_errors
async def create_upload(request: Request) -> Response:
    principal = require_principal(request, citizen=True)
    tus.check_version(request.headers.get("tus-resumable"))
    if "upload-defer-length" in request.headers:
        raise ApiError(400, "defer_length", "Send Upload-Length; deferred lengths are not supported.")
    length = tus.parse_length(request.headers.get("upload-length"))
    meta = tus.parse_metadata(request.headers.get("upload-metadata"))
    checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
    svc = services(request)
    report_id = meta.get("report", "")
    if not REPORT_ID.match(report_id):
        raise ApiError(400, "bad_metadata", "Upload-Metadata must name the report (key report).")
    refusal = await svc.db.read(lambda c: access.media_upload_refusal(c, principal, report_id))
    if refusal == "no_report":
        # 409, which tus clients retry: a report made offline may still be on its way.
        raise ApiError(409, "report_not_sent", "Send the report first; its photos and videos follow it.")
    if refusal is not None:
        raise ApiError(403, "forbidden", "You may not add photos or videos to this report.")
    record = await svc.media.uploads.create(_uploader(principal), report_id, length, meta)
    await audit.record(
        svc.db, principal, "media.upload", f"report/{report_id}",
        media=record.id, role=record.role, length=length,
    )
    headers = {"Location": f"/media/uploads/{record.id}"}
    if _content_type(request) == tus.OFFSET_CONTENT_TYPE:
        # creation-with-upload: the first bytes ride along (one round trip less on 3G, which
        # is most of a small preview's time on the wire).
        try:
            headers.update(await _append(request, principal, record, 0, checksum))
        except MediaError as exc:  # e.g. 460: the upload exists, its first bytes were not kept
            exc.headers = {**exc.headers, **headers}
            raise
    else:
        headers.update(tus.base_headers())
        headers.update(tus.expires_header(record.created_at + svc.media.config.upload_expiry_s))
    return Response(status_code=201, headers=headers)


@_tus_errors
async def upload_resource(request: Request) -> Response:
    method = request.method
    if method == "POST":
        method = request.headers.get("x-http-method-override", "").upper()
    if method == "OPTIONS":
        return await tus_options(request)
    principal = require_principal(request, citizen=True)
    tus.check_version(request.headers.get("tus-resumable"))
    media_id = _media_id(request)
    if method == "HEAD":
        return await _head(request, principal, media_id)
    if method == "PATCH":
        return await _patch(request, principal, media_id)
    if method == "DELETE":
        await services(request).media.uploads.terminate(_uploader(principal), media_id)
        return Response(status_code=204, headers=tus.base_headers())
    raise ApiError(405, "method_not_allowed", "Use HEAD, PATCH or DELETE on an upload.")


async def _head(request: Request, principal: Principal, media_id: str) -> Response:
    media = services(request).media
    received, record = await media.uploads.offset(_uploader(principal), media_id)
    headers = {
        **tus.base_headers(),
        "Upload-Offset": str(received),
        "Upload-Length": str(record.length),
        "Cache-Control": "no-store",
    }
    if record.state == "uploading":
        headers.update(tus.expires_header(record.created_at + media.config.upload_expiry_s))
    return Response(status_code=200, headers=headers)


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _patch(request: Request, principal: Principal, media_id: str) -> Response:
    if _content_type(request) != tus.OFFSET_CONTENT_TYPE:
        raise ApiError(415, "unsupported_media_type", f"Send the bytes as {tus.OFFSET_CONTENT_TYPE}.")
    offset = tus.parse_length(request.headers.get("upload-offset"), "Upload-Offset")
    checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
    before = await services(request).media.uploads.record(_uploader(principal), media_id)
    headers = await _append(request, principal, before, offset, checksum)
    return Response(status_code=204, headers=headers)


async def _append(
    request: Request, principal: Principal, before: Record, offset: int, checksum: bytes | None
) -> dict[str, str]:
    """Write the body at `offset` (checked against `checksum`, the Upload-Checksum digest, if
    sent); the tus headers to answer with. A file refused once complete is a 422 with the
    reason; the upload's completion or refusal goes in the audit log."""
    svc, media_id = services(request), before.id
    received, record = await svc.media.uploads.append(
        _uploader(principal), media_id, offset, _body(request), checksum
    )
    headers = {**tus.base_headers(), "Upload-Offset": str(received)}
    if before.state == "uploading" and record.state != "uploading":
        if record.state == "failed":
            await audit.record(
                svc.db, principal, "media.refused", f"report/{record.report_id}",
                media=media_id, reason=record.reason,
            )
            raise ApiError(422, "media_refused", record.reason or "This file was refused.", headers=headers)
        await audit.record(
            svc.db, principal, "media.received", f"report/{record.report_id}",
            media=media_id, sha256=record.sha256, type=record.media_type, length=record.length,
            capture=record.capture,
        )
    elif record.state == "uploading":
        headers.update(tus.expires_header(record.created_at + svc.media.config.upload_expiry_s))
    return headers


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a dropped connection simply ends it (what came is kept)."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        return


# -- reading -----------------------------------------------------------------------------------
async def _readable(request: Request) -> tuple[Principal, Record]:
    principal = require_principal(request, citizen=True)
    svc = services(request)
    record = await svc.media.get(_media_id(request))
    if record is None:
        raise ApiError(404, "not_found", "There is no such media.")
    allowed = await access.check(
        svc.db, access.may_read_media, principal, record.report_id, record.uploader
    )
    if not allowed:
        raise ApiError(403, "forbidden", "You may not see the photos and videos of this report.")
    return principal, record


async def metadata(request: Request) -> Response:
    _, record = await _readable(request)
    body = services(request).media.describe(record)
    return JSONResponse(body, headers={"Cache-Control": "private, no-cache", **SECURITY_HEADERS})


async def media_file(request: Request) -> Response:
    principal, record = await _readable(request)
    svc, variant = services(request), str(request.path_params["variant"])
    try:
        path, content_type = svc.media.file(record, variant)
    except MediaError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    byte_range = request.headers.get("range")
    if byte_range is not None and not RANGE.fullmatch(byte_range):
        # Starlette would answer a plain-text 400 (and read other scripts' digits with int()).
        raise ApiError(400, "bad_range", "Range must be bytes=start-end[, ...] in digits 0-9.",
                       field="Range")
    headers = {**SECURITY_HEADERS, "Cache-Control": "private, max-age=86400"}
    if variant == "original":
        # Evidence: every fetch is in the audit log (each Range request too), and none is cached.
        headers["Cache-Control"] = "private, no-store"
        headers["Content-Disposition"] = _attachment(record)
        await audit.record(
            svc.db, principal, "media.original.download", f"report/{record.report_id}",
            media=record.id, sha256=record.sha256, range=byte_range,
        )
    return MediaFileResponse(path, media_type=content_type or "application/octet-stream", headers=headers)


def _attachment(record: Record) -> str:
    extension = (record.filename.rsplit(".", 1)[-1] if "." in record.filename else "")[:8]
    fallback = f"sos-{record.report_id[:8]}-{record.id[:8]}" + (f".{extension}" if extension.isalnum() else "")
    quoted = urllib.parse.quote(record.filename or fallback, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


async def report_media(request: Request) -> Response:
    principal = require_principal(request, citizen=True)
    svc = services(request)
    report_id = str(request.path_params["report_id"])
    if not REPORT_ID.match(report_id) or not await access.check(
        svc.db, access.may_read_media, principal, report_id
    ):
        raise ApiError(403, "forbidden", "You may not see the photos and videos of this report.")
    items: list[Any] = await svc.media.of_report(report_id)
    if principal.is_citizen:
        items = [r for r in items if r.uploader == _uploader(principal)]
    body = {"report": report_id, "media": [svc.media.describe(r) for r in items]}
    return JSONResponse(body, headers={"Cache-Control": "private, no-cache"})
