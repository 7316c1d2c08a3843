"""An account's life after it was made: disabled and enabled again, its password reset by an
admin or changed by its owner, its sessions ended. The same operations for the admin API and
the `sos user` command.

    lifecycle = services.lifecycle
    user = await lifecycle.disable(admin_principal, user_id)          # sessions ended everywhere
    password = await lifecycle.reset_password(admin_principal, user_id)
    lifecycle.disable_sync(CLI_ACTOR, "lan")                                 # the command line

Every operation that revokes sessions then ends their live connections (sync WebSockets and
position streams) in every process: through `signed_out` (Services.signed_out) in a server;
from the command line, through the database's NOTIFY on PostgreSQL, and on SQLite through the
server's own look at newly revoked sessions (`RevocationWatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from app.errors import ApiError
from app.identity import audit, importing, passwords, second_factor, sessions
from app.identity.accounts import hash_password, verify_password
from app.identity.auth import Principal
from app.storage.base import Connection, Database

log = logging.getLogger(__name__)

# The command line as an audit actor.
CLI_ACTOR = Principal(kind="server", id="cli", role="server", username="cli")

def setup_invalid() -> ApiError:
    return ApiError(
        401, "setup_invalid", "This set-up link was already used, has expired, or does not exist. "
        "Ask your administrator for a new one.",
    )


USER_COLUMNS = """id, username, display_name, role, unit, phone, active, disabled_at, disabled_by,
    must_change_password, created_at"""


def user_row(conn: Any, user_id: int | None = None, username: str | None = None) -> dict[str, Any]:
    if user_id is not None:
        row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    else:
        row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", f"No such user: {username or user_id}.")
    return dict(row)


def public_user(
    row: dict[str, Any], live_sessions: int = 0, second_factor: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An account as the admin API shows it (times in ms since the epoch)."""
    return {
        "id": int(row["id"]),
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "unit": row["unit"],
        "phone": row["phone"],
        "active": bool(row["active"]),
        "disabled_at": _ms(row["disabled_at"]),
        "must_change_password": bool(row["must_change_password"]),
        "second_factor": second_factor or dict(NO_SECOND_FACTOR),
        "sessions": live_sessions,
        "created_at": _ms(row["created_at"]),
    }


NO_SECOND_FACTOR = {"totp": False, "passkeys": 0}


