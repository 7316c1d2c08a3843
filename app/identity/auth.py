"""Who is calling: signed tokens, the session cookie, and the role checks every endpoint reuses.

A credential is a token signed with itsdangerous. It arrives as `Authorization: Bearer`, as the
session cookie (browsers), or as `?token=` (WebSocket only, where browsers cannot set headers).
Police tokens name a session row, so logout and deactivation take effect at once; citizen device
tokens name a device row. `AuthMiddleware` resolves the credential into a `Principal` on
`scope["principal"]`, or leaves it None; endpoints then call `require(...)`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ApiError, error_body
from app.identity.sessions import SeenRecorder
from app.storage.base import Database

ROLES = ("officer", "dispatcher", "supervisor", "admin")
POLICE_ROLES = ROLES
COOKIE_NAME = "sos_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a restricted session (Principal.scope) may reach: who am I, sign out, its own sessions, and
# the one thing it was opened for. Everything else answers 403 with the scope's code.
SCOPED_PATHS = {
    "password": ("/api/auth/me", "/api/auth/logout", "/api/auth/password", "/api/auth/sessions"),
    "enrol": (
        "/api/auth/me", "/api/auth/logout", "/api/auth/sessions", "/api/auth/totp",
        "/api/auth/webauthn/", "/api/auth/recovery-codes", "/api/auth/second-factor",
    ),
}
SCOPE_REFUSALS = {
    "password": ("password_change_required", "Choose a new password first (POST /api/auth/password)."),
    "enrol": (
        "second_factor_enrolment_required",
        "Enrol a second factor first (a passkey or an authenticator app).",
    ),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a police user, a citizen device, or the server itself."""

    kind: Literal["user", "device", "server"]
    id: str
    role: str  # officer, dispatcher, supervisor, admin; "citizen" for a device; "server"
    unit: str | None = None
    username: str | None = None
    session_id: str | None = None
    ip: str | None = field(default=None, compare=False)  # for per-address limits, never stored
    # A restricted police session: "password" (must choose a new password first) or "enrol" (must
    # enrol a second factor first). Such a session reaches only `SCOPED_PATHS` (AuthMiddleware).
    scope: str | None = None

    @property
    def is_police(self) -> bool:
        return self.kind == "user" and self.role in POLICE_ROLES

    @property
    def is_citizen(self) -> bool:
        return self.kind == "device"

    def public(self) -> dict[str, Any]:
        if self.kind == "user":
            return {"id": int(self.id), "username": self.username, "role": self.role, "unit": self.unit}
        return {"id": self.id, "role": self.role}


SERVER = Principal(kind="server", id="server", role="server")


class TokenIssuer:
    """Signs and checks tokens. `clock` is injectable so that expiry can be tested without waiting."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        issuer = self

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(issuer.clock())

        self._user = URLSafeTimedSerializer(secret, salt="sos.user", signer=_Signer)
        self._device = URLSafeTimedSerializer(secret, salt="sos.device", signer=_Signer)

    def user_token(self, user_id: int, session_id: str) -> str:
        return str(self._user.dumps({"u": user_id, "s": session_id}))

    def device_token(self, device_id: str) -> str:
        return str(self._device.dumps({"d": device_id}))

    def read_user(self, token: str, max_age: int) -> tuple[int, str] | None:
        try:
            data = self._user.loads(token, max_age=max_age)
        except (SignatureExpired, BadSignature):
            return None
        # Signed by us, but maybe not as a user token (another salt's payload, an old shape):
        # what does not fit is no token, a 401, never a 500 further on (issue 25).
        if not isinstance(data, dict):
            return None
        user_id, session_id = data.get("u"), data.get("s")
        if type(user_id) is not int or not 0 < user_id <= 2**63 - 1 or not isinstance(session_id, str):
            return None
        return user_id, session_id

    def read_device(self, token: str, max_age: int) -> str | None:
        try:
            data = self._device.loads(token, max_age=max_age)
        except (SignatureExpired, BadSignature):
            return None
        device_id = data.get("d") if isinstance(data, dict) else None
        return device_id if isinstance(device_id, str) and device_id else None


class Authenticator:
    """Turns a raw token into a Principal, checking the session or device row it names."""

    def __init__(self, db: Database, tokens: TokenIssuer, token_ttl_s: int, device_ttl_s: int):
        self.db = db
        self.tokens = tokens
        self.token_ttl_s = token_ttl_s
        self.device_ttl_s = device_ttl_s
        # The session row is read here on every request anyway: its last use is noted from here,
        # and written in the background at most once a minute (app/identity/sessions.py).
        self.seen = SeenRecorder(db, tokens.clock)

    async def principal_for(self, token: str) -> Principal | None:
        user = self.tokens.read_user(token, self.token_ttl_s)
        if user is not None:
            return self.db.read_now(lambda c: self._user_principal(c, *user))
        device_id = self.tokens.read_device(token, self.device_ttl_s)
        if device_id is not None:
            return self.db.read_now(lambda c: self._device_principal(c, device_id))
        return None

    def _user_principal(self, conn: Any, user_id: int, session_id: str) -> Principal | None:
        row = conn.execute(
            """SELECT u.id, u.username, u.role, u.unit, s.scope, s.created_at, s.last_seen_at
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
               AND u.active = 1""",
            (session_id, user_id, self.tokens.clock()),
        ).fetchone()
        if row is None:
            return None
        if self.seen.stale(row["last_seen_at"], row["created_at"]):
            self.seen.saw(session_id)
        return Principal(
            kind="user",
            id=str(row["id"]),
            role=row["role"],
            unit=row["unit"],
            username=row["username"],
            session_id=session_id,
            scope=row["scope"],
        )

    def _device_principal(self, conn: Any, device_id: str) -> Principal | None:
        row = conn.execute(
            "SELECT id FROM devices WHERE id = ? AND blocked_at IS NULL", (device_id,)
        ).fetchone()
        return None if row is None else Principal(kind="device", id=device_id, role="citizen")


def credential(conn: HTTPConnection) -> tuple[str | None, str]:
    """The raw token and where it came from: 'header', 'cookie', 'query' or 'none'."""
    header = conn.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip(), "header"
    if conn.scope["type"] == "websocket" and conn.query_params.get("token"):
        return conn.query_params["token"], "query"
    cookie = conn.cookies.get(COOKIE_NAME)
    if cookie:
        return cookie, "cookie"
    return None, "none"


def same_origin(conn: HTTPConnection) -> bool:
    origin = conn.headers.get("origin") or _origin_of(conn.headers.get("referer", ""))
    if not origin:
        return False
    scheme = conn.url.scheme.replace("ws", "http")
    return origin.rstrip("/") == f"{scheme}://{conn.headers.get('host', '')}"


def _origin_of(url: str) -> str:
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[1] == "" else ""


class AuthMiddleware:
    """Pure ASGI: sets `scope["principal"]`; refuses cross-origin cookie writes (CSRF)."""

    def __init__(self, app: ASGIApp, authenticator: Callable[[], Authenticator]) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        token, source = credential(conn)
        scope["principal"] = None
        scope["credential_source"] = source
        if token:
            cookie_write = source == "cookie" and (
                scope["type"] == "websocket" or scope.get("method") in UNSAFE_METHODS
            )
            if cookie_write and not same_origin(conn):
                if scope["type"] == "http":
                    body = error_body("cross_origin", "Refused: this request came from another site.")
                    await JSONResponse(body, status_code=403)(scope, receive, send)
                    return
                # A WebSocket from another site simply gets no identity.
            else:
                principal = await self.authenticator().principal_for(token)
                if principal is not None and conn.client is not None:
                    principal = replace(principal, ip=conn.client.host)
                if principal is not None and principal.scope and not _scope_allows(
                    principal.scope, scope.get("path", "")
                ):
                    if scope["type"] == "http":
                        code, message = SCOPE_REFUSALS.get(
                            principal.scope, ("forbidden", "This session is restricted.")
                        )
                        body = error_body(code, message)
                        await JSONResponse(body, status_code=403)(scope, receive, send)
                        return
                    principal = None  # a restricted session opens no live stream
                scope["principal"] = principal
        await self.app(scope, receive, send)


def _scope_allows(session_scope: str, path: str) -> bool:
    return any(
        path == allowed or (allowed.endswith("/") and path.startswith(allowed))
        or path.startswith(allowed + "/")
        for allowed in SCOPED_PATHS.get(session_scope, ())
    )


def principal_of(conn: HTTPConnection) -> Principal | None:
    return conn.scope.get("principal")


def require_principal(
    conn: HTTPConnection, *roles: str, citizen: bool = False, unit: str | None = None
) -> Principal:
    """The caller, or a 401/403 with the reason. `roles` empty and citizen False: any police user."""
    principal = principal_of(conn)
    if principal is None:
        raise ApiError(401, "unauthenticated", "Sign in first (missing, invalid or expired token).")
    if principal.is_citizen:
        if citizen:
            return principal
        raise ApiError(403, "forbidden", "This is for police accounts only.")
    if not principal.is_police:
        raise ApiError(403, "forbidden", "This caller may not use this endpoint.")
    if roles and principal.role not in roles:
        raise ApiError(
            403, "forbidden", f"This needs the role {' or '.join(roles)}; you are {principal.role}."
        )
    if unit is not None and principal.role == "officer" and principal.unit != unit:
        raise ApiError(403, "forbidden", f"This belongs to unit {unit}, not to your unit.")
    return principal


Endpoint = Callable[[Request], Awaitable[Any]]


def requires(*roles: str, citizen: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Decorator form of `require_principal` for endpoints: `@requires("dispatcher", "admin")`."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def wrapper(request: Request) -> Any:
            require_principal(request, *roles, citizen=citizen)
            return await endpoint(request)

        return wrapper

    return decorate
