"""The server's own writes that follow a change: the incident's first content, the citizen's reply,
and every unit's inbox. They run from the outbox, after the change that caused them committed.

Each handler computes the desired content from the projected rows and changes the document only
where it differs, under the document's lock; so a handler that runs twice (a crash before its item
was marked done, two items for one incident) writes nothing the second time. These handlers write
documents, so they run in the web process that owns the documents' rooms (see
docs/architecture.md, "Which process runs what").
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from pycrdt import Array, Doc, Map

from app.incidents import alerts
from app.incidents.parts import Parts
from app.incidents.state import CITIZEN_STATUS, OPEN_STATUSES
from app.storage import outbox
from app.storage.outbox import Item, Worker

SUMMARY_CHARS = 140
CITIZEN_STAGES = ("en_route", "on_scene", "resolved", "closed")


class Fanout:
    def __init__(self, svc: Parts) -> None:
        self.svc = svc
        # One run at a time per job and incident: each run reads the rows and then writes, so two
        # runs interleaved could write an older reading after a newer one (a status going back).
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def register(self, worker: Worker) -> None:
        worker.register("incident.init", self.incident_init)
        worker.register("reply.sync", self._one_at_a_time(self.reply_sync))
        worker.register("inbox.sync", self._one_at_a_time(self.inbox_sync))

    def _one_at_a_time(self, handler: Callable[[Item], Awaitable[None]]) -> Callable[[Item], Awaitable[None]]:
        async def run(item: Item) -> None:
            key = (handler.__name__, str(item.payload["incident"]))
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = asyncio.Lock()
            async with lock:
                await handler(item)

        return run

    # -- incident/<id>: the server's info, and the logs police append to -------------------------
    async def incident_init(self, item: Item) -> None:
        incident_id = item.payload["incident"]
        row = self.svc.db.read_now(lambda c: _incident_row(c, incident_id))
        if row is None:
            return
        arrived_ms = row["arrived_at"] * 1000
        info = {
            "report": incident_id,
            "category": row["category"],
            "priority": row["priority"],
            "arrived_at": arrived_ms,
            "ward_code": row["ward_code"],
            "ward_unit": row["ward_unit"],
            "ward_name": row["ward_name"],
            "outside": bool(row["outside"]),
            "no_location": bool(row["no_location"]),
            "boundary_approximate": bool(row["boundary_approximate"]),
            "lat": row["lat"],
            "lon": row["lon"],
            "routed_units": row["routed_units"],
            "channel": row["channel"],
            "approximate": bool(row["location_approximate"]),
            "author": row["author"],  # who took a call or which partner sent it; None from the app
            "warning": row["warning"],  # the public warning whose "need help" made it, or None
            "silent": bool(row["silent"]),  # no call-back, P1 (issue 29)
        }

        def mutate(doc: Doc) -> None:
            incident = doc.get("incident", type=Map)
            if "info" in incident:
                return
            incident["info"] = info
            # Each log starts with a server entry. Replacing a log wholesale would then remove an
            # entry, which validation refuses: so two devices can never race to create a log.
            incident["dispatch"] = Array([{"id": "created", "action": "created", "by": "server", "at": arrived_ms}])
            incident["timeline"] = Array([{"id": "created", "type": "created", "by": "server", "at": arrived_ms}])

        await self.svc.sync.server_write(
            f"incident/{incident_id}", mutate, in_tx=lambda tx: Worker.complete_in(tx, item)
        )

    # -- reply/<id>: what the citizen sees -------------------------------------------------------
    async def reply_sync(self, item: Item) -> None:
        incident_id = item.payload["incident"]
        data = self.svc.db.read_now(lambda c: _reply_data(c, incident_id))
        if data is None:
            return
        desired, messages, children = data
        now_ms = time.time() * 1000
        told: list[tuple[str, str]] = []  # what changed for the citizen: web push tells them
        wrote: list[bool] = []  # whether this reply changed at all

        def mutate(doc: Doc) -> None:
            reply = doc.get("reply", type=Map)
            changed = False
            previous = reply.get("status")
            for key, value in desired.items():
                if reply.get(key) != value:
                    if value is None:
                        if key in reply:
                            del reply[key]
                            changed = True
                    else:
                        reply[key] = value
                        changed = True
            if previous is not None and reply.get("status") != previous:
                told.append(("status", str(reply.get("status"))))
            if "messages" not in reply:
                reply["messages"] = Array()
            log = reply["messages"]
            known = {m.get("id") for m in log.to_py() if isinstance(m, dict)}
            for message in messages:
                if message["id"] not in known:
                    log.append(message)
                    told.append(("message", str(message["id"])))
                    changed = True
            if changed:
                reply["updated_at"] = now_ms
                wrote.append(True)

        def in_tx(tx: Any) -> None:
            Worker.complete_in(tx, item)
            alerts.tell_citizen(tx, incident_id, told)
            # Reports merged into this one follow its progress; only when it changed, so that
            # merges in a cycle (A into B, B into A) settle instead of re-queueing each other.
            for child in children if wrote else ():
                outbox.enqueue(tx, "reply.sync", f"reply.sync:{child}:{time.time_ns()}", {"incident": child})

        await self.svc.sync.server_write(f"reply/{incident_id}", mutate, in_tx=in_tx)

    # -- inbox/<unit>: the live queues -----------------------------------------------------------
    async def inbox_sync(self, item: Item) -> None:
        incident_id = item.payload["incident"]
        data = self.svc.db.read_now(lambda c: _inbox_data(c, incident_id))
        if data is None:
            return
        wanted, listed = data
        writes = []
        for unit in sorted(set(wanted) | set(listed)):
            summary = wanted.get(unit)
            if summary is None:
                writes.append(self._unlist(unit, incident_id))
            elif listed.get(unit) != summary:
                writes.append(self._list(unit, incident_id, summary))
        # Different documents: written side by side, so that they can share a commit. If one
        # fails the item runs again, and what the others wrote is then already as wanted.
        for failed in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(failed, BaseException):
                raise failed

    async def _list(self, unit: str, incident_id: str, summary: dict[str, Any]) -> None:
        def mutate(doc: Doc) -> None:
            incidents = doc.get("incidents", type=Map)
            if incidents.get(incident_id) != summary:
                incidents[incident_id] = summary

        def in_tx(tx: Any) -> None:
            tx.execute(
                "INSERT INTO inbox_entries (unit, incident_id, summary) VALUES (?, ?, ?)"
                " ON CONFLICT (unit, incident_id) DO UPDATE SET summary = excluded.summary",
                (unit, incident_id, json.dumps(summary, sort_keys=True, ensure_ascii=False)),
            )

        await self.svc.sync.server_write(f"inbox/{unit}", mutate, in_tx=in_tx)

    async def _unlist(self, unit: str, incident_id: str) -> None:
        def mutate(doc: Doc) -> None:
            incidents = doc.get("incidents", type=Map)
            if incident_id in incidents:
                del incidents[incident_id]

        def in_tx(tx: Any) -> None:
            tx.execute(
                "DELETE FROM inbox_entries WHERE unit = ? AND incident_id = ?", (unit, incident_id)
            )

        await self.svc.sync.server_write(f"inbox/{unit}", mutate, in_tx=in_tx)


# -- reads: indexed point lookups of one incident, made on the spot (Database.read_now) ---------
def _incident_row(conn: Any, incident_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT i.*, r.description, r.outside, r.no_location, r.media_count, r.boundary_approximate,
                  r.location_approximate, r.author, w.name AS ward_name
           FROM incidents i JOIN reports r ON r.id = i.id LEFT JOIN wards w ON w.code = i.ward_code
           WHERE i.id = ?""",
        (incident_id,),
    ).fetchone()
    if row is None:
        return None
    data = dict(row)
    data["routed_units"] = [
        r[0] for r in conn.execute(
            "SELECT unit FROM incident_units WHERE incident_id = ? AND why = 'routed' ORDER BY unit",
            (incident_id,),
        )
    ]
    return data


