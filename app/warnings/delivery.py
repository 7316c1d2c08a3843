"""Who is told of a published message, and how: planned from the outbox into the push library.

`warning.deliver` (queued with the approval or the cancel, app/warnings/drafts.py) runs once: in
ONE transaction it picks the devices whose wards meet the message's area (an update: the old
area too, so a phone outside the new one learns it is over for it; an exercise: only devices
that opted in), records one push notification per language with one delivery per subscription,
one `push.send` outbox item per delivery (sent by the same job as every other push:
app/incidents/alerts.py), and marks its own item done. The send items are claimed in batches by
every worker process running push (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so more workers
deliver faster.

Headers: `Urgency: high` for Extreme and Severe, TTL until the warning expires, and one Topic per
chain (the first message's id): an update or cancel replaces an undelivered older message at the
push service, and the same `tag` replaces the notice on the phone.

The payload holds ids, kind, severity and the headline: what the public page shows anyway, and
never anything about a citizen.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

from app.storage import outbox
from app.storage.base import Connection, Database
from app.storage.outbox import Item, Worker
from app.warnings.drafts import DELIVER
from push import Notification, PushService

LANGS = ("vi", "en")
KIND = {"Alert": "warning", "Update": "update", "Cancel": "cancel"}
TEXT = {
    "vi": {"exercise": "[DIỄN TẬP] ", "cancel": "Đã hủy cảnh báo: {headline}",
           "cancel_body": "Cảnh báo này không còn hiệu lực.", "update": "Cập nhật: {headline}"},
    "en": {"exercise": "[EXERCISE] ", "cancel": "Warning cancelled: {headline}",
           "cancel_body": "This warning is no longer in force.", "update": "Update: {headline}"},
}
BODY_MAX = 180
# Devices planned per transaction. A page commits and its pushes start while the next is planned:
# the first phones are told within a second of approval, however many follow the area.
PAGE = 2000
# The first page is smaller: its pushes start sooner (the first thousand phones within seconds),
# and the next, full, pages are planned while it is sent.
FIRST_PAGE = 500


def topic_for(chain: str) -> str:
    digest = hashlib.sha256(f"warning:{chain}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:24]


class Delivery:
    def __init__(self, db: Database, push: PushService, clock: Any = time.time, page: int = PAGE) -> None:
        self.db = db
        self.push = push
        self.clock = clock
        self.page = page
        self.sender: Worker | None = None

    def register(self, worker: Worker, sender: Worker | None = None) -> None:
        worker.register("warning.deliver", self.deliver)
        self.sender = sender or worker

    async def deliver(self, item: Item) -> None:
        warning_id = str(item.payload["warning"])
        after = str(item.payload.get("after") or "")

        def run(tx: Connection) -> None:
            ids, last = self.plan(tx, warning_id, after)
            outbox.enqueue_many(tx, "push.send", [(f"push.send:{i}", {"delivery": i}) for i in ids])
            if last is not None:  # the next page, as an item of its own
                outbox.enqueue(tx, DELIVER, f"{DELIVER}:{warning_id}:{last}", {"warning": warning_id, "after": last})
            Worker.complete_in(tx, item)

        await self.db.write(run)
        if self.sender is not None:
            self.sender.wake()

    def plan(self, tx: Connection, warning_id: str, after: str = "") -> tuple[list[int], str | None]:
        """The deliveries of one page of devices (those after `after`), and the last device of
        the page when another may follow."""
        row = tx.execute("SELECT * FROM warnings WHERE id = ?", (warning_id,)).fetchone()
        if row is None:
            return [], None
        message = dict(row)
        # Cancelled or updated before its delivery was planned: its successor tells the phones.
        if message["msg_type"] != "Cancel" and message["status"] != "published":
            return [], None
        ttl = int(message["expires_at"] - self.clock())
        if ttl < 1:
            return [], None
        page = min(self.page, FIRST_PAGE) if not after else self.page
        devices = _devices(tx, message, after, page)
        if not devices:
            return [], None
        owners = [("device", d) for d in devices]
        urgency = "high" if message["severity"] in ("Extreme", "Severe") else "normal"
        topic = topic_for(message["chain"])
        ids: list[int] = []
        for lang in LANGS:
            notification = Notification(
                key=f"warning:{warning_id}:{lang}", payload=_payload(message, lang, topic), ttl_s=ttl,
                urgency=urgency, topic=topic,
            )
            planned = self.push.plan(tx, notification, owners, lang=lang, extend=True)
            found = tx.execute("SELECT id FROM push_notifications WHERE key = ?", (notification.key,)).fetchone()
            if found is not None:
                tx.execute(
                    """INSERT INTO warning_notifications (warning_id, notification_id) VALUES (?, ?)
                       ON CONFLICT DO NOTHING""",
                    (warning_id, int(found[0])),
                )
            ids += planned
        return ids, devices[-1] if len(devices) == page else None


def _devices(tx: Connection, message: dict[str, Any], after: str, page: int) -> list[str]:
    """The devices whose wards meet the message's area; for an update, the replaced one's too (a
    phone outside the new area learns it is over for it); for a cancel, the area of every message
    of the chain (every phone that had any version)."""
    areas = [message["id"]] + ([message["refs"]] if message["msg_type"] == "Update" else [])
    if message["msg_type"] == "Cancel":
        areas += [str(r[0]) for r in tx.execute(
            "SELECT id FROM warnings WHERE chain = ? AND published_at IS NOT NULL AND id != ?",
            (message["chain"], message["id"]))]
    marks = ",".join("?" * len(areas))
    city = tx.execute(f"SELECT 1 FROM warnings WHERE id IN ({marks}) AND all_city = 1", areas).fetchone()
    exercise = (" AND a.device_id IN (SELECT device_id FROM device_warning_prefs WHERE exercises = 1)"
                if message["exercise"] else "")
    if city is not None:
        rows = tx.execute(
            f"""SELECT DISTINCT a.device_id FROM device_areas a WHERE a.device_id > ?{exercise}
                ORDER BY a.device_id LIMIT ?""",
            (after, page),
        )
    else:
        rows = tx.execute(
            f"""SELECT DISTINCT a.device_id FROM device_areas a
                JOIN warning_wards w ON w.ward_code = a.ward_code
                WHERE w.warning_id IN ({marks}) AND a.device_id > ?{exercise}
                ORDER BY a.device_id LIMIT ?""",
            (*areas, after, page),
        )
    return [str(r[0]) for r in rows]


def _payload(message: dict[str, Any], lang: str, topic: str) -> dict[str, Any]:
    words = TEXT[lang]
    headline = (message["headline_en"] if lang == "en" else None) or message["headline"]
    body = (message["instruction_en"] or message["description_en"] if lang == "en" else None) or (
        message["instruction"] or message["description"])
    kind = KIND[message["msg_type"]]
    if kind == "cancel":
        title, body = words["cancel"].format(headline=headline), words["cancel_body"]
    elif kind == "update":
        title = words["update"].format(headline=headline)
    else:
        title = headline
    if message["exercise"]:
        title = words["exercise"] + title
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 1].rstrip() + "…"
    return {
        "v": 1,
        "kind": kind,
        "app": "citizen",
        "warning": message["id"],
        "references": message["refs"],
        "chain": message["chain"],
        "severity": message["severity"],
        "exercise": bool(message["exercise"]),
        "headline": headline,
        "title": title,
        "body": body,
        "url": f"/#/warnings/{message['chain'] if kind == 'cancel' else message['id']}",
        "tag": topic,
        "renotify": kind != "cancel",
        "require_interaction": message["severity"] == "Extreme" and kind != "cancel",
        "expires": round(message["expires_at"] * 1000),
        "at": round(time.time() * 1000),
    }


def counts(conn: Any, warning_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per message: queued (deliveries planned), delivered, failed, expired (TTL ran out before
    delivery), removed (the subscription had expired: 404/410, and was deleted), pending."""
    keys = ("queued", "delivered", "failed", "expired", "removed", "pending")
    found = {w: dict.fromkeys(keys, 0) for w in warning_ids}
    if not warning_ids:
        return found
    marks = ",".join("?" * len(warning_ids))
    for r in conn.execute(
        f"""SELECT wn.warning_id, d.state, count(*) FROM warning_notifications wn
            JOIN push_deliveries d ON d.notification_id = wn.notification_id
            WHERE wn.warning_id IN ({marks}) GROUP BY wn.warning_id, d.state""",
        warning_ids,
    ):
        state = "removed" if r[1] == "gone" else r[1]
        found[r[0]][state] += int(r[2])
        found[r[0]]["queued"] += int(r[2])
    return found


