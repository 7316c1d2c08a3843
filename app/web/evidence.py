"""The case bundle over HTTP, and the public key that checks it (docs/evidence.md).

- `GET /api/evidence/key` → the deployment's Ed25519 public key (PEM), header `X-Evidence-Key-Id`.
  Public: whoever holds a bundle must be able to fetch the key to compare it with.
- `GET /api/incidents/<id>/evidence.zip` → the signed bundle (app/evidence/bundle.py), for
  supervisors and admins with access to the incident; audited as `evidence.export` before the
  custody record is read, so the bundle lists its own export.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import IO, Any

from anyio import to_thread
from pycrdt import Map
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.errors import ApiError
from app.evidence import bundle
from app.evidence.keys import EvidenceKey
from app.identity import access, audit
from app.identity.auth import require_principal
from app.services import services
from app.web.incidents import INCIDENT_ID

EXPORTERS = ("supervisor", "admin")
BLOCK = 1024 * 1024


async def public_key(request: Request) -> Response:
    key = await to_thread.run_sync(EvidenceKey.for_settings, services(request).settings)
    return Response(
        key.public_pem(), media_type="application/x-pem-file",
        headers={"X-Evidence-Key-Id": key.key_id, "Cache-Control": "no-cache"},
    )


async def evidence_zip(request: Request) -> Response:
    principal = require_principal(request, *EXPORTERS)
    if request.method == "HEAD":  # an export is audited and builds the whole bundle: GET only
        raise ApiError(405, "method_not_allowed", "Fetch the bundle with GET; HEAD is not offered.",
                       headers={"Allow": "GET"})
    incident_id = str(request.path_params["incident_id"])
    if not INCIDENT_ID.match(incident_id):
        raise ApiError(404, "not_found", "There is no such incident.")
    svc = services(request)
    if not await access.check(svc.db, access.police_may_see, principal, incident_id):
        if not await access.check(svc.db, access.incident_exists, incident_id):
            raise ApiError(404, "not_found", "There is no such incident.")
        raise ApiError(403, "forbidden", "Your unit has no access to this incident.")
    bundle_id = secrets.token_urlsafe(12)
    # Before the custody record is read: the bundle carries the entry of its own export.
    await audit.record(svc.db, principal, "evidence.export", f"incident/{incident_id}", bundle=bundle_id)
    case = await svc.db.read(lambda conn: bundle.collect(conn, incident_id))
    if case is None:
        raise ApiError(404, "not_found", "There is no such incident.")
    for report in case.reports:
        # The citizen's later details and the police's messages to them live only in the
        # documents (the rows count them): what the console shows, so evidence too.
        report["messages"] = await _messages(request, f"report/{report['id']}", "report")
        report["police_messages"] = await _messages(request, f"reply/{report['id']}", "reply")
    key = await to_thread.run_sync(EvidenceKey.for_settings, svc.settings)
    created_by = {"kind": principal.kind, "id": principal.id, "username": principal.username,
                  "role": principal.role, "unit": principal.unit}
    try:
        fh = await to_thread.run_sync(
            lambda: bundle.build(case, svc.media.store, key, created_by, bundle_id, time.time(),
                                 tmp_dir=svc.settings.data_dir)
        )
    except OSError as exc:  # a full disk, a media file gone mid-way: say so, never a bare 500
        raise ApiError(503, "bundle_failed", f"The bundle could not be built ({exc.strerror or exc}); "
                       "try again.") from exc
    size = fh.seek(0, 2)
    fh.seek(0)
    return StreamingResponse(
        _blocks(fh), media_type="application/zip",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="sos-evidence-{incident_id}.zip"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Evidence-Key-Id": key.key_id,
        },
    )


async def _messages(request: Request, name: str, root: str) -> list[Any]:
    found = await services(request).sync.read_json(name, {root: Map})
    messages = (found or {}).get(root, {}).get("messages")
    return list(messages) if isinstance(messages, list) else []


def _blocks(fh: IO[bytes]) -> Iterator[bytes]:
    """The temporary file in blocks (Starlette runs a plain iterator in its thread pool); closing
    it deletes it, also when the download is cut short."""
    try:
        while block := fh.read(BLOCK):
            yield block
    finally:
        fh.close()
