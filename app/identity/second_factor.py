"""The second factor of police sign-in: TOTP codes, passkeys, single-use recovery codes, and the
challenge that sits between a correct password and the second step (docs/security.md).

    factors = SecondFactor(db, secret, clock)
    enrolment = await factors.totp_begin(user_id, username)     # {secret, uri, qr_svg}
    codes = await factors.totp_confirm(user_id, "123456")        # recovery codes when first
    # at sign-in, inside the password check's transaction:
    challenge = factors.new_challenge(tx, user_id, ip, device)
    # then POST /api/auth/second-factor:
    result = await factors.verify(challenge, rp, code=..., start=lambda tx, user_id, method: ...)

What is kept: the TOTP secret sealed with AES-GCM under a key derived from the deployment secret
(a stolen database or backup alone does not give the codes), the last accepted time step (a code
works once), recovery codes salted and hashed, passkeys' public keys and sign counts, challenges
by their SHA-256 only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import ApiError
from app.identity import audit, passkeys
from app.storage.base import Connection, Database

T = TypeVar("T")

ISSUER = "SOS ANTT"
TOTP_STEP_S = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side: a phone clock 30 s off still works
CHALLENGE_TTL_S = 300
CHALLENGE_ATTEMPTS = 5  # wrong codes that kill one challenge
ACCOUNT_FAILURES = 10  # wrong codes per account within ACCOUNT_WINDOW_S lock the second factor
ACCOUNT_WINDOW_S = 900
LOCK_S = 900
RECOVERY_CODES = 10
# No 0/o, 1/l/i: read from paper by a tired person. 31 symbols, 12 of them: ~59 bits a code.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 12


class Sealer:
    """AES-256-GCM with a key derived (HKDF-SHA256) from the deployment secret; the user id is
    authenticated data, so a sealed secret copied onto another account's row does not open."""

    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sos.totp-secret.v1")
        self._aead = AESGCM(key.derive(secret.encode()))

    def seal(self, plaintext: str, user_id: int) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), f"totp:{user_id}".encode())
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, user_id: int) -> str | None:
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix("v1.").encode())
            return self._aead.decrypt(raw[:12], raw[12:], f"totp:{user_id}".encode()).decode()
        except (InvalidTag, ValueError):
            return None  # another deployment secret: the enrolment is void


