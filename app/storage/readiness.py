"""Is the database writable? The load balancer's question (`GET /readyz`, app/web/metrics.py).

Answered by a real write: each process upserts its own row of `readiness`, so a read-only
PostgreSQL (a standby, `default_transaction_read_only`), a full disk or a read-only SQLite file
fails the probe as it would fail a citizen's report. One row per process: probes of several
processes never wait on each other's row lock.
"""

from __future__ import annotations

import os
import socket
import time

from app.storage.base import Connection

SCHEMA = """
CREATE TABLE readiness (
    process TEXT PRIMARY KEY,
    checked_at REAL NOT NULL
);
"""

PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def create_tables(tx: Connection) -> None:
    tx.script(SCHEMA)


def probe(tx: Connection) -> None:
    tx.execute(
        """INSERT INTO readiness (process, checked_at) VALUES (?, ?)
           ON CONFLICT(process) DO UPDATE SET checked_at = excluded.checked_at""",
        (PROCESS, time.time()),
    )
