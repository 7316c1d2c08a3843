"""Police accounts: argon2id password hashes, sessions, and a login that slows down and then locks.

    accounts = Accounts(db, settings, tokens)
    accounts.create_sync("lan", "s3cret…", role="officer", unit="ward-26704")
    result = await accounts.login("lan", "s3cret…", ip="10.0.0.1")   # LoginResult or ApiError
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.errors import ApiError
from app.identity import audit, passwords
from app.identity.auth import ROLES, Principal, TokenIssuer
from app.identity.devices import PHONE
from app.settings import Settings
from app.storage.base import Connection, Database

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verified against when the username is unknown, so that a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 8


def valid_username(username: str) -> bool:
    return 0 < len(username) <= 64 and username.replace(".", "").replace("_", "").replace("-", "").isalnum()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    token: str
    principal: Principal


class Accounts:
    def __init__(self, db: Database, settings: Settings, tokens: TokenIssuer) -> None:
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.clock = tokens.clock  # one clock for tokens, sessions and lockouts (tests move it)

    # -- users -----------------------------------------------------------------------------------
    def validate_new(
        self, username: str, password: str, role: str, unit: str | None,
        display_name: str | None = None, phone: str | None = None,
    ) -> None:
        if not valid_username(username):
            raise ValueError("username: 1-64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if role == "officer" and not unit:
            raise ValueError("an officer belongs to a unit: give --unit")
        if phone is not None and not PHONE.match(phone):
            raise ValueError("phone: digits, e.g. 0901 234 567")
        # An admin types this password for someone: the old minimum of 8, but never a top-list one.
        passwords.check(password, username, display_name, minimum=passwords.ADMIN_MINIMUM)

    def create_sync(
        self,
        username: str,
        password: str,
        role: str,
        unit: str | None = None,
        display_name: str | None = None,
        replace: bool = False,
        phone: str | None = None,
    ) -> int:
        """Create (or, with `replace`, reset) an account. Raises ValueError with a reason
        (passwords.WeakPassword, a ValueError, for a password that breaks the rule)."""
        self.validate_new(username, password, role, unit, display_name, phone)
        password_hash = hash_password(password)

        def write(tx: Connection) -> int:
            if unit is not None and tx.execute(
                "SELECT 1 FROM units WHERE code = ?", (unit,)
            ).fetchone() is None:
                raise ValueError(f"unknown unit {unit!r} (run `sos seed-demo` or create it first)")
            existing = tx.execute(
                "SELECT id FROM users WHERE username = ?", (username,)
            ).fetchone()
            if existing is not None:
                if not replace:
                    raise ValueError(f"user {username!r} already exists")
                tx.execute(
                    """UPDATE users SET username = ?, password_hash = ?, role = ?, unit = ?,
                       display_name = ?, phone = ?, active = 1, disabled_at = NULL,
                       disabled_by = NULL, must_change_password = 0 WHERE id = ?""",
                    (username, password_hash, role, unit, display_name, phone, existing[0]),
                )
                user_id = int(existing[0])
                action = "user.reset"
            else:
                user_id = int(tx.execute(
                    """INSERT INTO users
                       (username, password_hash, role, unit, display_name, phone, active, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING id""",
                    (username, password_hash, role, unit, display_name, phone, self.clock()),
                ).fetchone()[0])
                action = "user.create"
            audit.append(tx, None, action, f"user/{user_id}", role=role, unit=unit)
            return user_id

        return self.db.write_sync(write)

    # -- login -----------------------------------------------------------------------------------
    async def login(self, username: str, password: str) -> LoginResult:
        now = self.clock()
        locked_until = await self.db.read(lambda c: self._locked_until(c, username))
        if locked_until and locked_until > now:
            wait = max(1, math.ceil(locked_until - now))
            raise ApiError(
                429,
                "locked",
                f"Too many failed sign-ins for this account. Try again in {math.ceil(wait / 60)} minutes.",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            )
        user = await self.db.read(
            lambda c: c.execute(
                "SELECT id, username, password_hash, role, unit FROM users WHERE username = ? AND active = 1",
                (username,),
            ).fetchone()
        )
        stored = user["password_hash"] if user is not None else _DUMMY_HASH
        # argon2 is deliberately slow; keep it off the event loop.
        ok = await asyncio.to_thread(verify_password, stored, password) and user is not None
        if not ok:
            failures = await self.db.write(lambda tx: self._record_failure(tx, username, now))
            over = failures - self.settings.login_slowdown_after
            if over >= 0:
                # Each further failure waits longer: guessing gets slow well before the lock.
                await asyncio.sleep(min(self.settings.login_slowdown_ms * 2**over, 8000) / 1000)
            raise ApiError(401, "bad_credentials", "Wrong username or password.")
        session_id = secrets.token_urlsafe(18)
        principal = Principal(
            kind="user",
            id=str(user["id"]),
            role=user["role"],
            unit=user["unit"],
            username=user["username"],
            session_id=session_id,
        )

        def start_session(tx: Connection) -> None:
            tx.execute("DELETE FROM login_failures WHERE username = ?", (username,))
            tx.execute(
                "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (session_id, user["id"], now, now + self.settings.token_ttl_s),
            )
            audit.append(tx, principal, "user.login", f"user/{user['id']}")

        await self.db.write(start_session)
        return LoginResult(self.tokens.user_token(int(user["id"]), session_id), principal)

    async def logout(self, principal: Principal) -> None:
        def revoke(tx: Connection) -> None:
            tx.execute(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self.clock(), principal.session_id),
            )
            audit.append(tx, principal, "user.logout", f"user/{principal.id}")

        await self.db.write(revoke)

    def _locked_until(self, conn: Any, username: str) -> float | None:
        row = conn.execute(
            "SELECT locked_until FROM login_failures WHERE username = ?", (username,)
        ).fetchone()
        return None if row is None else row[0]

    def _record_failure(self, tx: Connection, username: str, now: float) -> int:
        s = self.settings
        row = tx.execute(
            "SELECT failures, first_failure_at FROM login_failures WHERE username = ?", (username,)
        ).fetchone()
        if row is None or now - row["first_failure_at"] > s.login_window_s:
            failures, first = 1, now
        else:
            failures, first = row["failures"] + 1, row["first_failure_at"]
        locked_until = now + s.login_lockout_s if failures >= s.login_max_failures else None
        tx.execute(
            """INSERT INTO login_failures (username, failures, first_failure_at, locked_until)
               VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET
               failures = excluded.failures, first_failure_at = excluded.first_failure_at,
               locked_until = excluded.locked_until""",
            (username, failures, first, locked_until),
        )
        audit.append(tx, None, "user.login_failed", f"username/{username}", failures=failures)
        return failures