def challenge_hash(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def _recovery_hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + code).encode()).hexdigest()


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def summary(conn: Any, user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{user_id: {totp, passkeys, recovery_codes_left}} for the admin list and `user` objects."""
    ids = sorted({int(u) for u in user_ids})
    out = {u: {"totp": False, "passkeys": 0, "recovery_codes_left": 0} for u in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT user_id FROM totp_secrets WHERE confirmed_at IS NOT NULL AND user_id IN ({marks})",
            chunk,
        ):
            out[int(row[0])]["totp"] = True
        for row in conn.execute(
            f"""SELECT user_id, COUNT(*) FROM webauthn_credentials WHERE user_id IN ({marks})
                GROUP BY user_id""",
            chunk,
        ):
            out[int(row[0])]["passkeys"] = int(row[1])
        for row in conn.execute(
            f"""SELECT user_id, COUNT(*) FROM recovery_codes
                WHERE used_at IS NULL AND user_id IN ({marks}) GROUP BY user_id""",
            chunk,
        ):
            out[int(row[0])]["recovery_codes_left"] = int(row[1])
    return out


def enrolled(factors: dict[str, Any]) -> bool:
    return bool(factors["totp"] or factors["passkeys"])


def reset(tx: Connection, user_id: int) -> None:
    """Forget every second factor of a user (an admin clears a lost phone); the caller audits.
    Their next sign-in is by password alone, or an enrolment session once the grace is over."""
    for table in (
        "totp_secrets", "recovery_codes", "webauthn_credentials", "webauthn_registrations",
        "login_challenges", "second_factor_failures",
    ):
        tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))


def make_recovery_codes(tx: Connection, user_id: int, now: float) -> list[str]:
    """Ten new codes, the old ones void; only salted hashes are kept, the codes shown once."""
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        salt = secrets.token_hex(8)
        tx.execute(
            """INSERT INTO recovery_codes (user_id, salt, code_hash, created_at)
               VALUES (?, ?, ?, ?)""",
            (user_id, salt, _recovery_hash(salt, raw), now),
        )
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def bump(tx: Connection, table: str, column: str, key: Any, now: float, window_s: int) -> int:
    """One more failure for `key` in its window (a new window when the last one is over); one
    atomic upsert, so that two processes failing at once both count."""
    row = tx.execute(
        f"""INSERT INTO {table} AS r ({column}, failures, first_failure_at) VALUES (?, 1, ?)
            ON CONFLICT ({column}) DO UPDATE SET
            failures = CASE WHEN ? - r.first_failure_at > ? THEN 1 ELSE r.failures + 1 END,
            first_failure_at = CASE WHEN ? - r.first_failure_at > ? THEN ?
                               ELSE r.first_failure_at END
            RETURNING failures""",
        (key, now, now, window_s, now, window_s, now),
    ).fetchone()
    return int(row[0])


def _bad(code: str, message: str, status: int = 401, **extra: Any) -> ApiError:
    return ApiError(status, code, message, **extra)


class SecondFactor:
    reset = staticmethod(reset)  # for callers that reach identity only through the services

    def __init__(self, db: Database, secret: str, clock: Callable[[], float]) -> None:
        self.db = db
        self.sealer = Sealer(secret)
        self.clock = clock

    # -- TOTP enrolment --------------------------------------------------------------------------
    async def totp_begin(self, user_id: int, username: str) -> dict[str, str]:
        """A new secret, pending until a code from it is confirmed; a confirmed one stays."""
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        now = self.clock()

        def write(tx: Connection) -> None:
            row = tx.execute(
                "SELECT confirmed_at FROM totp_secrets WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                raise ApiError(409, "totp_exists", "An authenticator app is already set up; remove it first.")
            tx.execute(
                """INSERT INTO totp_secrets (user_id, secret, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
                   created_at = excluded.created_at, last_step = 0""",
                (user_id, self.sealer.seal(secret, user_id), now),
            )

        await self.db.write(write)
        uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_S).provisioning_uri(
            name=username, issuer_name=ISSUER
        )
        qr = segno.make(uri, error="m")
        return {"secret": secret, "uri": uri, "qr_svg": qr.svg_inline(scale=4, border=2, dark="#000", light="#fff")}

    async def totp_confirm(self, user_id: int, code: str, principal: Any) -> list[str] | None:
        """Confirm the pending secret with a code from it; the recovery codes when new ones were
        made (the user had none left)."""
        now = self.clock()
        row = await self.db.read(lambda c: c.execute(
            "SELECT secret, confirmed_at FROM totp_secrets WHERE user_id = ?", (user_id,)
        ).fetchone())
        if row is None or row["confirmed_at"] is not None:
            raise ApiError(409, "no_pending_totp", "Start the set-up first (POST /api/auth/totp).")
        secret = self.sealer.open(row["secret"], user_id)
        step = self._matching_step(secret, code, now) if secret else None
        if step is None:
            raise ApiError(422, "bad_code", "That code is not right. Check the phone's clock and try the new code.")

        def write(tx: Connection) -> list[str] | None:
            tx.execute(
                "UPDATE totp_secrets SET confirmed_at = ?, last_step = ? WHERE user_id = ?",
                (now, step, user_id),
            )
            audit.append(tx, principal, "user.totp_enrol", f"user/{user_id}")
            return self._codes_if_none(tx, user_id, now)

        return await self.db.write(write)

    async def totp_delete(self, user_id: int, principal: Any) -> None:
        def write(tx: Connection) -> None:
            tx.execute("DELETE FROM totp_secrets WHERE user_id = ?", (user_id,))
            self._drop_codes_if_no_factor(tx, user_id)
            audit.append(tx, principal, "user.totp_remove", f"user/{user_id}")

        await self.db.write(write)

    def _matching_step(self, secret: str, code: str, now: float) -> int | None:
        if len(code) != TOTP_DIGITS or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_S)
        current = int(now // TOTP_STEP_S)
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
            if hmac.compare_digest(totp.at(step * TOTP_STEP_S), code):
                return step
        return None

    def _codes_if_none(self, tx: Connection, user_id: int, now: float) -> list[str] | None:
        left = tx.execute(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
        ).fetchone()[0]
        return None if left else make_recovery_codes(tx, user_id, now)

    def _drop_codes_if_no_factor(self, tx: Connection, user_id: int) -> None:
        # Recovery codes stand in for a factor; with none left they would be a password of their own.
        if not enrolled(summary(tx, [user_id])[user_id]):
            tx.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))

    async def regenerate_codes(self, user_id: int, principal: Any) -> list[str]:
        def write(tx: Connection) -> list[str]:
            if not enrolled(summary(tx, [user_id])[user_id]):
                raise ApiError(409, "not_enrolled", "Set up a passkey or an authenticator app first.")
            audit.append(tx, principal, "user.recovery_codes", f"user/{user_id}")
            return make_recovery_codes(tx, user_id, self.clock())

        return await self.db.write(write)

    # -- passkeys (the WebAuthn ceremonies themselves are in passkeys.py) -------------------------
    async def passkey_options(self, user: dict[str, Any], rp: passkeys.RelyingParty) -> dict[str, Any]:
        user_id = int(user["id"])
        existing = await self.db.read(lambda c: [r[0] for r in c.execute(
            "SELECT id FROM webauthn_credentials WHERE user_id = ?", (user_id,))])
        options, challenge = passkeys.registration_options(rp, user, existing)
        now = self.clock()
        await self.db.write(lambda tx: tx.execute(
            """INSERT INTO webauthn_registrations (user_id, challenge, expires_at) VALUES (?, ?, ?)
               ON CONFLICT (user_id) DO UPDATE SET challenge = excluded.challenge,
               expires_at = excluded.expires_at""",
            (user_id, challenge, now + CHALLENGE_TTL_S),
        ))
        return options

    async def passkey_register(
        self, user_id: int, credential: Any, name: str, rp: passkeys.RelyingParty, principal: Any
    ) -> tuple[str, list[str] | None]:
        now = self.clock()

        def take(tx: Connection) -> str | None:
            row = tx.execute(
                "DELETE FROM webauthn_registrations WHERE user_id = ? RETURNING challenge, expires_at",
                (user_id,),
            ).fetchone()
            return row["challenge"] if row is not None and row["expires_at"] > now else None

        challenge = await self.db.write(take)  # single use, whatever comes next
        if challenge is None:
            raise ApiError(409, "no_pending_registration", "Ask for new passkey options first.")
        verified = passkeys.verify_registration(rp, credential, challenge)

        def write(tx: Connection) -> list[str] | None:
            if tx.execute("SELECT 1 FROM webauthn_credentials WHERE id = ?", (verified.id,)).fetchone():
                raise ApiError(409, "passkey_exists", "This passkey is already registered.")
            tx.execute(
                """INSERT INTO webauthn_credentials
                   (id, user_id, public_key, sign_count, name, created_at) VALUES (?, ?, ?, ?, ?, ?)""",
                (verified.id, user_id, verified.public_key, verified.sign_count, name, now),
            )
            audit.append(tx, principal, "user.passkey_add", f"user/{user_id}", name=name)
            return self._codes_if_none(tx, user_id, now)

        return verified.id, await self.db.write(write)

    async def passkeys_of(self, user_id: int) -> list[dict[str, Any]]:
        rows = await self.db.read(lambda c: c.execute(
            """SELECT id, name, created_at, last_used_at FROM webauthn_credentials
               WHERE user_id = ? ORDER BY created_at""", (user_id,)).fetchall())
        return [{
            "id": r["id"], "name": r["name"], "created_at": int(r["created_at"] * 1000),
            "last_used_at": None if r["last_used_at"] is None else int(r["last_used_at"] * 1000),
        } for r in rows]

    async def passkey_delete(self, user_id: int, credential_id: str, principal: Any) -> None:
        def write(tx: Connection) -> None:
            row = tx.execute(
                "DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ? RETURNING id",
                (credential_id, user_id),
            ).fetchone()
            if row is None:
                raise ApiError(404, "not_found", "No such passkey on your account.")
            self._drop_codes_if_no_factor(tx, user_id)
            audit.append(tx, principal, "user.passkey_remove", f"user/{user_id}")

        await self.db.write(write)

    # -- the second step of sign-in ----------------------------------------------------------------
    def new_challenge(self, tx: Connection, user_id: int, ip: str | None, device: str | None) -> str:
        """A random challenge for the second step, kept by its hash only; its raw bytes are also
        the WebAuthn challenge, so a passkey's signature binds to this sign-in."""
        challenge = passkeys.b64url(secrets.token_bytes(32))
        now = self.clock()
        tx.execute("DELETE FROM login_challenges WHERE expires_at < ?", (now - 86400,))
        tx.execute(
            """INSERT INTO login_challenges (id, user_id, created_at, expires_at, ip, device)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (challenge_hash(challenge), user_id, now, now + CHALLENGE_TTL_S, ip, device),
        )
        return challenge

    async def verify(
        self,
        challenge: str,
        rp: passkeys.RelyingParty,
        start: Callable[[Connection, int, str], T],
        code: str | None = None,
        passkey: Any = None,
    ) -> T:
        """Check the second step; on success consume the challenge and call `start(tx, user_id,
        method)` in the same transaction (it opens the session). Raises ApiError otherwise."""
        now = self.clock()
        key = challenge_hash(challenge)
        row = await self.db.read(lambda c: c.execute(
            """SELECT c.user_id, c.expires_at, c.used_at, c.attempts, f.locked_until
               FROM login_challenges c LEFT JOIN second_factor_failures f ON f.user_id = c.user_id
               WHERE c.id = ?""", (key,)).fetchone())
        if row is None or row["used_at"] is not None or row["expires_at"] <= now or (
            row["attempts"] >= CHALLENGE_ATTEMPTS
        ):
            raise _bad("challenge_invalid", "This sign-in has expired or was used. Sign in again.")
        user_id = int(row["user_id"])
        if row["locked_until"] is not None and row["locked_until"] > now:
            wait = max(1, math.ceil(row["locked_until"] - now))
            raise ApiError(
                429, "second_factor_locked",
                f"Too many wrong codes. Try again in {math.ceil(wait / 60)} minutes.",
                headers={"Retry-After": str(wait)}, retry_after=wait,
            )
        found = await self._check(user_id, now, code, passkey, challenge, rp)
        if found is None:
            await self.db.write(lambda tx: self._failure(tx, key, user_id, now))
            raise _bad("bad_code", "That code is not right.")
        method, apply = found

        def succeed(tx: Connection) -> T:
            if tx.execute(
                """UPDATE login_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL
                   AND attempts < ? RETURNING id""",
                (now, key, CHALLENGE_ATTEMPTS),
            ).fetchone() is None:
                raise _bad("challenge_invalid", "This sign-in has expired or was used. Sign in again.")
            apply(tx)
            tx.execute("DELETE FROM second_factor_failures WHERE user_id = ?", (user_id,))
            return start(tx, user_id, method)

        return await self.db.write(succeed)

    async def _check(
        self, user_id: int, now: float, code: str | None, passkey: Any, challenge: str,
        rp: passkeys.RelyingParty,
    ) -> tuple[str, Callable[[Connection], None]] | None:
        """(method, what to write when the sign-in goes through) or None for a wrong factor."""
        if passkey is not None:
            return await self._check_passkey(user_id, now, passkey, challenge, rp)
        if code is None:
            return None
        if len(code) == TOTP_DIGITS and code.isdigit():
            row = await self.db.read(lambda c: c.execute(
                """SELECT secret, last_step FROM totp_secrets
                   WHERE user_id = ? AND confirmed_at IS NOT NULL""", (user_id,)).fetchone())
            secret = self.sealer.open(row["secret"], user_id) if row is not None else None
            step = self._matching_step(secret, code, now) if secret else None
            if step is None:
                return None
            if step <= row["last_step"]:
                raise _bad("code_used", "This code was used already. Wait for the next one.")

            def use_step(tx: Connection) -> None:
                if tx.execute(
                    """UPDATE totp_secrets SET last_step = ? WHERE user_id = ? AND last_step < ?
                       RETURNING user_id""", (step, user_id, step)).fetchone() is None:
                    raise _bad("code_used", "This code was used already. Wait for the next one.")

            return "totp", use_step
        wanted = normalise_recovery(code)
        rows = await self.db.read(lambda c: c.execute(
            "SELECT id, salt, code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
            (user_id,)).fetchall())
        for r in rows:
            if hmac.compare_digest(_recovery_hash(r["salt"], wanted), r["code_hash"]):
                code_id = r["id"]

                def use_code(tx: Connection, code_id: Any = code_id) -> None:
                    if tx.execute(
                        """UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL
                           RETURNING id""", (now, code_id)).fetchone() is None:
                        raise _bad("code_used", "This recovery code was used already.")

                return "recovery", use_code
        return None

    async def _check_passkey(
        self, user_id: int, now: float, credential: Any, challenge: str, rp: passkeys.RelyingParty
    ) -> tuple[str, Callable[[Connection], None]] | None:
        credential_id = credential.get("id") if isinstance(credential, dict) else None
        if not isinstance(credential_id, str):
            return None
        row = await self.db.read(lambda c: c.execute(
            "SELECT public_key, sign_count FROM webauthn_credentials WHERE id = ? AND user_id = ?",
            (credential_id, user_id)).fetchone())
        if row is None:
            return None
        sign_count = passkeys.verify_assertion(
            rp, credential, challenge, row["public_key"], int(row["sign_count"])
        )
        if sign_count is None:
            return None

        def use(tx: Connection) -> None:
            tx.execute(
                "UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ?",
                (sign_count, now, credential_id),
            )

        return "passkey", use

    def _failure(self, tx: Connection, key: str, user_id: int, now: float) -> None:
        tx.execute("UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ?", (key,))
        failures = bump(tx, "second_factor_failures", "user_id", user_id, now, ACCOUNT_WINDOW_S)
        if failures >= ACCOUNT_FAILURES:
            tx.execute("UPDATE second_factor_failures SET locked_until = ? WHERE user_id = ?",
                       (now + LOCK_S, user_id))
        audit.append(tx, None, "user.second_factor_failed", f"user/{user_id}", failures=failures)
        if failures == ACCOUNT_FAILURES:
            # An alert for the admins: someone who knows the password is guessing codes.
            audit.append(tx, None, "user.second_factor_locked", f"user/{user_id}", alert=True,
                         failures=failures, locked_for_s=LOCK_S)
