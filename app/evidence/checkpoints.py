"""Signed checkpoints of the audit log's head: what makes a rewrite of the whole tail visible.

A checkpoint records the chain's head (its id and hash), the number of entries up to it, when it
was made and the key that signed it, signed with the deployment's Ed25519 key over a canonical
JSON (`signed_bytes`). Each is kept twice: a row of `audit_checkpoints`, and a JSON file under
`<data_dir>/audit/checkpoints/` (copied by `sos backup`), so a copy lives outside the database.
The worker makes one every `SOS_AUDIT_CHECKPOINT_S` (a day; `Checkpoints.register`), and
`sos audit checkpoint` one on demand. docs/evidence.md says what they prove.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.evidence.keys import EvidenceKey
from app.identity.audit import GENESIS
from app.storage.base import Connection, Database
from app.storage.outbox import Item, Worker, enqueue

if TYPE_CHECKING:
    from app.settings import Settings

DIRECTORY = Path("audit") / "checkpoints"  # under the data directory
SIGNED = ("head_id", "head_hash", "entries", "at", "key_id")
# A timer, as the dispatch timers are: an outbox item due at a time to come (what waits for a
# drained outbox, e.g. the fault tests, leaves `timer.*` out).
TOPIC = "timer.audit_checkpoint"


def directory_of(settings: Settings) -> Path:
    return settings.data_dir / DIRECTORY


def signed_bytes(record: dict[str, Any]) -> bytes:
    """What the signature covers: the five fields as JSON, keys sorted, no spaces, UTF-8."""
    body = {name: record[name] for name in SIGNED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def when(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def make(db: Database, key: EvidenceKey, directory: Path, now: float | None = None) -> dict[str, Any]:
    """Sign the head as committed now; store it in the table and then as a file."""

    def write(tx: Connection) -> dict[str, Any]:
        # One statement, one snapshot: the head and the count agree even while others append.
        head = tx.execute(
            "SELECT id, hash, (SELECT count(*) FROM audit_log) FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        record: dict[str, Any] = {
            "head_id": int(head[0]) if head else 0,
            "head_hash": head[1] if head else GENESIS,
            "entries": int(head[2]) if head else 0,
            "at": float(time.time() if now is None else now),
            "key_id": key.key_id,
        }
        record["signature"] = base64.b64encode(key.sign(signed_bytes(record))).decode()
        tx.execute(
            """INSERT INTO audit_checkpoints (at, head_id, head_hash, entries, key_id, signature)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (record["at"], record["head_id"], record["head_hash"], record["entries"], record["key_id"],
             record["signature"]),
        )
        return record

    record = db.write_sync(write)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.fromtimestamp(record["at"], datetime.UTC).strftime("%Y%m%dT%H%M%S")
    path = directory / f"{stamp}Z-{record['head_id']}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    os.replace(partial, path)  # a crash leaves no half-written checkpoint
    return record


def from_table(conn: Connection) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute("SELECT * FROM audit_checkpoints ORDER BY id").fetchall()
    return [(f"checkpoint #{r['id']} in the database", {**dict(r), "at": float(r["at"])}) for r in rows]


def from_files(directory: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The checkpoint files, and a sentence for each that cannot be read."""
    found, unreadable = [], []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            if not all(name in record for name in (*SIGNED, "signature")):
                raise ValueError("a field is missing")
        except (OSError, ValueError) as exc:
            unreadable.append(f"checkpoint file {path.name} cannot be read ({exc})")
        else:
            found.append((f"checkpoint file {path.name}", record))
    return found, unreadable


def signature_holds(record: dict[str, Any], public_pem: str, key_id: str) -> bool:
    if record.get("key_id") != key_id:
        return False
    try:
        signature = base64.b64decode(str(record["signature"]), validate=True)
        return EvidenceKey.verify(public_pem, signed_bytes(record), signature)
    except (binascii.Error, ValueError, TypeError):
        return False


class Checkpoints:
    """The periodic `timer.audit_checkpoint` job: one outbox item per period, keyed by the period, due
    at its end; running it signs a checkpoint and queues the next period's. Every process that
    runs background jobs queues the current period's at start; the key makes that one item."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.period_s = max(1, settings.audit_checkpoint_s)

    def register(self, worker: Worker) -> None:
        worker.register(TOPIC, self.run)

    def schedule_current(self) -> None:
        """Once the database is open: queue this period's item (one for all processes)."""
        self.db.write_sync(lambda tx: self.schedule(tx, int(time.time() // self.period_s)))

    def schedule(self, tx: Connection, period: int) -> None:
        enqueue(tx, TOPIC, f"{TOPIC}:{self.period_s}:{period}", {"period": period},
                run_at=(period + 1) * self.period_s)

    async def run(self, item: Item) -> None:
        key = EvidenceKey.for_settings(self.settings)
        await asyncio.to_thread(make, self.db, key, directory_of(self.settings))
        period = max(int(item.payload["period"]) + 1, int(time.time() // self.period_s))
        await self.db.write(lambda tx: self.schedule(tx, period))
