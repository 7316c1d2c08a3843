"""A stream of citizen reports from retrying clients, and the checks that none was lost or doubled,
for the tests where the database's primary dies (tests/test_failover.py, tests/test_patroni.py).

Each client sends its reports one after the other, as the citizen app's outbox does: the same
body resent until a 200 acknowledges it; a 503 (with a reason and Retry-After, never a 500) or a
cut connection means "try again". Every answer is stamped, so the outage the clients saw can be
measured: the span from the first refusal to the last.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from .cluster import ServerProcess
from .server_checks import wait_for
from .test_fault import report_body

RETRY_S = 0.2


class ReportStream:
    """`clients` threads sending `ids` through `servers` in turn; `on_ack(n)` after each of the
    first acknowledgements (the test crashes its primary from there)."""

    def __init__(self, servers: Sequence[ServerProcess], token: str, ids: list[str],
                 crash_after: int, clients: int = 4) -> None:
        self.servers, self.token, self.ids = servers, token, ids
        self.crash_after, self.clients = crash_after, clients
        self.acknowledged: list[str] = []
        self.refusals: Counter[str] = Counter()
        self.refused_at: list[float] = []  # monotonic times of refused requests (503 or cut)
        self.acked_at: list[float] = []
        self.crash = threading.Event()
        self.lock = threading.Lock()

    def run(self, timeout: float = 120) -> None:
        senders = [threading.Thread(target=self._send, args=(self.servers[i % len(self.servers)],
                                                             self.ids[i::self.clients]))
                   for i in range(self.clients)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(timeout)

    def _refused(self, why: str) -> None:
        with self.lock:
            self.refusals[why] += 1
            self.refused_at.append(time.monotonic())

    def _send(self, server: ServerProcess, chunk: list[str]) -> None:
        with httpx.Client(base_url=server.url, timeout=10,
                          headers={"Authorization": f"Bearer {self.token}"}) as http:
            for report_id in chunk:
                body = report_body(report_id)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        r = http.post(f"/sync/report/{report_id}", content=body,
                                      headers={"Content-Type": "application/octet-stream"})
                    except httpx.HTTPError as exc:
                        self._refused(type(exc).__name__)
                        time.sleep(RETRY_S)
                        continue
                    if r.status_code == 200:
                        with self.lock:
                            self.acknowledged.append(report_id)
                            self.acked_at.append(time.monotonic())
                            if len(self.acknowledged) == self.crash_after:
                                self.crash.set()
                        break
                    self._refused(f"{r.status_code} {r.json().get('error')}")
                    assert r.status_code == 503, r.text  # unavailable, with a reason: never a 500
                    assert r.headers.get("Retry-After"), r.headers
                    time.sleep(RETRY_S)

    def outage(self) -> tuple[float, int]:
        """(seconds from the first refused request to the last, number refused)."""
        if not self.refused_at:
            return 0.0, 0
        return max(self.refused_at) - min(self.refused_at), len(self.refused_at)


def rows(url: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return list(conn.execute(sql).fetchall())


def check_exactly_once(url: str, ids: list[str]) -> None:
    """On the database at `url` (the promoted standby): every report once with its incident, its
    reply and its inbox entries, every outbox item done, no outbox key twice."""
    assert rows(url, "SELECT pg_is_in_recovery() AS r")[0]["r"] is False

    def counts(sql: str) -> Counter[str]:
        return Counter(r["k"] for r in rows(url, sql) if r["k"] in set(ids))

    assert counts("SELECT id AS k FROM reports") == Counter(ids)
    assert counts("SELECT id AS k FROM incidents") == Counter(ids)
    wait_for(lambda: counts("SELECT substr(name, 7) AS k FROM sync_documents WHERE name LIKE 'reply/%'")
             == Counter(ids), timeout=30, what="a reply for every report")

    def pending() -> list[dict[str, Any]]:
        # All but the dispatch timers (due in an hour): also those put off after a failed attempt.
        return rows(url, "SELECT key, state, attempts, last_error FROM outbox"
                         " WHERE state <> 'done' AND topic NOT LIKE 'timer.%'")

    try:
        wait_for(lambda: not pending(), timeout=45, what="every outbox item done")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {pending()[:10]}") from None
    keys = [r["key"] for r in rows(url, "SELECT key FROM outbox")]
    assert len(keys) == len(set(keys))
    entries = Counter(r["k"] for r in rows(url, "SELECT incident_id AS k FROM inbox_entries"))
    assert {entries[i] for i in ids} == {entries[ids[0]]} and entries[ids[0]] >= 2


def in_background(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread
