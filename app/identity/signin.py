"""Police sign-in: the password, the throttles around it, the second step, and the session scope.

    signin = SignIn(db, settings, tokens, factors)
    outcome = await signin.login("lan", "s3cret…", Attempt(ip, device, known_user_id), rp)
    # a Session (token, principal: scope None | "password" | "enrol") or a Challenge
    session = await signin.second_step(challenge, rp, code="123456")

Throttles (docs/security.md): slow the guesser, not the owner. Wrong passwords are counted per
source address (held-back answers, then 429 for that address only) and per account (from any
address). An account under attack still opens to its owner: after `login_max_failures` a correct
password needs a second factor or a known device (the signed `sos_known_device` cookie of an
earlier full sign-in); after `login_hard_lock_failures` only a known device gets in, and the
admins see the alert `user.login_locked`. Counters live in the database: every process shares them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.errors import ApiError
from app.identity import audit, passkeys
from app.identity.accounts import _DUMMY_HASH, verify_password
from app.identity.auth import Principal, TokenIssuer
from app.identity.second_factor import SecondFactor, bump, enrolled, summary
from app.settings import Settings
from app.storage.base import Connection, Database

KNOWN_DEVICE_COOKIE = "sos_known_device"
MAX_DELAY_MS = 8000


@dataclass(frozen=True)
class Attempt:
    """Where a sign-in comes from: the address, the browser (User-Agent), and the user a valid
    known-device cookie names (None without one)."""

    ip: str | None
    device: str | None
    known_user_id: int | None = None


@dataclass(frozen=True)
class Session:
    token: str
    principal: Principal

    @property
    def full(self) -> bool:
        return self.principal.scope is None


@dataclass(frozen=True)
class Challenge:
    methods: list[str]
    challenge: str
    webauthn: dict[str, Any] | None


def address_key(ip: str | None) -> str:
    """What per-address throttles count by: an IPv4 address, or an IPv6 address's /64 (one
    subscriber's line gets a whole /64, so one address each would be no limit at all)."""
    try:
        parsed = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "-"
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if parsed.version == 6 else str(parsed)


