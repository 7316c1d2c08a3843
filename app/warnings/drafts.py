"""Drafting, approval, update and cancel: the life of a warning, every step audited.

The rule learned from Hawaii's false missile alert (2018): one person never alerts the city alone.
A dispatcher or supervisor drafts; a supervisor who is not the author approves, and only then is
it published and delivered. An update is a new draft that references the published message and
replaces it (status `superseded`) when approved the same way. A cancel is immediate: a correction
must go out as fast as the alert (the contract, DESIGN "Public warnings"; docs/warnings.md).

Each change is one transaction: the row, the audit entry and the outbox item that delivers it
commit together, so an approved warning is delivered even if the process dies at once after.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal
from app.storage import outbox
from app.storage.base import Connection, Database
from app.warnings.fields import Draft, read_draft

DRAFTERS = ("dispatcher", "supervisor")
APPROVERS = ("supervisor",)
DELIVER = "warning.deliver"
REVIEW = "warning.review"  # the supervisors are told a draft waits (app/warnings/review.py)


def deliver_later(tx: Connection, message_id: str) -> None:
    outbox.enqueue(tx, DELIVER, f"{DELIVER}:{message_id}", {"warning": message_id})


class Warnings:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time, wake: Callable[[], None] | None = None):
        self.db = db
        self.clock = clock
        self.wake = wake or (lambda: None)

    async def known_wards(self) -> set[int]:
        return await self.db.read(lambda c: {int(r[0]) for r in c.execute("SELECT code FROM wards")})

    async def draft(self, author: Principal, body: dict[str, Any]) -> dict[str, Any]:
        draft = read_draft(body, await self.known_wards(), self.clock())

        def write(tx: Connection) -> str:
            warning_id = str(uuid.uuid4())
            _insert(tx, warning_id, warning_id, "Alert", None, "draft", draft, author.id, self.clock())
            audit.append(tx, author, "warning.draft", f"warning/{warning_id}", **_summary(draft))
            outbox.enqueue(tx, REVIEW, f"{REVIEW}:{warning_id}", {"warning": warning_id})
            return warning_id

        warning_id = await self.db.write(write)
        self.wake()
        return {"id": warning_id, "status": "draft"}

    async def draft_update(self, author: Principal, old_id: str, body: dict[str, Any]) -> dict[str, Any]:
        draft = read_draft(body, await self.known_wards(), self.clock())

        def write(tx: Connection) -> str:
            old = _message(tx, old_id)
            if old["status"] != "published" or old["msg_type"] == "Cancel" or old["expires_at"] <= self.clock():
                raise ApiError(409, "not_in_force", "Only a published warning still in force can be updated.")
            if "exercise" in body and draft.exercise != bool(old["exercise"]):
                raise ApiError(422, "invalid", "An update keeps the exercise mode of the warning it updates.",
                               field="exercise")
            fixed = Draft(**{**asdict(draft), "exercise": bool(old["exercise"])})
            warning_id = str(uuid.uuid4())
            _insert(tx, warning_id, old["chain"], "Update", old_id, "draft", fixed, author.id, self.clock())
            audit.append(tx, author, "warning.draft_update", f"warning/{warning_id}", references=old_id,
                         **_summary(fixed))
            outbox.enqueue(tx, REVIEW, f"{REVIEW}:{warning_id}", {"warning": warning_id})
            return warning_id

        warning_id = await self.db.write(write)
        self.wake()
        return {"id": warning_id, "status": "draft", "references": old_id}

    async def approve(self, approver: Principal, warning_id: str) -> dict[str, Any]:
        def write(tx: Connection) -> dict[str, Any]:
            now = self.clock()
            row = _message(tx, warning_id)
            if row["status"] != "draft":
                raise ApiError(409, "not_draft", f"This warning is {row['status']}; only a draft is approved.")
            if row["author_id"] == approver.id:
                raise ApiError(403, "own_warning",
                               "A second person must approve: the author of a warning cannot approve it.")
            if row["expires_at"] <= now:
                raise ApiError(409, "expired", "This draft's expiry has passed; draft it again.")
            if row["msg_type"] == "Update":
                replaced = tx.execute(
                    """UPDATE warnings SET status = 'superseded', ended_at = ?, ended_by = ?
                       WHERE id = ? AND status = 'published' AND expires_at > ?""",
                    (now, warning_id, row["refs"], now),
                )
                if replaced.rowcount != 1:
                    raise ApiError(409, "not_in_force",
                                   "The warning this update replaces is no longer in force (cancelled, "
                                   "expired or already updated).")
            done = tx.execute(
                """UPDATE warnings SET status = 'published', approver_id = ?, published_at = ?
                   WHERE id = ? AND status = 'draft'""",
                (approver.id, now, warning_id),
            )
            if done.rowcount != 1:  # approved by someone else in the meantime
                raise ApiError(409, "not_draft", "This warning was approved or cancelled meanwhile.")
            deliver_later(tx, warning_id)
            audit.append(tx, approver, "warning.approve", f"warning/{warning_id}", author=row["author_id"],
                         references=row["refs"])
            return {"id": warning_id, "status": "published", "references": row["refs"]}

        result = await self.db.write(write)
        self.wake()
        return result

    async def cancel(self, who: Principal, warning_id: str) -> dict[str, Any]:
        """A draft is dropped; a published warning still in force is withdrawn at once by a Cancel
        message delivered like the original."""

        def write(tx: Connection) -> dict[str, Any]:
            now = self.clock()
            row = _message(tx, warning_id)
            if row["msg_type"] == "Cancel" or row["status"] not in ("draft", "published"):
                raise ApiError(409, "not_cancellable", f"This warning is {row['status']}; nothing to cancel.")
            cancel_id = None
            if row["status"] == "published" and row["expires_at"] > now:
                cancel_id = str(uuid.uuid4())
                _insert(tx, cancel_id, row["chain"], "Cancel", warning_id, "published", _as_draft(tx, row),
                        who.id, now)
                tx.execute("UPDATE warnings SET published_at = ? WHERE id = ?", (now, cancel_id))
                deliver_later(tx, cancel_id)
            done = tx.execute(
                """UPDATE warnings SET status = 'cancelled', ended_at = ?, ended_by = ?
                   WHERE id = ? AND status = ?""",
                (now, cancel_id, warning_id, row["status"]),
            )
            if done.rowcount != 1:
                raise ApiError(409, "not_cancellable", "This warning changed meanwhile; look again.")
            audit.append(tx, who, "warning.cancel", f"warning/{warning_id}", was=row["status"],
                         cancel=cancel_id)
            return {"id": warning_id, "status": "cancelled", "cancel_id": cancel_id}

        result = await self.db.write(write)
        self.wake()
        return result


def _message(tx: Connection, warning_id: str) -> dict[str, Any]:
    row = tx.execute("SELECT * FROM warnings WHERE id = ?", (warning_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "No warning with this id.")
    return dict(row)


def _insert(
    tx: Connection, warning_id: str, chain: str, msg_type: str, refs: str | None, status: str,
    draft: Draft, author_id: str, now: float,
) -> None:
    tx.execute(
        """INSERT INTO warnings (id, chain, msg_type, refs, status, exercise, all_city, category, severity,
               urgency, certainty, headline, description, instruction, headline_en, description_en,
               instruction_en, expires_at, author_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (warning_id, chain, msg_type, refs, status, int(draft.exercise), int(draft.all_city), draft.category,
         draft.severity, draft.urgency, draft.certainty, draft.headline, draft.description, draft.instruction,
         draft.headline_en, draft.description_en, draft.instruction_en, draft.expires_at, author_id, now),
    )
    for code in draft.wards:
        tx.execute("INSERT INTO warning_wards (warning_id, ward_code) VALUES (?, ?)", (warning_id, code))


def _as_draft(tx: Connection, row: dict[str, Any]) -> Draft:
    """A published message's content, for the Cancel that withdraws it (same area and words)."""
    wards = tuple(int(r[0]) for r in tx.execute(
        "SELECT ward_code FROM warning_wards WHERE warning_id = ? ORDER BY ward_code", (row["id"],)))
    return Draft(
        wards=wards, all_city=bool(row["all_city"]), category=row["category"], severity=row["severity"],
        urgency=row["urgency"], certainty=row["certainty"], headline=row["headline"],
        description=row["description"], instruction=row["instruction"], headline_en=row["headline_en"],
        description_en=row["description_en"], instruction_en=row["instruction_en"],
        expires_at=row["expires_at"], exercise=bool(row["exercise"]),
    )


def _summary(draft: Draft) -> dict[str, Any]:
    return {"wards": "all" if draft.all_city else list(draft.wards), "severity": draft.severity,
            "exercise": draft.exercise, "headline": draft.headline}
