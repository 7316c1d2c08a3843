"""Police accounts: argon2id password hashes, the accounts themselves, and signing out.

    accounts = Accounts(db, settings, tokens)
    accounts.create_sync("lan", "s3cret…", role="officer", unit="ward-26704")

Signing in (password, throttles, second factor, session scope) is app/identity/signin.py.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

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

    # -- sign-in: app/identity/signin.py (the password, its throttles, the second factor) ------
    async def logout(self, principal: Principal) -> None:
        def revoke(tx: Connection) -> None:
            tx.execute(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self.clock(), principal.session_id),
            )
            audit.append(tx, principal, "user.logout", f"user/{principal.id}")

        await self.db.write(revoke)