class SignIn:
    def __init__(
        self, db: Database, settings: Settings, tokens: TokenIssuer, factors: SecondFactor
    ) -> None:
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.factors = factors
        self.clock = tokens.clock
        self.roles = {r.strip() for r in settings.second_factor_roles.split(",") if r.strip()}
        self._known = URLSafeTimedSerializer(settings.resolved_secret(), salt="sos.known-device")

    # -- known devices ---------------------------------------------------------------------------
    def known_device_cookie(self, user_id: int) -> str:
        return str(self._known.dumps({"u": user_id}))

    def known_device_user(self, cookie: str | None) -> int | None:
        if not cookie:
            return None
        try:
            data = self._known.loads(cookie, max_age=self.settings.known_device_ttl_s)
            return int(data["u"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    # -- the password step -------------------------------------------------------------------------
    async def login(
        self, username: str, password: str, attempt: Attempt, rp: passkeys.RelyingParty
    ) -> Session | Challenge:
        s, now = self.settings, self.clock()
        address = address_key(attempt.ip)
        state = await self.db.read(lambda c: self._state(c, username, address))
        blocked = state["address_blocked_until"]
        if blocked and blocked > now:
            wait = max(1, math.ceil(blocked - now))
            raise ApiError(
                429, "rate_limited",
                f"Too many failed sign-ins from this address. Try again in {math.ceil(wait / 60)} minutes.",
                headers={"Retry-After": str(wait)}, retry_after=wait,
            )
        user = state["user"]
        user_id = int(user["id"]) if user is not None else None
        factors = state["factors"]
        # The account's lock is decided before the password is checked: an answer that differed
        # for the right password would tell the guesser it was right.
        failures, first, locked_until = state["account"]
        in_window = failures and now - first <= s.login_window_s
        hard = locked_until is not None and locked_until > now
        soft = in_window and failures >= s.login_max_failures and not enrolled(factors)
        known = attempt.known_user_id is not None and attempt.known_user_id == user_id
        if (hard or soft) and not known:
            until = locked_until if hard else first + s.login_window_s
            wait = max(1, math.ceil(until - now))
            raise ApiError(
                429, "locked",
                "Too many failed sign-ins for this account. Sign in from a device you used "
                f"before, or try again in {math.ceil(wait / 60)} minutes.",
                headers={"Retry-After": str(wait)}, retry_after=wait,
            )
        stored = user["password_hash"] if user is not None else _DUMMY_HASH
        # argon2 is deliberately slow; keep it off the event loop.
        ok = await asyncio.to_thread(verify_password, stored, password) and user is not None
        if not ok or user_id is None:
            over = await self.db.write(lambda tx: self._failure(tx, username, address, now))
            if over >= 0:
                # Each further failure from this address waits longer: guessing gets slow.
                await asyncio.sleep(min(s.login_slowdown_ms * 2**over, MAX_DELAY_MS) / 1000)
            raise ApiError(401, "bad_credentials", "Wrong username or password.")
        if enrolled(factors):
            return await self._challenge(user_id, factors, attempt, rp)
        scope = self._scope(user, factors, now)
        return await self.db.write(lambda tx: self._open(tx, user, scope, None, attempt, now))

    async def _challenge(
        self, user_id: int, factors: dict[str, Any], attempt: Attempt, rp: passkeys.RelyingParty
    ) -> Challenge:
        challenge = await self.db.write(
            lambda tx: self.factors.new_challenge(tx, user_id, attempt.ip, attempt.device)
        )
        methods = (["passkey"] if factors["passkeys"] else []) + (["totp"] if factors["totp"] else [])
        options = None
        if factors["passkeys"]:
            ids = await self.db.read(lambda c: [r[0] for r in c.execute(
                "SELECT id FROM webauthn_credentials WHERE user_id = ?", (user_id,))])
            options = passkeys.authentication_options(rp, challenge, ids)
        return Challenge([*methods, "recovery"], challenge, options)

    async def second_step(
        self, challenge: str, rp: passkeys.RelyingParty, attempt: Attempt,
        code: str | None = None, passkey: Any = None,
    ) -> Session:
        now = self.clock()

        def start(tx: Connection, user_id: int, method: str) -> Session:
            user = self._user(tx, "id = ?", user_id)
            if user is None:  # disabled meanwhile
                raise ApiError(401, "challenge_invalid", "This account cannot sign in.")
            scope = "password" if user["must_change_password"] else None
            return self._open(tx, user, scope, method, attempt, now)

        return await self.factors.verify(challenge, rp, start, code=code, passkey=passkey)

    # -- the session -------------------------------------------------------------------------------
    def _scope(self, user: Any, factors: dict[str, Any], now: float) -> str | None:
        if user["must_change_password"]:
            return "password"
        enrol_by = self._enrol_by(user, factors)
        if enrol_by is not None and now > enrol_by:
            return "enrol"
        return None

    def enrolment_due(self, conn: Any, user_id: int) -> bool:
        """Whether this user's next session must be an "enrol" one (a required role, no factor,
        the grace over): for whoever turns a "password" session full (a password change)."""
        user = self._user(conn, "id = ?", user_id, active_only=False)
        by = None if user is None else self._enrol_by(user, summary(conn, [user_id])[user_id])
        return by is not None and self.clock() > by

    def _enrol_by(self, user: Any, factors: dict[str, Any]) -> float | None:
        if user["role"] not in self.roles or enrolled(factors):
            return None
        return float(user["created_at"]) + self.settings.second_factor_grace_s

    def _open(
        self, tx: Connection, user: Any, scope: str | None, method: str | None, attempt: Attempt,
        now: float,
    ) -> Session:
        session_id = secrets.token_urlsafe(18)
        principal = Principal(
            kind="user", id=str(user["id"]), role=user["role"], unit=user["unit"],
            username=user["username"], session_id=session_id, scope=scope,
        )
        tx.execute(
            """INSERT INTO sessions (id, user_id, created_at, expires_at, device, ip, last_seen_at,
               scope, second_factor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (session_id, user["id"], now, now + self.settings.token_ttl_s,
             (attempt.device or "")[:200] or None, attempt.ip, now, scope, method),
        )
        # The account's owner is in: the failures counted against it were not theirs.
        tx.execute("DELETE FROM login_failures WHERE username = ?", (user["username"],))
        audit.append(tx, principal, "user.login", f"user/{user['id']}", scope=scope,
                     second_factor=method, known_device=attempt.known_user_id == int(user["id"]))
        return Session(self.tokens.user_token(int(user["id"]), session_id), principal)

    async def upgrade_enrolled(self, principal: Principal) -> bool:
        """An "enrol" session whose user just enrolled becomes a full one; True when it did."""
        row = await self.db.write(lambda tx: tx.execute(
            "UPDATE sessions SET scope = NULL WHERE id = ? AND scope = 'enrol' RETURNING id",
            (principal.session_id,),
        ).fetchone())
        return row is not None

    async def user_view(self, principal: Principal) -> dict[str, Any]:
        """The `user` object of GET /api/auth/me and of a sign-in (docs: I25 API)."""
        user_id = int(principal.id)

        def read(conn: Any) -> dict[str, Any]:
            user = self._user(conn, "id = ?", user_id, active_only=False)
            factors = summary(conn, [user_id])[user_id]
            scope = conn.execute(
                "SELECT scope FROM sessions WHERE id = ?", (principal.session_id,)
            ).fetchone()
            enrol_by = self._enrol_by(user, factors)
            return {
                **principal.public(),
                "display_name": user["display_name"],
                "must_change_password": bool(user["must_change_password"]),
                "second_factor": {
                    **factors,
                    "required": user["role"] in self.roles,
                    "enrol_by": None if enrol_by is None else int(enrol_by * 1000),
                },
                "scope": scope[0] if scope is not None else principal.scope,
            }

        return await self.db.read(read)

    # -- the counters ------------------------------------------------------------------------------
    def _user(self, conn: Any, where: str, value: Any, active_only: bool = True) -> Any:
        return conn.execute(
            f"""SELECT id, username, password_hash, role, unit, display_name, created_at,
                must_change_password FROM users WHERE {where}{' AND active = 1' if active_only else ''}""",
            (value,),
        ).fetchone()

    def _state(self, conn: Any, username: str, address: str) -> dict[str, Any]:
        account = conn.execute(
            "SELECT failures, first_failure_at, locked_until FROM login_failures WHERE username = ?",
            (username,),
        ).fetchone()
        blocked = conn.execute(
            "SELECT blocked_until FROM login_address_failures WHERE address = ?", (address,)
        ).fetchone()
        user = self._user(conn, "username = ?", username)
        return {
            "user": user,
            "factors": summary(conn, [user["id"]])[user["id"]] if user is not None else
            {"totp": False, "passkeys": 0, "recovery_codes_left": 0},
            "account": tuple(account) if account is not None else (0, 0.0, None),
            "address_blocked_until": blocked[0] if blocked is not None else None,
        }

    def _failure(self, tx: Connection, username: str, address: str, now: float) -> int:
        """Count a wrong password against the address and the account; returns how far the
        address is past `login_slowdown_after` (negative: not yet)."""
        s = self.settings
        if secrets.randbelow(100) == 0:  # now and then: forget the counts of windows long over
            old = now - s.login_window_s - s.login_lockout_s
            tx.execute("DELETE FROM login_address_failures WHERE first_failure_at < ?", (old,))
            tx.execute("DELETE FROM login_failures WHERE first_failure_at < ?", (old,))
        failures = bump(tx, "login_address_failures", "address", address, now, s.login_window_s)
        blocked = now + s.login_lockout_s if failures >= s.login_address_max_failures else None
        tx.execute("UPDATE login_address_failures SET blocked_until = ? WHERE address = ?",
                   (blocked, address))
        account = bump(tx, "login_failures", "username", username, now, s.login_window_s)
        if account == s.login_hard_lock_failures:
            tx.execute("UPDATE login_failures SET locked_until = ? WHERE username = ?",
                       (now + s.login_lockout_s, username))
            # Many addresses are guessing this account's password: the admins should know.
            audit.append(tx, None, "user.login_locked", f"username/{username}", alert=True,
                         failures=account, locked_for_s=s.login_lockout_s)
        audit.append(tx, None, "user.login_failed", f"username/{username}", failures=account)
        return failures - s.login_slowdown_after
