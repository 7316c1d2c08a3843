"""Partner systems (other city portals) that send reports over Open311: their API keys.

A key is 32 random bytes (URL-safe base64), shown once by `sos partner add NAME`; only its
SHA-256 is stored. A key of that entropy needs no slow hash: nobody can guess one, so a fast hash
loses nothing, and it lets a key be found by an index lookup. The stored hash is then compared
in constant time anyway, so that the lookup's timing says nothing either. Revoking keeps the row
(the audit log names partners) and refuses the key at once.

    key = partners.add_sync("portal-q7")        # printed once, never stored
    partner = await partners.authenticate(key)  # a Principal, or None
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any

from app.identity import audit
from app.identity.auth import Principal
from app.storage.base import Connection, Database

CLI = Principal(kind="server", id="cli", role="server")  # the `sos` command run on the server
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,40}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def partner_principal(name: str) -> Principal:
    return Principal(kind="server", id=f"partner:{name}", role="partner", username=name)


class Partners:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_sync(self, name: str) -> str:
        """A new key for `name` (a new partner, or a revoked one coming back); ValueError if
        the name is malformed or the partner already has a live key."""
        if not NAME.match(name):
            raise ValueError(
                "A partner name is 2-41 lower-case letters, digits, '.', '_' or '-', e.g. portal-q7."
            )
        key = secrets.token_urlsafe(32)

        def write(tx: Connection) -> None:
            row = tx.execute("SELECT revoked_at FROM partners WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] is None:
                raise ValueError(f"partner {name} already has a key; revoke it first")
            tx.execute(
                """INSERT INTO partners (name, key_hash, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash,
                   created_at = excluded.created_at, revoked_at = NULL""",
                (name, key_hash(key), time.time()),
            )
            _audit(tx, name, "partner.add")

        self.db.write_sync(write)
        return key

    def revoke_sync(self, name: str) -> None:
        def write(tx: Connection) -> None:
            done = tx.execute(
                "UPDATE partners SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (time.time(), name),
            )
            if not done.rowcount:
                raise ValueError(f"no partner {name} with a live key")
            _audit(tx, name, "partner.revoke")

        self.db.write_sync(write)

    async def authenticate(self, key: str) -> Principal | None:
        if not key or len(key) > 200:
            return None
        digest = key_hash(key)
        row = self.db.read_now(
            lambda c: c.execute(
                "SELECT name, key_hash FROM partners WHERE key_hash = ? AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
        )
        if row is None or not hmac.compare_digest(str(row[1]), digest):
            return None
        return partner_principal(str(row[0]))


def _audit(tx: Connection, name: str, action: str) -> None:
    audit.append(tx, CLI, action, f"partner/{name}")


def listing(conn: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT name, created_at, revoked_at FROM partners ORDER BY name")]
