"""Telling the supervisors that a draft waits for them: the second person must not be the bottleneck.

A draft (or a draft update) queues `warning.review` with it; the job pushes one notice per
language to every active supervisor but the author, opening the console on the draft. Each
supervisor's own subscriptions, in their language; nothing is sent to citizens.
"""

from __future__ import annotations

import time
from typing import Any

from app.storage import outbox
from app.storage.base import Connection, Database
from app.storage.outbox import Item, Worker
from app.warnings.delivery import LANGS, topic_for
from app.warnings.drafts import REVIEW
from push import Notification, PushService

TEXT = {
    "vi": {"title": "Cảnh báo chờ duyệt: {headline}", "body": "{who} đã soạn; cần một người khác duyệt."},
    "en": {"title": "Warning to approve: {headline}", "body": "Drafted by {who}; a second person must approve it."},
}
TTL_S = 3600


class Review:
    def __init__(self, db: Database, push: PushService) -> None:
        self.db = db
        self.push = push
        self.sender: Worker | None = None

    def register(self, worker: Worker, sender: Worker | None = None) -> None:
        worker.register(REVIEW, self.review)
        self.sender = sender or worker

    async def review(self, item: Item) -> None:
        warning_id = str(item.payload["warning"])

        def run(tx: Connection) -> None:
            for delivery_id in self.plan(tx, warning_id):
                outbox.enqueue(tx, "push.send", f"push.send:{delivery_id}", {"delivery": delivery_id})
            Worker.complete_in(tx, item)

        await self.db.write(run)
        if self.sender is not None:
            self.sender.wake()

    def plan(self, tx: Connection, warning_id: str) -> list[int]:
        row = tx.execute(
            """SELECT w.id, w.chain, w.status, w.headline, w.headline_en, w.severity, w.exercise, w.author_id,
                      u.username, u.display_name
               FROM warnings w LEFT JOIN users u ON CAST(u.id AS TEXT) = w.author_id WHERE w.id = ?""",
            (warning_id,),
        ).fetchone()
        if row is None or row["status"] != "draft":
            return []  # approved or dropped before we got to it
        owners = [("user", str(r[0])) for r in tx.execute(
            "SELECT id FROM users WHERE role = 'supervisor' AND active = 1 AND CAST(id AS TEXT) != ?",
            (row["author_id"],))]
        if not owners:
            return []
        ids: list[int] = []
        who = row["display_name"] or row["username"] or "?"
        for lang in LANGS:
            headline = (row["headline_en"] if lang == "en" else None) or row["headline"]
            payload: dict[str, Any] = {
                "v": 1, "kind": "warning_review", "app": "center", "warning": row["id"],
                "severity": row["severity"], "exercise": bool(row["exercise"]),
                "title": TEXT[lang]["title"].format(headline=headline),
                "body": TEXT[lang]["body"].format(who=who),
                "url": f"/center/#/warnings/{row['id']}",
                "tag": topic_for(f"review:{row['chain']}"),
                "renotify": True, "require_interaction": True, "at": round(time.time() * 1000),
            }
            notification = Notification(key=f"{REVIEW}:{warning_id}:{lang}", payload=payload, ttl_s=TTL_S,
                                        urgency="high", topic=payload["tag"])
            ids += self.push.plan(tx, notification, owners, lang=lang)
        return ids
