"""A police user's sessions: listed with a readable device, ended one by one or all at once, and
their last use kept fresh without a write on every request.

    rows = sessions.listed(conn, user_id, now, current_session_id)
    ended = sessions.revoke(tx, user_id, now, except_id=principal.session_id)  # session ids
    for sid in ended: await services.signed_out(sid)   # closes its WebSockets and streams

A session's `id` in the API is `public_id(session_id)`: the session id itself is inside every
token of that session, so it is never shown (a screenshot of the sessions list must not help
anyone forge or guess a token).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

from app.storage.base import Connection, Database

log = logging.getLogger(__name__)

# `last_seen_at` is written at most this often per session (a write per request would double the
# database writes of every police request for a figure shown to the minute).
SEEN_EVERY_S = 60

_BROWSERS = (  # the first that matches names the browser: Edge and Opera also say "Chrome"
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Zalo", re.compile(r"\bZalo\b", re.I)),
    ("Cốc Cốc", re.compile(r"\bcoc_coc_browser/|\bCocCoc\b", re.I)),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\bChrome/|\bCriOS/|\bChromium/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+ (Mobile/\S+ )?Safari/")),
    ("curl", re.compile(r"^curl/")),
    ("Python", re.compile(r"^python-(httpx|requests)|^Python-urllib")),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\b(iPhone|iPad|iPod)\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def public_id(session_id: str) -> str:
    return hashlib.sha256(b"sos.session|" + session_id.encode()).hexdigest()[:24]


def device_label(user_agent: str | None) -> str:
    """"Chrome · Android" from a raw User-Agent; "" when nothing is recognised."""
    if not user_agent:
        return ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    return " · ".join(part for part in (browser, system) if part)


def listed(conn: Any, user_id: int, now: float, current: str | None = None) -> list[dict[str, Any]]:
    """The user's live sessions (unexpired, unrevoked), newest first, as the API shows them."""
    rows = conn.execute(
        """SELECT id, device, ip, created_at, last_seen_at, second_factor FROM sessions
           WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
           ORDER BY created_at DESC""",
        (user_id, now),
    ).fetchall()
    return [
        {
            "id": public_id(r["id"]),
            "device": device_label(r["device"]),
            "user_agent": r["device"],
            "ip": r["ip"],
            "created_at": _ms(r["created_at"]),
            "last_seen_at": _ms(r["last_seen_at"] or r["created_at"]),
            "second_factor": r["second_factor"],
            "current": r["id"] == current,
        }
        for r in rows
    ]


def counts(conn: Any, user_ids: list[int], now: float) -> dict[int, int]:
    """Live sessions per user, for the admin's list of users."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    return {
        int(r[0]): int(r[1])
        for r in conn.execute(
            f"""SELECT user_id, COUNT(*) FROM sessions WHERE user_id IN ({marks})
                AND revoked_at IS NULL AND expires_at > ? GROUP BY user_id""",
            (*user_ids, now),
        )
    }


def revoke(
    tx: Connection,
    user_id: int,
    now: float,
    *,
    only: str | None = None,
    except_id: str | None = None,
) -> list[str]:
    """Revoke the user's live sessions (`only` one, by public id; or all but `except_id`) and
    return their session ids: the caller must then end their live connections (signed_out)."""
    live = [
        str(r[0])
        for r in tx.execute(
            "SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
            (user_id, now),
        )
    ]
    ended = [
        sid for sid in live
        if (only is None or public_id(sid) == only) and sid != except_id
    ]
    if ended:
        marks = ",".join("?" * len(ended))
        tx.execute(
            f"UPDATE sessions SET revoked_at = ? WHERE id IN ({marks}) AND revoked_at IS NULL",
            (now, *ended),
        )
    return ended


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


class SeenRecorder:
    """Keeps `sessions.last_seen_at` fresh off the request path.

    The authenticator reads each session on every request anyway (with its `last_seen_at`); when
    that is older than `SEEN_EVERY_S` it calls `saw()`, which only notes the session in memory.
    One task writes what was noted in a single statement, and the write itself is conditional,
    so several processes seeing the same session write it once a minute between them.
    """

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock
        self._pending: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def stale(self, last_seen_at: float | None, created_at: float) -> bool:
        return self.clock() - (last_seen_at or created_at) >= SEEN_EVERY_S

    def saw(self, session_id: str) -> None:
        if session_id in self._pending:
            return
        self._pending[session_id] = self.clock()
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):  # no running loop (a CLI read): skip
                self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._pending:
            batch = list(self._pending.items())
            try:
                await self.db.write(lambda tx, batch=batch: _touch(tx, batch))
            except Exception:  # a figure for people, never worth failing anything for
                log.warning("could not record the sessions' last use", exc_info=True)
            for sid, _ in batch:
                self._pending.pop(sid, None)

    async def drain(self) -> None:
        """Wait for the writes noted so far (tests, shutdown)."""
        if self._task is not None:
            await self._task


def _touch(tx: Connection, batch: list[tuple[str, float]]) -> None:
    tx.executemany(
        """UPDATE sessions SET last_seen_at = ? WHERE id = ?
           AND (last_seen_at IS NULL OR last_seen_at <= ?)""",
        [(at, sid, at - SEEN_EVERY_S) for sid, at in batch],
    )
