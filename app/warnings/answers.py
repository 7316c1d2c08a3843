"""A citizen's answer to a warning: "safe" or "need_help", one per device, changeable.

Counted for the command center; "need help" also opens a report in the app, linked to the
warning by the report document's optional `warning` field (app/incidents/documents.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal
from app.inputs import invalid
from app.storage.base import Connection, Database

ANSWERS = ("safe", "need_help")


class Answers:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    async def answer(self, device: Principal, warning_id: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = body.get("answer")
        if answer not in ANSWERS:
            raise invalid("answer", "answer must be \"safe\" or \"need_help\".")

        def write(tx: Connection) -> dict[str, Any]:
            now = self.clock()
            row = tx.execute("SELECT chain, status, msg_type FROM warnings WHERE id = ?", (warning_id,)).fetchone()
            if row is None or row["status"] == "draft" or row["msg_type"] == "Cancel":
                raise ApiError(404, "not_found", "No published warning with this id.")
            # Counted per chain: an answer given to the first version still counts once updated,
            # and a phone that has not seen the update yet may still answer the old id.
            live = tx.execute(
                """SELECT 1 FROM warnings WHERE chain = ? AND status = 'published' AND msg_type != 'Cancel'
                   AND expires_at > ?""",
                (row["chain"], now),
            ).fetchone()
            if live is None:
                raise ApiError(409, "not_in_force", "This warning is no longer in force.")
            tx.execute(
                """INSERT INTO warning_answers (warning_id, device_id, answer, at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (warning_id, device_id) DO UPDATE SET answer = excluded.answer, at = excluded.at""",
                (row["chain"], device.id, answer, now),
            )
            audit.append(tx, device, "warning.answer", f"warning/{warning_id}", answer=answer)
            return {"warning": warning_id, "answer": answer}

        return await self.db.write(write)


def counts(conn: Any, warning_ids: list[str]) -> dict[str, dict[str, int]]:
    """The answers by chain id (the id of a chain's first message)."""
    found: dict[str, dict[str, int]] = {w: {"safe": 0, "need_help": 0} for w in warning_ids}
    if not warning_ids:
        return found
    marks = ",".join("?" * len(warning_ids))
    for r in conn.execute(
        f"""SELECT warning_id, answer, count(*) FROM warning_answers WHERE warning_id IN ({marks})
            GROUP BY warning_id, answer""",
        warning_ids,
    ):
        found[r[0]][r[1]] = int(r[2])
    return found