def second_factor_summaries(conn: Any, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{user id: {totp, passkeys}} (`second_factor.summary`)."""
    return {
        user_id: {"totp": bool(f.get("totp")), "passkeys": int(f.get("passkeys") or 0)}
        for user_id, f in second_factor.summary(conn, user_ids).items()
    }


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


# -- the operations, inside the caller's transaction ---------------------------------------------
def disable(tx: Connection, actor: Principal, user_id: int, now: float) -> tuple[dict[str, Any], list[str]]:
    if actor.kind == "user" and int(actor.id) == user_id:
        raise ApiError(409, "self", "You cannot disable your own account.")
    user = user_row(tx, user_id)
    if user["active"]:
        tx.execute(
            "UPDATE users SET active = 0, disabled_at = ?, disabled_by = ? WHERE id = ?",
            (now, actor.username or actor.id, user_id),
        )
    ended = sessions.revoke(tx, user_id, now)
    audit.append(tx, actor, "user.disable", f"user/{user_id}", at=now, sessions_ended=len(ended))
    return user_row(tx, user_id), ended


def enable(tx: Connection, actor: Principal, user_id: int, now: float) -> dict[str, Any]:
    user_row(tx, user_id)
    tx.execute(
        "UPDATE users SET active = 1, disabled_at = NULL, disabled_by = NULL WHERE id = ?", (user_id,)
    )
    audit.append(tx, actor, "user.enable", f"user/{user_id}", at=now)
    return user_row(tx, user_id)


def reset_password(
    tx: Connection, actor: Principal, user_id: int, password_hash: str, now: float
) -> list[str]:
    user_row(tx, user_id)
    tx.execute(
        "UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?",
        (password_hash, user_id),
    )
    # A set-up link not used yet would be a second way in: void it.
    tx.execute(
        "UPDATE setup_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (now, user_id)
    )
    ended = sessions.revoke(tx, user_id, now)
    audit.append(tx, actor, "user.reset_password", f"user/{user_id}", at=now, sessions_ended=len(ended))
    return ended


def end_sessions(
    tx: Connection, actor: Principal, user_id: int, now: float,
    only: str | None = None, except_id: str | None = None,
) -> list[str]:
    ended = sessions.revoke(tx, user_id, now, only=only, except_id=except_id)
    if ended:
        audit.append(tx, actor, "user.sessions_end", f"user/{user_id}", at=now, sessions=len(ended))
    return ended


class Lifecycle:
    """The operations with their side effects: argon2 off the loop, live connections ended."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float],
        signed_out: Callable[[str], Awaitable[None]],
        announce_in: Callable[[Connection, str], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signed_out = signed_out
        # Whether an account must still enrol a second factor (conn, user id) -> bool: then the
        # "password" session that has just chosen its password becomes an "enrol" one, not a
        # full one. The sign-in's rule (SignIn.enrolment_due) is set here by Services; None:
        # no second factor is ever due.
        self.enrolment_due: Callable[[Any, int], bool] | None = None
        # Inside a transaction: tell the other processes (PostgreSQL NOTIFY) of a session ended
        # from the command line, which has no live connections of its own.
        self.announce_in = announce_in

    def scope_after_password_change(self, conn: Any, user_id: int) -> str | None:
        """Full (None), unless a second factor must still be enrolled ("enrol")."""
        due = self.enrolment_due
        return "enrol" if due is not None and due(conn, user_id) else None

    async def _ended(self, ended: list[str]) -> int:
        for session_id in ended:
            await self.signed_out(session_id)
        return len(ended)

    # -- admin API -------------------------------------------------------------------------------
    async def disable(self, actor: Principal, user_id: int) -> dict[str, Any]:
        user, ended = await self.db.write(lambda tx: disable(tx, actor, user_id, self.clock()))
        await self._ended(ended)
        return user

    async def enable(self, actor: Principal, user_id: int) -> dict[str, Any]:
        return await self.db.write(lambda tx: enable(tx, actor, user_id, self.clock()))

    async def reset_password(self, actor: Principal, user_id: int) -> str:
        password = passwords.one_time()
        password_hash = await asyncio.to_thread(hash_password, password)
        ended = await self.db.write(
            lambda tx: reset_password(tx, actor, user_id, password_hash, self.clock())
        )
        await self._ended(ended)
        return password

    async def end_sessions(
        self, actor: Principal, user_id: int, only: str | None = None, except_id: str | None = None
    ) -> int:
        ended = await self.db.write(
            lambda tx: end_sessions(tx, actor, user_id, self.clock(), only, except_id)
        )
        return await self._ended(ended)

    async def reset_second_factor(self, actor: Principal, user_id: int) -> dict[str, Any]:
        """A lost phone or key: the account's TOTP, passkeys and recovery codes are removed (it
        enrols again at its next sign-in) and its sessions end — the lost device's too."""
        def write(tx: Connection) -> tuple[dict[str, Any], list[str]]:
            now = self.clock()
            user_row(tx, user_id)
            second_factor.reset(tx, user_id)
            ended = sessions.revoke(tx, user_id, now)
            audit.append(tx, actor, "user.second_factor_reset", f"user/{user_id}", at=now,
                         sessions_ended=len(ended))
            return user_row(tx, user_id), ended

        user, ended = await self.db.write(write)
        await self._ended(ended)
        return user

    async def change_password(self, principal: Principal, current: str, new: str) -> int:
        """The owner's own change (forced or not): the other sessions end, this one becomes
        full (or "enrol"). Returns how many other sessions ended."""
        user_id = int(principal.id)
        row = await self.db.read(
            lambda c: c.execute(
                "SELECT password_hash, username, display_name FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        )
        if row is None or not passwords.is_text(current) or not await asyncio.to_thread(
            verify_password, row["password_hash"], current
        ):
            raise ApiError(403, "bad_credentials", "The current password is not right.", field="current_password")
        if new == current:
            raise passwords.WeakPassword("Choose a password different from the current one.").api_error()
        try:
            passwords.check(new, row["username"], row["display_name"])
        except passwords.WeakPassword as exc:
            raise exc.api_error() from exc
        password_hash = await asyncio.to_thread(hash_password, new)

        def write(tx: Connection) -> list[str]:
            now = self.clock()
            tx.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                (password_hash, user_id),
            )
            if principal.scope == "password":  # a full session stays full
                tx.execute(
                    "UPDATE sessions SET scope = ? WHERE id = ?",
                    (self.scope_after_password_change(tx, user_id), principal.session_id),
                )
            ended = sessions.revoke(tx, user_id, now, except_id=principal.session_id)
            audit.append(tx, principal, "user.password_change", f"user/{user_id}", at=now,
                         sessions_ended=len(ended))
            return ended

        return await self._ended(await self.db.write(write))

    async def set_up(self, token: str, new: str) -> int:
        """A set-up link used: the account gets the password its owner chose; the link is spent.
        Returns the user id. 401 `setup_invalid` for a used, expired or unknown link."""
        if not importing.TOKEN_SHAPE.fullmatch(token):
            raise setup_invalid()
        digest = importing.token_hash(token)
        now = self.clock()
        row = await self.db.read(
            lambda c: c.execute(
                """SELECT u.id, u.username, u.display_name FROM setup_links l
                   JOIN users u ON u.id = l.user_id
                   WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND u.active = 1""",
                (digest, now),
            ).fetchone()
        )
        if row is None:
            raise setup_invalid()
        try:
            passwords.check(new, row["username"], row["display_name"])
        except passwords.WeakPassword as exc:
            raise exc.api_error() from exc
        password_hash = await asyncio.to_thread(hash_password, new)
        user_id = int(row["id"])

        def write(tx: Connection) -> None:
            spent = tx.execute(
                "UPDATE setup_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                (self.clock(), digest),
            ).rowcount
            if spent != 1:  # used at the same moment by another request
                raise setup_invalid()
            tx.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                (password_hash, user_id),
            )
            tx.execute(  # any other link of this account is void now
                "UPDATE setup_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                (self.clock(), user_id),
            )
            audit.append(tx, None, "user.setup", f"user/{user_id}")

        await self.db.write(write)
        return user_id

    async def import_users(self, data: bytes, actor: Principal) -> list[importing.Credential]:
        """Check the whole file, then create every account in one transaction (the check runs
        inside that transaction, so a username taken meanwhile refuses the file too)."""
        rows = importing.parse(data)
        unusable = await asyncio.to_thread(hash_password, secrets.token_urlsafe(32))
        return await self.db.write(lambda tx: self._import(tx, rows, actor, unusable))

    def import_users_sync(self, data: bytes, actor: Principal,
                          progress: Callable[[int, int], None] | None = None) -> list[importing.Credential]:
        rows = importing.parse(data)
        unusable = hash_password(secrets.token_urlsafe(32))
        return self.db.write_sync(lambda tx: self._import(tx, rows, actor, unusable, progress))  # type: ignore[no-any-return]

    def _import(
        self, tx: Connection, rows: list[importing.Row], actor: Principal, unusable: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[importing.Credential]:
        problems = importing.check(tx, rows)
        if problems:
            raise importing.ImportRefused(problems)
        return importing.write(tx, rows, actor, self.clock(), unusable, progress)

    # -- command line ----------------------------------------------------------------------------
    def _write_sync(self, fn: Callable[[Connection], Any]) -> Any:
        def with_notice(tx: Connection) -> Any:
            result = fn(tx)
            ended = result[1] if isinstance(result, tuple) else result
            if self.announce_in is not None and isinstance(ended, list):
                for session_id in ended:
                    self.announce_in(tx, session_id)
            return result

        return self.db.write_sync(with_notice)

    def _id_of(self, username: str) -> int:
        return int(self.db.read_sync(lambda c: user_row(c, username=username))["id"])

    def disable_sync(self, actor: Principal, username: str) -> tuple[dict[str, Any], list[str]]:
        user_id = self._id_of(username)
        return self._write_sync(lambda tx: disable(tx, actor, user_id, self.clock()))  # type: ignore[no-any-return]

    def enable_sync(self, actor: Principal, username: str) -> dict[str, Any]:
        user_id = self._id_of(username)
        return self.db.write_sync(lambda tx: enable(tx, actor, user_id, self.clock()))

    def reset_password_sync(self, actor: Principal, username: str) -> tuple[str, list[str]]:
        user_id = self._id_of(username)
        password = passwords.one_time()
        password_hash = hash_password(password)
        ended = self._write_sync(lambda tx: reset_password(tx, actor, user_id, password_hash, self.clock()))
        return password, ended

    def sessions_sync(self, username: str) -> list[dict[str, Any]]:
        user_id = self._id_of(username)
        return self.db.read_sync(lambda c: sessions.listed(c, user_id, self.clock()))  # type: ignore[no-any-return]

    def end_sessions_sync(self, actor: Principal, username: str) -> list[str]:
        user_id = self._id_of(username)
        return self._write_sync(lambda tx: end_sessions(tx, actor, user_id, self.clock()))  # type: ignore[no-any-return]


class RevocationWatch:
    """On SQLite, the command line (`sos user disable`) is another process than the server and
    cannot reach its open connections; PostgreSQL's NOTIFY does that job there. So a server on
    SQLite looks for sessions revoked since its last look, twice a second (an indexed query
    that finds nothing almost always), and ends their live connections."""

    INTERVAL_S = 0.5

    def __init__(self, db: Database, end_streams: Callable[[str], None]) -> None:
        self.db = db
        self.end_streams = end_streams
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        mark = await self.db.read(
            lambda c: c.execute("SELECT MAX(revoked_at) FROM sessions").fetchone()[0]
        ) or 0.0
        while True:
            await asyncio.sleep(self.INTERVAL_S)
            try:
                rows = await self.db.read(lambda c, since=mark: c.execute(
                    "SELECT id, revoked_at FROM sessions WHERE revoked_at > ?", (since,)
                ).fetchall())
            except Exception:  # the next look will catch up
                log.warning("could not look for revoked sessions", exc_info=True)
                continue
            for row in rows:
                self.end_streams(str(row[0]))
                mark = max(mark, float(row[1]))
