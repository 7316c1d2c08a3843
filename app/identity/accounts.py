"""Police accounts: argon2id password hashes, the accounts themselves, and signing out.

    accounts = Accounts(db, settings, tokens)
    accounts.create_sync("lan", "s3cret…", role="officer", unit="ward-26704")

Signing in (password, throttles, second factor, session scope) is app/identity/signin.py.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.identity import audit
from app.identity.auth import ROLES, Principal, TokenIssuer
from app.settings import Settings
from app.storage.base import Connection, Database

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verified against when the username is unknown, so that a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class Accounts:
    def __init__(self, db: Database, settings: Settings, tokens: TokenIssuer) -> None:
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.clock = tokens.clock  # one clock for tokens, sessions and lockouts (tests move it)

    # -- users -----------------------------------------------------------------------------------
    def validate_new(self, username: str, password: str, role: str, unit: str | None) -> None:
        if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
            raise ValueError("username: 1-64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if role == "officer" and not unit:
            raise ValueError("an officer belongs to a unit: give --unit")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"password must have at least {MIN_PASSWORD} characters")

    def create_sync(
        self,
        username: str,
        password: str,
        role: str,
        unit: str | None = None,
        display_name: str | None = None,
        replace: bool = False,
    ) -> int:
        """Create (or, with `replace`, reset) an account. Raises ValueError with a reason."""
        self.validate_new(username, password, role, unit)
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
                       display_name = ?, active = 1 WHERE id = ?""",
                    (username, password_hash, role, unit, display_name, existing[0]),
                )
                user_id = int(existing[0])
                action = "user.reset"
            else:
                user_id = int(tx.execute(
                    """INSERT INTO users
                       (username, password_hash, role, unit, display_name, active, created_at)
                       VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id""",
                    (username, password_hash, role, unit, display_name, self.clock()),
                ).fetchone()[0])
                action = "user.create"
            audit.append(tx, None, action, f"user/{user_id}", role=role, unit=unit)
            return user_id

        return self.db.write_sync(write)

    # -- sign-in: app/identity/signin.py (the password, its throttles, the second factor) ------
    async def logout(self, principal: Principal) -> None:
        def revoke(tx: Connection) -> None:
            tx.execute(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self.clock(), principal.session_id),
            )
            audit.append(tx, principal, "user.logout", f"user/{principal.id}")

        await self.db.write(revoke)
