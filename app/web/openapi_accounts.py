"""The OpenAPI entries of accounts and sessions (issue 25): a user's own sessions and password,
set-up links, and the admin's account lifecycle. Kept apart from `app/web/openapi.py` for size
only: the same document, the same building blocks."""

from __future__ import annotations

from typing import Any

from app.web.openapi_parts import (
    BOOLEAN,
    INTEGER,
    POLICE,
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

ADMIN = ("admin",)
MS = {"type": "integer", "description": "ms since the epoch"}
SESSION = obj(
    ("id", "device", "created_at", "last_seen_at", "current"),
    id={"type": "string", "description": "An opaque id of the session (not the token's)."},
    device={"type": "string", "description": "Browser and system, e.g. \"Chrome · Android\"."},
    user_agent=nullable(STRING), ip=nullable(STRING), created_at=MS, last_seen_at=MS,
    second_factor=nullable(STRING), current=BOOLEAN,
)
SESSIONS = obj(("sessions",), sessions=array(SESSION))
ENDED = obj(("ended",), ended=INTEGER)
ACCOUNT = obj(
    ("id", "username", "role", "active", "must_change_password", "second_factor", "sessions"),
    id=INTEGER, username=STRING, display_name=nullable(STRING), role={"enum": list(POLICE)},
    unit=nullable(STRING), phone=nullable(STRING), active=BOOLEAN, disabled_at=nullable(MS),
    must_change_password=BOOLEAN, second_factor=obj(totp=BOOLEAN, passkeys=INTEGER),
    sessions=INTEGER, created_at=MS,
)
USER_ID = param("user_id", "path", {"type": "integer", "minimum": 1})
NEW_PASSWORD = {"type": "string", "minLength": 10, "maxLength": 1024,
                "description": "At least 10 characters and a zxcvbn score of 3 or more."}
NO_STORE = {"Cache-Control": {"schema": STRING}}


def _admin_post(summary: str, answer: Schema, *codes: int) -> dict[str, Any]:
    return {"post": operation(summary, {"200": answer, **refusals(404, *codes)}, roles=ADMIN, tag="admin",
                              params=[USER_ID])}


def account_paths() -> dict[str, Any]:
    return {
        "/api/auth/sessions": {"get": operation(
            "My live sessions, this one marked `current`.",
            {"200": json_answer("Newest first.", SESSIONS, NO_STORE)}, tag="auth")},
        "/api/auth/sessions/{session_id}": {"delete": operation(
            "End one of my sessions: its token is refused and its live connections close.",
            {"204": empty("Ended."), **refusals(404)}, tag="auth",
            params=[param("session_id", "path")])},
        "/api/auth/sessions/end-others": {"post": operation(
            "End all my sessions but this one.", {"200": json_answer("How many.", ENDED)}, tag="auth")},
        "/api/auth/password": {"post": operation(
            "Change my password (forced after a reset, or by choice); my other sessions end and "
            "this one becomes a full session. 422 `weak_password` with zxcvbn's warning and suggestions.",
            {"204": empty("Changed."), **refusals(403)}, tag="auth",
            body=obj(("current_password", "new_password"), current_password=STRING,
                     new_password=NEW_PASSWORD))},
        "/api/auth/setup": {"post": operation(
            "Use an imported account's one-time set-up link: choose the password. 401 `setup_invalid` "
            "for a used, expired or unknown link.",
            {"204": empty("Set; sign in now."), **refusals(401, 429)}, roles=None, tag="auth",
            body=obj(("token", "new_password"), token={"type": "string", "minLength": 1, "maxLength": 200},
                     new_password=NEW_PASSWORD))},
        "/api/admin/users/import": {"post": operation(
            "Create accounts from a CSV file (username,display_name,role,unit,phone; header row; "
            "UTF-8), all or none: 422 `invalid_rows` names every bad row. Each account's one-time "
            "set-up link (7 days) is in this answer only.",
            {"201": json_answer("Created.", obj(
                ("created", "credentials"), created=INTEGER,
                credentials=array(obj(("username", "setup_url", "expires"), username=STRING,
                                      setup_url=STRING, expires=MS))), NO_STORE),
             **refusals(413, 415, 422)},
            roles=ADMIN, tag="admin", body=STRING, body_type="text/csv")},
        "/api/admin/users/{user_id}/disable": _admin_post(
            "Disable an account: refused at once, its sessions and live connections ended. "
            "409 `self` for your own.", json_answer("The account.", obj(("user",), user=ACCOUNT)), 409),
        "/api/admin/users/{user_id}/enable": _admin_post(
            "Enable a disabled account (its old sessions stay ended).",
            json_answer("The account.", obj(("user",), user=ACCOUNT))),
        "/api/admin/users/{user_id}/reset-password": _admin_post(
            "A one-time password, shown once; the account must change it at sign-in; its sessions end.",
            json_answer("The password.", obj(("password",), password=STRING), NO_STORE)),
        "/api/admin/users/{user_id}/second-factor/reset": _admin_post(
            "Remove an account's TOTP, passkeys and recovery codes (a lost device); its sessions end.",
            json_answer("The account.", obj(("user",), user=ACCOUNT))),
        "/api/admin/users/{user_id}/sessions": {"get": operation(
            "An account's live sessions.", {"200": json_answer("Newest first.", SESSIONS, NO_STORE),
                                             **refusals(404)},
            roles=ADMIN, tag="admin", params=[USER_ID])},
        "/api/admin/users/{user_id}/sessions/end": _admin_post(
            "End all of an account's sessions and live connections.", json_answer("How many.", ENDED)),
        "/api/admin/units": {"get": operation(
            "The command center, the wards and the departments, with their accounts.",
            {"200": json_answer("Units.", obj(("units",), units=array(obj(
                ("code", "name", "kind", "users"), code=STRING, name=STRING, name_en=nullable(STRING),
                kind={"enum": ["command_center", "ward", "department"]}, users=INTEGER,
                active_users=INTEGER))))},
            roles=ADMIN, tag="admin")},
    }


def users_list() -> dict[str, Any]:
    """GET and POST /api/admin/users."""
    return {
        "get": operation(
            "Accounts: `q` matches username, name or phone (case and accents ignored); paged.",
            {"200": json_answer("A page and the total.", obj(("users", "total"), users=array(ACCOUNT),
                                                             total=INTEGER), NO_STORE),
             **refusals(422)},
            roles=ADMIN, tag="admin",
            params=[param("q", schema={"type": "string", "maxLength": 100}), param("unit"),
                    param("role", schema={"enum": list(POLICE)}),
                    param("active", schema={"enum": ["true", "false", "1", "0"]}),
                    param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500}),
                    param("offset", schema={"type": "integer", "minimum": 0, "maximum": 10_000_000})]),
        "post": operation(
            "A new police account (the password: 8+ characters, not a common one).",
            {"201": json_answer("Made.", obj(("id",), id=INTEGER))}, roles=ADMIN, tag="admin",
            body=obj(("username", "password", "role"), username=STRING, password=STRING,
                     role={"enum": list(POLICE)}, unit=nullable(STRING), display_name=nullable(STRING),
                     phone=nullable(STRING))),
    }
