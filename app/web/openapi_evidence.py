"""The OpenAPI entries of issue 27's evidence endpoints (docs/evidence.md): the signed case bundle
and the public key that checks it. Apart from `app/web/openapi.py` for size only."""

from __future__ import annotations

from typing import Any

from app.web.openapi_parts import file_answer, operation, param, refusals


def evidence_paths() -> dict[str, Any]:
    key_answer = file_answer("The public key, PEM (SubjectPublicKeyInfo).", "application/x-pem-file")
    key_answer["headers"] = {"X-Evidence-Key-Id": {
        "description": "The key's id: the first 16 hex digits of the SHA-256 of the raw public key.",
        "schema": {"type": "string"}}}
    return {
        "/api/evidence/key": {"get": operation(
            "The deployment's Ed25519 evidence key, to check a case bundle's manifest.sig with.",
            {"200": key_answer}, roles=None, tag="evidence")},
        "/api/incidents/{incident_id}/evidence.zip": {"get": operation(
            "The incident's signed case bundle: originals, derivatives, report, timeline, custody "
            "record, manifest.json and manifest.sig. Audited (evidence.export).",
            {"200": file_answer("A zip (an attachment).", "application/zip",
                                {"type": "string", "contentMediaType": "application/zip"}),
             **refusals(404)},
            roles=("supervisor", "admin"), tag="evidence", params=[param("incident_id", "path")])},
    }
