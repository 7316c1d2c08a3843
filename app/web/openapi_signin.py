"""The OpenAPI entries of police sign-in and the second factor (issue 25; docs/security.md).
Kept apart from `app/web/openapi.py` for size only: the same document, the same building blocks."""

from __future__ import annotations

from typing import Any

from app.web.openapi_parts import (
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    STRING,
    Schema,
    array,
    empty,
    json_answer,
    nullable,
    obj,
    operation,
    param,
    refusals,
)

# Written out: `obj()` takes `required` as its own argument, and this object has a property so named.
SECOND_FACTOR: Schema = {"type": "object", "required": ["totp", "passkeys", "required"], "properties": {
    "totp": BOOLEAN, "passkeys": INTEGER, "recovery_codes_left": INTEGER, "required": BOOLEAN,
    "enrol_by": nullable(INTEGER)}}
# The signed-in police user (GET /api/auth/me, and a sign-in's answer).
SIGNED_IN_USER = obj(
    ("id", "username", "role", "unit", "scope"), id=INTEGER, username=STRING, role=STRING,
    unit=nullable(STRING), display_name=nullable(STRING), must_change_password=BOOLEAN,
    second_factor=SECOND_FACTOR, scope=nullable({"enum": ["password", "enrol"]}),
)
SIGNED_IN = json_answer("Signed in: a token, also set as the HttpOnly session cookie.",
                        obj(("token", "user"), token=STRING, user=SIGNED_IN_USER))
CHALLENGE = obj(("second_factor", "challenge"),
                second_factor=array({"enum": ["passkey", "totp", "recovery"]}), challenge=STRING,
                webauthn={**ANY_OBJECT, "description": "PublicKeyCredentialRequestOptions (JSON)"})
CODES = obj(("recovery_codes",), recovery_codes=array(STRING))
ENROLMENT = "Who: police; a session opened only to enrol may call it too."


def _enrol(summary: str, answers: dict[str, Schema], **kw: Any) -> Schema:
    op = operation(summary, answers, tag="auth", **kw)
    op["responses"].update(refusals(409))
    return op


def signin_paths() -> dict[str, Any]:
    return {
        "/api/auth/login": {"post": operation(
            "Police sign-in, step one: the password. JSON only, and from this site when the "
            "browser says where it comes from (Origin, Referer).",
            {"200": json_answer(
                "Signed in (token, user, cookie), or, for an account with a second factor, the "
                "challenge for step two (no token, no cookie).",
                {"oneOf": [obj(("token", "user"), token=STRING, user=SIGNED_IN_USER), CHALLENGE]}),
             **refusals(401, 403, 415, 429)},
            roles=None, tag="auth",
            body=obj(("username", "password"), username={"type": "string", "minLength": 1},
                     password=STRING))},
        "/api/auth/second-factor": {"post": operation(
            "Police sign-in, step two: a one-time code, a recovery code, or a passkey's answer.",
            {"200": SIGNED_IN, **refusals(401, 403, 415, 429)}, roles=None, tag="auth",
            body=obj(("challenge",), challenge={"type": "string", "minLength": 1},
                     code={"type": "string", "minLength": 1},
                     passkey={**ANY_OBJECT, "description": "navigator.credentials.get()'s JSON"}))},
        "/api/auth/totp": {
            "post": _enrol("Begin setting up an authenticator app: the secret, its otpauth URI "
                           "and a QR code (SVG).",
                           {"200": json_answer("Pending until confirmed.", obj(
                               ("secret", "uri", "qr_svg"), secret=STRING, uri=STRING, qr_svg=STRING))}),
            "delete": operation("Remove the authenticator app (a full session only).",
                                {"204": empty("Removed.")}, tag="auth"),
        },
        "/api/auth/totp/confirm": {"post": _enrol(
            "Confirm the authenticator app with a code from it.",
            {"200": json_answer("Confirmed; the first recovery codes, shown once.", CODES),
             "204": empty("Confirmed.")},
            body=obj(("code",), code=STRING))},
        "/api/auth/webauthn/register/options": {"post": _enrol(
            "Options for navigator.credentials.create() (a new passkey).",
            {"200": json_answer("PublicKeyCredentialCreationOptions (JSON).", ANY_OBJECT)})},
        "/api/auth/webauthn/register": {"post": _enrol(
            "Register the passkey the browser made.",
            {"201": json_answer("Registered (and the first recovery codes, shown once).",
                                obj(("id", "name"), id=STRING, name=STRING,
                                    recovery_codes=array(STRING)))},
            body=obj(("credential",), credential=ANY_OBJECT,
                     name={"type": "string", "minLength": 1, "maxLength": 64}))},
        "/api/auth/webauthn/credentials": {"get": operation(
            "My passkeys.", {"200": json_answer("Passkeys.", obj(("credentials",), credentials=array(
                obj(("id", "name", "created_at", "last_used_at"), id=STRING, name=STRING,
                    created_at=INTEGER, last_used_at=nullable(INTEGER)))))}, tag="auth")},
        "/api/auth/webauthn/credentials/{credential_id}": {"delete": operation(
            "Remove one of my passkeys (a full session only).",
            {"204": empty("Removed."), **refusals(404)}, tag="auth",
            params=[param("credential_id", "path", {"type": "string", "minLength": 1})])},
        "/api/auth/recovery-codes": {"post": _enrol(
            "New recovery codes; the old ones stop working.",
            {"200": json_answer("Ten codes, shown once.", CODES)})},
    }
