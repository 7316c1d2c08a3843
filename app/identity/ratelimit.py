"""Rate limits as a generic cell rate algorithm (GCRA): O(1) state per key, exact Retry-After.

`RateLimiter` keeps the state in process memory: on SQLite one process is the whole app.
`SharedRateLimiter` keeps it in the database, one row per key, for several web processes on
PostgreSQL: each hit is one atomic upsert, so the processes share one budget.

    limiter = RateLimiter()          # or SharedRateLimiter(db)
    wait = limiter.hit(("devices", ip), limit=20, period_s=3600)
    if wait: raise ApiError(429, ..., headers={"Retry-After": str(ceil(wait))})
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from app.errors import ApiError


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[Hashable, float] = {}  # theoretical arrival time per key
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, key: Hashable, limit: int, period_s: float) -> float:
        """Count one event for `key`; 0 if allowed, else the seconds to wait (nothing counted)."""
        if limit <= 0:
            return 0.0
        interval = period_s / limit
        now = self._clock()
        with self._lock:
            self._sweep(now, period_s)
            tat = max(self._tat.get(key, now), now)
            allowed_at = tat + interval - period_s
            # A tolerance: with limit=1, `now + period - period` may round to just above `now`.
            if allowed_at - now > 1e-9:
                return allowed_at - now
            self._tat[key] = tat + interval
            return 0.0

    def check(self, key: Hashable, limit: int, period_s: float, what: str) -> None:
        """`hit`, raising a polite 429 with Retry-After when the limit is reached."""
        wait = self.hit(key, limit, period_s)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many {what} from here. Please try again in {_human(seconds)}.",
                headers={"Retry-After": str(seconds)},
                retry_after=seconds,
            )

    def _sweep(self, now: float, period_s: float) -> None:
        # Drop keys whose budget is full again, at most once a minute, so memory follows activity.
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        for key in [k for k, tat in self._tat.items() if tat <= now]:
            del self._tat[key]


class SharedRateLimiter(RateLimiter):
    """The same algorithm with the theoretical arrival times in the `rate_limits` table.

    One statement per hit, on the calling thread's own autocommitted connection (`write_now`):
    the upsert either moves the key's time on (allowed) or leaves it (limited), atomically, so two
    processes can never both spend the last unit of a budget. Wall-clock time: the processes
    share it (monotonic clocks are per machine)."""

    def __init__(self, db: Any, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.db = db

    def hit(self, key: Hashable, limit: int, period_s: float) -> float:
        if limit <= 0:
            return 0.0
        interval = period_s / limit
        now = self._clock()
        name = "|".join(map(str, key)) if isinstance(key, tuple) else str(key)

        def hit(conn: Any) -> float:
            row = conn.execute(
                """INSERT INTO rate_limits AS r (key, tat) VALUES (?, ?)
                   ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, ?) + ?
                   WHERE GREATEST(r.tat, ?) + ? - ? <= ?
                   RETURNING tat""",
                (name, now + interval, now, interval, now, interval, period_s, now + 1e-9),
            ).fetchone()
            if row is not None:
                return 0.0
            tat = conn.execute("SELECT tat FROM rate_limits WHERE key = ?", (name,)).fetchone()
            return max(0.0, max(float(tat[0]), now) + interval - period_s - now) if tat else 0.0

        wait = float(self.db.write_now(hit))
        if random.random() < 0.001:  # now and then: forget keys whose budget is full again
            self.db.write_now(lambda c: c.execute("DELETE FROM rate_limits WHERE tat < ?", (now,)))
        return wait


def _human(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