def _reply_data(conn: Any, incident_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]] | None:
    row = conn.execute(
        "SELECT status, rejected_reason, merged_into FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    if row is None:
        return None
    status, merged_into = row["status"], row["merged_into"]
    sources = [incident_id]
    if status == "merged" and merged_into:
        main = conn.execute("SELECT status FROM incidents WHERE id = ?", (merged_into,)).fetchone()
        status = main["status"] if main is not None else "triaged"
        sources.append(merged_into)
    marks = ",".join("?" * len(sources))
    messages = []
    for r in conn.execute(
        f"""SELECT incident_id, entry_id, detail, at FROM timeline_events WHERE incident_id IN ({marks})
            AND log = 'dispatch' AND kind = 'message' ORDER BY at, entry_id""",
        sources,
    ):
        entry = json.loads(r["detail"])
        if _addressed_to(entry, r["incident_id"], incident_id):
            messages.append({"id": r["entry_id"], "from": "police", "text": entry.get("text", ""), "at": r["at"]})
    desired = {
        "status": CITIZEN_STATUS.get(status, "delivered"),
        # The finer stage under the plain status: "police on the way", "on scene", and "closed"
        # told apart from "resolved". None (absent) before a unit is on its way.
        "stage": status if status in CITIZEN_STAGES else None,
        "reason": row["rejected_reason"] if row["status"] == "rejected" else None,
        "merged_into": merged_into if row["status"] == "merged" else None,
    }
    children = [
        r[0] for r in conn.execute(
            "SELECT id FROM incidents WHERE merged_into = ? AND status = 'merged' AND id != ?",
            (incident_id, incident_id),
        )
    ]
    return desired, messages, children


def _addressed_to(entry: dict[str, Any], written_on: str, report_id: str) -> bool:
    """Whether a police message written on incident `written_on` is for the citizen of `report_id`.

    A message reaches only the reporters it was written to: by default the incident's own report;
    `to` names them explicitly (the console's "all reporters" of a merged incident is such a list).
    A duplicate merged into this incident therefore never reads what was written to the first
    citizen, nor messages written before the merge to anyone else."""
    to = entry.get("to")
    if to is None:
        return written_on == report_id
    return isinstance(to, list) and report_id in to


def _live_escalation(code: str | None, status: str, assignments: dict[str, Any]) -> str | None:
    """An escalation shows in the queue only while the awaited step is still missing."""
    if code == "not_triaged":
        return code if status == "new" else None
    if code and code.startswith("not_acknowledged:"):
        a = assignments.get(code.split(":", 1)[1])
        return code if a and a["acknowledged_at"] is None and a["withdrawn_at"] is None else None
    return code


def _inbox_data(conn: Any, incident_id: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]] | None:
    row = _incident_row(conn, incident_id)
    if row is None:
        return None
    assignments = {
        r["unit"]: dict(r)
        for r in conn.execute("SELECT * FROM assignments WHERE incident_id = ?", (incident_id,))
    }
    active = sorted(u for u, a in assignments.items() if a["withdrawn_at"] is None)
    listed = {
        r[0]: json.loads(r[1])
        for r in conn.execute("SELECT unit, summary FROM inbox_entries WHERE incident_id = ?", (incident_id,))
    }
    wanted: dict[str, dict[str, Any]] = {}
    if row["status"] in OPEN_STATUSES:
        base = {
            "id": incident_id,
            "category": row["category"],
            "priority": row["priority"],
            "status": row["status"],
            "arrived_at": row["arrived_at"] * 1000,
            "ward_code": row["ward_code"],
            "ward_name": row["ward_name"],
            "lat": row["lat"],
            "lon": row["lon"],
            "outside": bool(row["outside"]),
            "no_location": bool(row["no_location"]),
            "summary": (row["description"] or "")[:SUMMARY_CHARS],
            "media_count": row["media_count"],
            "units": active,
            "escalation": _live_escalation(row["escalation"], row["status"], assignments),
            "need_support": row["need_support_at"] is not None,
            "channel": row["channel"],
        }
        for unit in {"center", *row["routed_units"], *active}:
            wanted[unit] = {**base, "assigned": unit in active}
    # JSON round trip so that comparisons with what was stored are exact (floats, tuples).
    wanted = json.loads(json.dumps(wanted))
    return wanted, listed
