"""Dispatch timers: a report not triaged in time, an assignment not acknowledged in time.

Each timer is an outbox item due at its deadline, queued in the transaction that started the clock
(the report's arrival, the dispatch). When it comes due and the awaited step has still not
happened, the incident is marked escalated, the queue shows it raised, and an `escalation` item is
queued for whoever delivers alerts (web push).
"""

from __future__ import annotations

import time
from typing import Any

from app.identity import audit
from app.identity.auth import SERVER
from app.incidents import projection
from app.incidents.parts import Parts
from app.incidents.state import OPEN_STATUSES
from app.storage import outbox
from app.storage.outbox import Item, Worker


class Timers:
    def __init__(self, svc: Parts) -> None:
        self.svc = svc

    def register(self, worker: Worker) -> None:
        worker.register("timer.triage", self.triage_due)
        worker.register("timer.ack", self.ack_due)

    async def triage_due(self, item: Item) -> None:
        incident_id = item.payload["incident"]

        def check(tx: Any) -> None:
            row = tx.execute(
                "SELECT status, triaged_at FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()
            if row is not None and row["status"] == "new" and row["triaged_at"] is None:
                limit = self.svc.settings.triage_timeout_s
                escalate(tx, incident_id, "not_triaged", f"not triaged within {limit} s")
            Worker.complete_in(tx, item)

        await self.svc.db.write(check)
        self.svc.worker.wake()

    async def ack_due(self, item: Item) -> None:
        incident_id, unit = item.payload["incident"], item.payload["unit"]
        entry = item.payload.get("entry")

        def check(tx: Any) -> None:
            row = tx.execute(
                """SELECT i.status, a.acknowledged_at, a.withdrawn_at, a.dispatched_at, e.at AS entry_at
                   FROM incidents i JOIN assignments a ON a.incident_id = i.id AND a.unit = ?
                   LEFT JOIN timeline_events e ON e.incident_id = i.id AND e.entry_id = ?
                   WHERE i.id = ?""",
                (unit, entry, incident_id),
            ).fetchone()
            # This timer's dispatch started the current assignment; else the unit was withdrawn
            # and sent again since, and the newer dispatch's own timer is the one that counts.
            current = row is not None and (
                row["entry_at"] is None or abs((row["dispatched_at"] or 0) * 1000 - row["entry_at"]) < 1
            )
            if (
                current
                and row["status"] in OPEN_STATUSES
                and row["acknowledged_at"] is None
                and row["withdrawn_at"] is None
            ):
                limit = self.svc.settings.ack_timeout_s
                # Once per dispatch: a unit withdrawn and sent again that is late again is news.
                escalate(tx, incident_id, f"not_acknowledged:{unit}", f"{unit} did not acknowledge within {limit} s",
                         occasion=entry or f"timer-{item.id}")
            Worker.complete_in(tx, item)

        await self.svc.db.write(check)
        self.svc.worker.wake()


def escalate(tx: Any, incident_id: str, code: str, why: str, occasion: str | None = None) -> None:
    """Mark the incident escalated and queue the alert, once per `code` and `occasion`."""
    now = time.time()
    tx.execute(
        "UPDATE incidents SET escalated_at = ?, escalation = ? WHERE id = ?", (now, code, incident_id)
    )
    audit.append(tx, SERVER, "incident.escalated", f"incident/{incident_id}", reason=why)
    key = f"escalation:{incident_id}:{code}" + (f":{occasion}" if occasion else "")
    outbox.enqueue(tx, "escalation", key, {"incident": incident_id, "code": code, "why": why})
    projection.enqueue_fanout(tx, incident_id, reply=False)


def overdue(conn: Any, now: float, triage_timeout_s: float, ack_timeout_s: float) -> dict[str, tuple[int, float]]:
    """For /metrics: per timer (`triage`, `ack`), how many are past their deadline with the step
    still not taken, and how far past it the oldest is (s). The same conditions as the timers'
    own checks above, read when asked, whatever the outbox did (a stuck worker escalates nothing)."""
    triage = conn.execute(
        """SELECT COUNT(*), MIN(arrived_at) FROM incidents
           WHERE status = 'new' AND triaged_at IS NULL AND arrived_at < ?""",
        (now - triage_timeout_s,),
    ).fetchone()
    marks = ",".join("?" * len(OPEN_STATUSES))
    ack = conn.execute(
        f"""SELECT COUNT(*), MIN(a.dispatched_at) FROM incidents i
            JOIN assignments a ON a.incident_id = i.id
            WHERE i.status IN ({marks}) AND a.acknowledged_at IS NULL AND a.withdrawn_at IS NULL
              AND a.dispatched_at < ?""",
        (*OPEN_STATUSES, now - ack_timeout_s),
    ).fetchone()
    return {
        "triage": (triage[0], now - triage_timeout_s - triage[1] if triage[1] is not None else 0.0),
        "ack": (ack[0], now - ack_timeout_s - ack[1] if ack[1] is not None else 0.0),
    }
