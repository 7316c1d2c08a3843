"""Where the units are: officers' position fixes while on duty, the latest of each, and a short track.

An officer's phone sends fixes (`{lat, lon, accuracy, at}`, `at` in ms of the phone's clock);
`record` keeps the newest one per officer in `officer_positions_latest` (what the console shows)
and every fix in `officer_positions` (the track a supervisor may replay for a past incident).
Neither outlives `Settings.position_retention_s`: every write queues, once per hour of arrivals,
an outbox item `positions.prune` due when that hour's fixes have aged out (`Retention`), so the
deletion runs on the one job runner, on every backend, even if no officer sends anything later.

On duty means availability `available` or `busy` (app/web/officers.py); nobody else is listed,
whatever the table still holds. The live channel for the console is `PositionsHub` (a server-sent
stream per console, fed across processes by the sync engine's NOTIFY peers): docs/positions.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.storage import outbox
from app.storage.base import Connection, Database
from app.storage.outbox import Item, Worker

ON_DUTY = ("available", "busy")
# A fix this far ahead of the server's clock is a wrong clock, not a fix: refused.
MAX_FUTURE_S = 120
# Worse than this and the fix says nothing useful about which street the officer is in.
MAX_ACCURACY_M = 5000
MAX_BATCH = 200
PRUNE_BUCKET_S = 3600


class InvalidFix(ValueError):
    """A fix out of range or malformed; the message says which value and why."""


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    accuracy: float
    at: float  # s since epoch, the phone's clock


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        raise InvalidFix(f"{name} is missing.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidFix(f"{name} must be a number.")
    if not low <= value <= high:
        raise InvalidFix(f"{name} must be between {low:g} and {high:g}.")
    return float(value)


def parse_fix(body: Any, now: float) -> Fix:
    if not isinstance(body, dict):
        raise InvalidFix("each fix must be a JSON object {lat, lon, accuracy, at}.")
    lat = _number(body, "lat", -90, 90)
    lon = _number(body, "lon", -180, 180)
    accuracy = _number(body, "accuracy", 0, MAX_ACCURACY_M)
    at = _number(body, "at", 0, (now + MAX_FUTURE_S) * 1000) / 1000
    return Fix(lat, lon, accuracy, at)


def parse_fixes(body: Any, now: float) -> list[Fix]:
    """One fix (an object) or the offline batch (a list of them, oldest first or not)."""
    if isinstance(body, list):
        if not 1 <= len(body) <= MAX_BATCH:
            raise InvalidFix(f"a batch holds 1 to {MAX_BATCH} fixes.")
        return [parse_fix(item, now) for item in body]
    return [parse_fix(body, now)]


def availability_of(tx: Connection, user_id: int) -> str | None:
    """The officer's availability now (None: never said)."""
    row = tx.execute(
        "SELECT status FROM officer_availability WHERE user_id = ?", (user_id,)
    ).fetchone()
    return None if row is None else str(row["status"])


