"""The facts the statistics read, as columns in memory, kept fresh by a change log.

Why not query SQLite for every figure: a quarter of a busy city is 100,000 incidents, and turning
that many rows into Python objects costs 300 ms of CPU here before any arithmetic, while a figure
must answer in under 200 ms. So each process keeps the incidents of the last `WINDOW_DAYS` (and
their assignments) as numpy columns, loads them once, and afterwards reads only what changed.

How it knows what changed: triggers stamp `stats_changes` on every insert or update of an incident
or an assignment. SQLite has one writer at a time, so a counter follows the commit order:
remembering the highest number seen and asking later for everything above it misses nothing,
however the clocks of the devices or the server move. PostgreSQL runs writers side by side, so
there the stamp is the writing transaction's id and the reader remembers its snapshot's oldest
running transaction instead (`app/stats/schema.py`, WATERMARK); the question asked later is the
same. The table holds one row per incident, so it never needs pruning.

A `Facts` is an immutable snapshot; a refresh builds a new one and swaps the reference, so a
figure computed in one reader thread never sees another thread's half-applied refresh.

    cache = FactsCache(clock=time.time)
    facts = await db.read(cache.current)     # refreshed: everything committed so far
    facts.arrived, facts.status, facts.a_unit ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.directory.routing import CATEGORIES
from app.incidents.intake import CHANNEL_KINDS
from app.incidents.state import STATUSES
from app.stats.schema import WATERMARK

WINDOW_DAYS = 400
# Above this share of changed incidents a full reload is cheaper than patching the columns.
RELOAD_SHARE = 0.2

# Columns of the incident matrix (float64; NaN where the row has NULL).
I_ARRIVED, I_TRIAGED, I_DISPATCHED, I_ACK, I_EN_ROUTE, I_ON_SCENE, I_RESOLVED, I_CLOSED = range(8)
I_STATUS, I_CATEGORY, I_WARD, I_LAT, I_LON, I_CHANNEL = range(8, 14)
WIDTH = 14
# Columns of the assignment matrix: the incident's row in the incident matrix, the unit's number.
A_INCIDENT, A_UNIT, A_DISPATCHED, A_ACK, A_EN_ROUTE, A_ON_SCENE, A_CLEARED, A_WITHDRAWN = range(8)


def _case(column: str, values: Sequence[str]) -> str:
    whens = " ".join(f"WHEN '{v}' THEN {k}" for k, v in enumerate(values))
    return f"CASE {column} {whens} ELSE -1 END"


# Everything numeric, so that one `np.array(rows)` converts the lot in C.
INCIDENT_SELECT = f"""SELECT i.arrived_at, i.triaged_at, i.dispatched_at, NULL, NULL, NULL,
    i.resolved_at, i.closed_at, {_case('i.status', STATUSES)}, {_case('i.category', CATEGORIES)},
    i.ward_code, i.lat, i.lon, {_case('i.channel', CHANNEL_KINDS[:-1])} FROM incidents i"""
# A number per incident that grows with insertion: SQLite's rowid, a column of its own on PostgreSQL.
ROW_NUMBER = {"sqlite": "i.rowid", "postgresql": "i.row_no"}
ASSIGNMENT_STAMPS = (
    "a.dispatched_at, a.acknowledged_at, a.en_route_at, a.on_scene_at, a.cleared_at, a.withdrawn_at"
)


class Facts:
    """One snapshot: incidents arrived in [since, until) and all their assignments."""

    def __init__(
        self,
        since: float,
        until: float,
        ids: list[str],
        incidents: np.ndarray,
        assignments: np.ndarray,
        units: list[str],
        seq: int,
        index: dict[str, int] | None = None,
    ) -> None:
        self.since, self.until, self.seq = since, until, seq
        self.ids = ids
        self.index = index if index is not None else {i: k for k, i in enumerate(ids)}
        self.units = units
        self.unit_index = {u: k for k, u in enumerate(units)}
        self.incidents = incidents
        self.assignments = assignments
        m, a = incidents, assignments
        self.arrived, self.triaged, self.dispatched = m[:, I_ARRIVED], m[:, I_TRIAGED], m[:, I_DISPATCHED]
        self.first_ack, self.first_en_route = m[:, I_ACK], m[:, I_EN_ROUTE]
        self.first_on_scene, self.resolved, self.closed = m[:, I_ON_SCENE], m[:, I_RESOLVED], m[:, I_CLOSED]
        self.status = m[:, I_STATUS].astype(np.int8)
        self.category = m[:, I_CATEGORY].astype(np.int8)
        self.ward = np.nan_to_num(m[:, I_WARD], nan=-1).astype(np.int64)
        self.lat, self.lon = m[:, I_LAT], m[:, I_LON]
        # 0 app, 1 phone, 2 web-lite, -1 any partner (CHANNEL_KINDS): the filter asks for kinds, not names.
        self.channel = m[:, I_CHANNEL].astype(np.int8)
        self.a_incident = a[:, A_INCIDENT].astype(np.int64)
        self.a_unit = a[:, A_UNIT].astype(np.int64)
        self.a_dispatched, self.a_ack = a[:, A_DISPATCHED], a[:, A_ACK]
        self.a_en_route, self.a_on_scene = a[:, A_EN_ROUTE], a[:, A_ON_SCENE]
        self.a_cleared, self.a_withdrawn = a[:, A_CLEARED], a[:, A_WITHDRAWN]

    def __len__(self) -> int:
        return len(self.ids)

    def covers(self, lo: float, hi: float) -> bool:
        return self.since <= lo and hi <= self.until


def _first_stamps(incidents: np.ndarray, assignments: np.ndarray) -> None:
    """The first acknowledgement, en route and on scene of any unit (withdrawn ones too: they
    did answer), written into the incident matrix in place."""
    rows = assignments[:, A_INCIDENT].astype(np.int64)
    for inc_col, a_col in ((I_ACK, A_ACK), (I_EN_ROUTE, A_EN_ROUTE), (I_ON_SCENE, A_ON_SCENE)):
        first = np.full(len(incidents), np.nan)
        np.fmin.at(first, rows, assignments[:, a_col])
        incidents[:, inc_col] = first


def _matrix(rows: list[Any], width: int) -> np.ndarray:
    if not rows:
        return np.empty((0, width))
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def load(conn: Any, since: float, until: float = float("inf")) -> Facts:
    """Read incidents arrived in [since, until) and their assignments, in one read transaction."""
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN")
    try:
        seq = conn.execute(WATERMARK[conn.dialect]).fetchone()[0]
        where = "i.arrived_at >= ? AND i.arrived_at < ?"
        bounds = (since, until)
        cur = conn.cursor()
        cur.row_factory = None  # plain tuples: a sqlite3.Row per row costs a third more
        rowid = ROW_NUMBER[conn.dialect]
        keys = cur.execute(
            f"SELECT {rowid}, i.id FROM incidents i WHERE {where} ORDER BY {rowid}", bounds
        ).fetchall()
        incidents = _matrix(
            cur.execute(f"{INCIDENT_SELECT} WHERE {where} ORDER BY {rowid}", bounds).fetchall(), WIDTH
        )
        raw = cur.execute(
            f"""SELECT {rowid}, a.unit, {ASSIGNMENT_STAMPS} FROM assignments a
                JOIN incidents i ON i.id = a.incident_id WHERE {where}""",
            bounds,
        ).fetchall()
    finally:
        if own_tx:
            conn.execute("COMMIT")
    ids = [k[1] for k in keys]
    rowids = np.fromiter((k[0] for k in keys), np.int64, len(keys))
    units: list[str] = []
    unit_index: dict[str, int] = {}
    for r in raw:
        if r[1] not in unit_index:
            unit_index[r[1]] = len(units)
            units.append(r[1])
    assignments = _matrix([(r[0], unit_index[r[1]], *r[2:]) for r in raw], 8)
    if len(assignments):
        assignments[:, A_INCIDENT] = np.searchsorted(rowids, assignments[:, A_INCIDENT])
    _first_stamps(incidents, assignments)
    return Facts(since, until, ids, incidents, assignments, units, seq)


def _patch(conn: Any, facts: Facts, changed: list[str], seq: int) -> Facts:
    """A new snapshot with the changed incidents (and all their assignments) read again."""
    marks = ",".join("?" * len(changed))
    cur = conn.cursor()
    cur.row_factory = None
    rows = cur.execute(
        f"""SELECT i.id, {INCIDENT_SELECT.removeprefix("SELECT ")}
            WHERE i.id IN ({marks}) AND i.arrived_at >= ? AND i.arrived_at < ?""",
        (*changed, facts.since, facts.until),
    ).fetchall()
    raw = cur.execute(
        f"SELECT a.incident_id, a.unit, {ASSIGNMENT_STAMPS} FROM assignments a"
        f" WHERE a.incident_id IN ({marks})",
        changed,
    ).fetchall()
    ids, index = list(facts.ids), dict(facts.index)
    for r in rows:
        if r[0] not in index:  # a new incident
            index[r[0]] = len(ids)
            ids.append(r[0])
    incidents = np.empty((len(ids), WIDTH))
    incidents[: len(facts)] = facts.incidents
    if rows:
        incidents[[index[r[0]] for r in rows]] = _matrix([r[1:] for r in rows], WIDTH)
    units, unit_index = list(facts.units), dict(facts.unit_index)
    fresh = []
    for r in raw:
        if r[0] not in index:
            continue  # an incident older than the window
        if r[1] not in unit_index:
            unit_index[r[1]] = len(units)
            units.append(r[1])
        fresh.append((index[r[0]], unit_index[r[1]], *r[2:]))
    part = _matrix(fresh, 8)
    touched = np.unique(np.array([index[c] for c in changed if c in index], dtype=np.int64))
    keep = ~np.isin(facts.a_incident, touched)
    assignments = np.concatenate([facts.assignments[keep], part])
    if len(touched):
        # The first stamps of the touched incidents, from their own assignments only.
        sub, local = incidents[touched], part.copy()
        local[:, A_INCIDENT] = np.searchsorted(touched, part[:, A_INCIDENT])
        _first_stamps(sub, local)
        incidents[touched] = sub
    return Facts(facts.since, facts.until, ids, incidents, assignments, units, seq, index)


class FactsCache:
    """Per process: the current `Facts` of the last `window_days`, refreshed on each use."""

    def __init__(self, clock: Callable[[], float] = time.time, window_days: int = WINDOW_DAYS):
        self.clock = clock
        self.window_days = window_days
        self._facts: Facts | None = None
        self._lock = threading.Lock()
        self.loads = 0  # full loads, for tests and the benchmark

    def current(self, conn: Any) -> Facts:
        with self._lock:
            facts = self._facts
            if facts is None:
                facts = self._reload(conn)
            else:
                conn.execute("BEGIN")
                try:
                    seq = conn.execute(WATERMARK[conn.dialect]).fetchone()[0]
                    # On PostgreSQL an unchanged watermark does not mean nothing changed (a write
                    # that is still running holds it back while later ones commit): always ask.
                    changed = [] if seq == facts.seq and conn.dialect == "sqlite" else [
                        r[0]
                        for r in conn.execute(
                            "SELECT incident_id FROM stats_changes WHERE seq > ?", (facts.seq,)
                        )
                    ]
                    if changed:
                        if len(changed) > max(1000, RELOAD_SHARE * len(facts)):
                            conn.execute("COMMIT")
                            facts = self._reload(conn)
                        else:
                            facts = _patch(conn, facts, changed, seq)
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            self._facts = facts
            return facts

    def _reload(self, conn: Any) -> Facts:
        self.loads += 1
        return load(conn, self.clock() - self.window_days * 86400)

    def facts_for(self, conn: Any, lo: float, hi: float) -> Facts:
        """The cached snapshot when it covers [lo, hi); otherwise a one-off load of that period."""
        facts = self.current(conn)
        return facts if facts.covers(lo, hi) else load(conn, lo, hi)