def record(tx: Connection, user_id: int, fixes: list[Fix], now: float, retention_s: int) -> int:
    """Keep the fixes young enough to keep; the newest becomes the latest if it is newer than the
    stored one (a batch from a phone that was offline arrives after fresher ones may have).
    Returns how many were kept."""
    keep = [f for f in fixes if f.at >= now - retention_s]
    if not keep:
        return 0
    tx.executemany(
        """INSERT INTO officer_positions (user_id, lat, lon, accuracy, at, received_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, at) DO NOTHING""",
        [(user_id, f.lat, f.lon, f.accuracy, f.at, now) for f in keep],
    )
    newest = max(keep, key=lambda f: f.at)
    tx.execute(
        """INSERT INTO officer_positions_latest (user_id, lat, lon, accuracy, at, received_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon,
               accuracy = excluded.accuracy, at = excluded.at, received_at = excluded.received_at
           WHERE excluded.at > officer_positions_latest.at""",
        (user_id, newest.lat, newest.lon, newest.accuracy, newest.at, now),
    )
    bucket = int(now // PRUNE_BUCKET_S)
    outbox.enqueue(
        tx, "positions.prune", f"positions.prune:{bucket}", {"bucket": bucket},
        run_at=(bucket + 1) * PRUNE_BUCKET_S + retention_s,
    )
    return len(keep)


# The incident an officer is on: the last one they acknowledged, set off to or reached, still open,
# with their unit still on it (not cleared, not withdrawn).
_INCIDENT = """(SELECT e.incident_id FROM timeline_events e
    JOIN incidents i ON i.id = e.incident_id
    JOIN assignments a ON a.incident_id = e.incident_id AND a.unit = u.unit
    WHERE e.user_id = CAST(u.id AS TEXT) AND e.log = 'timeline'
      AND e.kind IN ('acknowledged', 'en_route', 'on_scene')
      AND i.status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')
      AND a.cleared_at IS NULL AND a.withdrawn_at IS NULL
    ORDER BY e.received_at DESC LIMIT 1)"""

_LATEST = f"""
SELECT u.id, u.username, u.display_name, u.unit, p.lat, p.lon, p.accuracy, p.at,
       a.status AS availability, {_INCIDENT} AS incident
FROM officer_positions_latest p
JOIN users u ON u.id = p.user_id AND u.role = 'officer' AND u.active = 1
JOIN officer_availability a ON a.user_id = u.id
WHERE a.status IN ('available', 'busy') AND p.at >= ?
"""


def _public(row: Any, now: float, stale_s: int) -> dict[str, Any]:
    data = dict(row)
    data.pop("id", None)
    data["at"] = round(data["at"] * 1000)  # ms, like every time the apps read
    data["stale"] = now - data["at"] / 1000 > stale_s
    return data


def latest(
    conn: Connection, now: float, retention_s: int, stale_s: int, user_id: int | None = None
) -> list[dict[str, Any]]:
    """The latest position of each on-duty officer (or of one), oldest data past retention left out."""
    sql, args = _LATEST, [now - retention_s]
    if user_id is not None:
        sql += " AND u.id = ?"
        args.append(user_id)
    sql += " ORDER BY u.unit, u.username"
    return [_public(r, now, stale_s) for r in conn.execute(sql, args)]


def track(conn: Connection, incident_id: str, username: str) -> dict[str, Any] | None:
    """The officer's fixes between their unit's dispatch to the incident and its clearing (or the
    incident's end, or now). None when the officer or their unit's assignment does not exist."""
    who = conn.execute(
        "SELECT id, username, display_name, unit FROM users WHERE username = ? AND role = 'officer'",
        (username,),
    ).fetchone()
    if who is None:
        return None
    span = conn.execute(
        """SELECT a.dispatched_at, COALESCE(a.cleared_at, a.withdrawn_at, i.resolved_at, i.closed_at)
               AS ended_at
           FROM assignments a JOIN incidents i ON i.id = a.incident_id
           WHERE a.incident_id = ? AND a.unit = ? AND a.dispatched_at IS NOT NULL""",
        (incident_id, who["unit"]),
    ).fetchone()
    if span is None:
        return None
    start, end = span["dispatched_at"], span["ended_at"]
    sql = "SELECT lat, lon, accuracy, at FROM officer_positions WHERE user_id = ? AND at >= ?"
    args: list[Any] = [who["id"], start]
    if end is not None:
        sql += " AND at <= ?"
        args.append(end)
    points = [
        {"lat": r["lat"], "lon": r["lon"], "accuracy": r["accuracy"], "at": round(r["at"] * 1000)}
        for r in conn.execute(sql + " ORDER BY at", args)
    ]
    return {
        "incident": incident_id,
        "officer": who["username"],
        "display_name": who["display_name"],
        "unit": who["unit"],
        "from": round(start * 1000),
        "to": None if end is None else round(end * 1000),
        "positions": points,
    }


def prune(tx: Connection, before: float) -> int:
    gone = tx.execute("DELETE FROM officer_positions WHERE at < ?", (before,)).rowcount
    gone += tx.execute("DELETE FROM officer_positions_latest WHERE at < ?", (before,)).rowcount
    return int(gone)


class Retention:
    """The `positions.prune` job: fixes older than the retention setting are deleted."""

    def __init__(self, db: Database, retention_s: int) -> None:
        self.db = db
        self.retention_s = retention_s

    def register(self, worker: Worker) -> None:
        worker.register("positions.prune", self.prune_due)

    async def prune_due(self, item: Item) -> None:
        def run(tx: Connection) -> None:
            prune(tx, time.time() - self.retention_s)
            Worker.complete_in(tx, item)

        await self.db.write(run)


class PositionsHub:
    """The consoles listening here (one queue each) and the other processes' announcements.

    `announce(tx, row)` inside the write that changed an officer's row tells the other processes
    (PostgreSQL NOTIFY through the sync engine's peers, sent at commit); `deliver(row)` after the
    commit hands it to this process's listeners. A listener too slow to keep up is dropped: its
    console reconnects and starts again from a full list.
    """

    EVENT = "unit_position"

    def __init__(self, peers: Any = None, backlog: int = 256) -> None:
        self.peers = peers
        self.backlog = backlog
        # Each listening console's queue, with the session it was opened with (ended at sign-out).
        self._queues: dict[asyncio.Queue[dict[str, Any] | None], str | None] = {}
        if peers is not None:
            peers.on(self.EVENT, self.deliver)

    def announce(self, tx: Connection, row: dict[str, Any]) -> None:
        if self.peers is not None:
            self.peers.publish_in(tx, self.EVENT, row)

    def deliver(self, row: dict[str, Any]) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(row)
            except asyncio.QueueFull:
                self._end(queue)  # the console reconnects and starts from a full list

    def end_session(self, session_id: str) -> None:
        """Signed out: that session's streams end now, not when the console next reconnects."""
        for queue, session in list(self._queues.items()):
            if session is not None and session == session_id:
                self._end(queue)

    def _end(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._queues.pop(queue, None)
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                queue.get_nowait()
        queue.put_nowait(None)  # the end: the stream closes

    @contextlib.contextmanager
    def listen(self, session_id: str | None = None) -> Iterator[asyncio.Queue[dict[str, Any] | None]]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(self.backlog)
        self._queues[queue] = session_id
        try:
            yield queue
        finally:
            self._queues.pop(queue, None)

    @property
    def listeners(self) -> int:
        return len(self._queues)


def gone_row(username: str, unit: str | None, availability: str | None) -> dict[str, Any]:
    """What a console hears when an officer leaves duty: take them off the map."""
    return {"username": username, "unit": unit, "availability": availability, "lat": None, "lon": None}


def event_json(row: Any) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))
