"""Who is told what by web push, and the outbox jobs that tell them.

| cause (outbox topic, queued with the change)    | told                                       | opens            |
|-------------------------------------------------|--------------------------------------------|------------------|
| a new report (`push.new_report`, kinds.py)      | every active dispatcher; the officers of   | /center/#/incident/ID, |
|                                                 | the ward unit the report was routed to     | /officer/#/incident/ID |
| a dispatch (`push.dispatch`, kinds.py)          | the officers of the assigned unit          | /officer/#/incident/ID |
| an escalation (`escalation`, timers.py)         | every active dispatcher                    | /center/#/incident/ID  |
| a citizen-visible status or a police message   | the citizen device that reported           | /#/reports/ID    |
| (`push.citizen`, fanout.py's reply.sync)        |                                            |                  |

Two steps, each an outbox job. Planning (the topics above) runs once: in ONE transaction it records
the notification, one delivery per subscription, one `push.send` job per delivery, and marks its
own job done. Sending (`push.send`) then delivers one (notification, subscription) pair; its final
state and "job done" commit together. So a crash between the cause's commit and delivery delivers
everything after the restart, and a crash in the middle of a fan-out re-sends only the deliveries
that were not recorded yet (at most the ones in flight at the crash: at least once, and the
`Topic` and the notification `tag` make a repeat replace rather than stack).

Payloads carry ids, category, ward and a short title; never the citizen's name, phone or
description, nor the text of a police message (the citizen opens the app to read it).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from typing import Any

from app.categories import NAMES
from app.incidents.parts import Parts
from app.incidents.state import CITIZEN_STATUS as CITIZEN_STATUS_OF
from app.settings import Settings
from app.storage import outbox
from app.storage.base import Database
from app.storage.outbox import Item, Retry, Worker
from push import EndpointPolicy, Notification, PushService, VapidKeys, subject_problem
from push.subscriptions import DEFAULT_PUSH_HOSTS

log = logging.getLogger(__name__)

LANGS = ("vi", "en")
CATEGORY = NAMES  # the one vocabulary of every app (app/categories.py)
CITIZEN_STATUS = {
    "vi": {"delivered": "Đã đến trung tâm", "received": "Công an đã tiếp nhận", "in_progress": "Đang xử lý", "done": "Đã xử lý xong", "not_handled": "Không xử lý"},
    "en": {"delivered": "Delivered to the center", "received": "Received by the police", "in_progress": "In progress", "done": "Done", "not_handled": "Not handled"},
}
TEXT = {
    "vi": {
        "no_ward": "chưa rõ vị trí",
        "new_report": "Tin báo mới: {category} — {ward}",
        "new_report_body": "Mức ưu tiên {priority}. Bấm để mở sự vụ.",
        "dispatch": "Được phân công: {category} — {ward}",
        "dispatch_body": "Mức ưu tiên {priority}. Bấm để xác nhận và xem vị trí.",
        "not_triaged": "Quá hạn xác minh: {category} — {ward}",
        "not_triaged_body": "Tin báo chưa được xác minh sau {seconds} giây.",
        "not_acknowledged": "Chưa xác nhận: {unit}",
        "not_acknowledged_body": "{category} — {ward}: đơn vị chưa xác nhận sau {seconds} giây.",
        "status": "Tin báo của bạn: {status}",
        "status_body": "{category}. Bấm để xem chi tiết.",
        "message": "Công an đã gửi tin nhắn cho bạn",
        "message_body": "Về tin báo {category} ({status}). Bấm để đọc.",
    },
    "en": {
        "no_ward": "location unknown",
        "new_report": "New report: {category} — {ward}",
        "new_report_body": "Priority {priority}. Tap to open the incident.",
        "dispatch": "Assigned to your unit: {category} — {ward}",
        "dispatch_body": "Priority {priority}. Tap to acknowledge and see the location.",
        "not_triaged": "Not verified in time: {category} — {ward}",
        "not_triaged_body": "The report was not verified within {seconds} s.",
        "not_acknowledged": "Not acknowledged: {unit}",
        "not_acknowledged_body": "{category} — {ward}: the unit did not acknowledge within {seconds} s.",
        "status": "Your report: {status}",
        "status_body": "{category}. Tap for details.",
        "message": "The police sent you a message",
        "message_body": "About your report ({category}, {status}). Tap to read it.",
    },
}
URLS = {
    "center": "/center/#/incident/{id}",
    "officer": "/officer/#/incident/{id}",
    "citizen": "/#/reports/{id}",
}


def build_push(settings: Settings, db: Database) -> PushService:
    """The push library configured from settings: keys from the environment or the data dir."""
    if settings.vapid_private_key:
        keys = VapidKeys.from_string(settings.vapid_private_key)
    else:
        keys = VapidKeys.load_or_create(settings.data_dir / "vapid_private_key.pem")
    hosts = tuple(h.strip().lower() for h in settings.push_hosts.split(",") if h.strip())
    policy = EndpointPolicy(hosts=hosts or DEFAULT_PUSH_HOSTS, allow_loopback=settings.push_allow_loopback)
    return PushService(db, keys, settings.vapid_subject, policy, timeout_s=settings.push_timeout_s)


def warn_of_placeholder_contact(settings: Settings) -> None:
    """One line at the start of a serving process (`sos serve`, `sos worker`) when the VAPID
    contact is not a real one. Not fatal: a demo has no real contact. Apple's push service refuses
    such a token (403 BadJwtToken), so a deployment must set SOS_VAPID_SUBJECT. Said once by the
    command that serves, not by every command that builds the services (issue 23: `make run`
    printed it twice, which read as a broken configuration)."""
    problem = subject_problem(settings.vapid_subject)
    if problem:
        log.warning("web push: SOS_VAPID_SUBJECT %s; fine for a demo, set a real mailto: or "
                    "https: contact before real phones use it", problem)


def topic_for(audience: str, incident_id: str) -> str:
    """One Topic per (app, incident): a newer notice about it replaces one still undelivered."""
    digest = hashlib.sha256(f"{audience}:{incident_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:24]


def tell_citizen(tx: Any, incident_id: str, told: list[tuple[str, str]]) -> None:
    """Called from reply.sync with what changed in the citizen's reply document: a new status,
    new police messages. Keyed by the change itself, so a handler that runs twice queues it once."""
    status = next((value for kind, value in told if kind == "status"), None)
    messages = [value for kind, value in told if kind == "message"]
    if status is None and not messages:
        return
    key = f"push.citizen:{incident_id}:{status or ''}:{','.join(messages)}"[:300]
    outbox.enqueue(tx, "push.citizen", key, {"incident": incident_id, "status": status, "messages": messages})


class Alerts:
    def __init__(self, svc: Parts) -> None:
        self.svc = svc
        self.push = svc.push
        self.settings = svc.settings

    def register(self, worker: Worker, sender: Worker | None = None) -> None:
        """Planning is database work and runs on `worker`; sending waits on push services and
        runs on `sender` when given (a worker of its own), else on `worker` too."""
        worker.register("push.new_report", self.new_report)
        worker.register("push.dispatch", self.dispatch)
        worker.register("escalation", self.escalation)
        worker.register("push.citizen", self.citizen)
        self.sender = sender or worker
        self.sender.register_batch("push.send", self.send_many)

    # -- planning ----------------------------------------------------------------------------------
    async def _plan(self, item: Item, plan: Any) -> None:
        def run(tx: Any) -> None:
            incident = _incident(tx, item.payload["incident"])
            ids = plan(tx, incident) if incident is not None else []
            for delivery_id in ids:
                outbox.enqueue(tx, "push.send", f"push.send:{delivery_id}", {"delivery": delivery_id})
            Worker.complete_in(tx, item)

        await self.svc.db.write(run)
        self.sender.wake()

    def _notify(
        self, tx: Any, cause: str, audience: str, incident: dict[str, Any], owners: list[tuple[str, str]],
        ttl_s: int, title: str, body: str, **extra: Any,
    ) -> list[int]:
        """One notification per language, each to the owners' subscriptions in that language."""
        if not owners:
            return []
        ids: list[int] = []
        p1 = incident["priority"] == 1
        topic = topic_for(audience, incident["id"])
        for lang in LANGS:
            words = _words(lang, incident, **extra)
            payload = {
                "v": 1,
                "kind": cause.split(":", 1)[0],
                "app": audience,
                "incident": incident["id"],
                "category": incident["category"],
                "priority": incident["priority"],
                "ward_code": incident["ward_code"],
                "ward": incident["ward_name"],
                "title": TEXT[lang][title].format(**words),
                "body": TEXT[lang][body].format(**words),
                "url": URLS[audience].format(id=incident["id"]),
                "tag": topic,
                "renotify": p1 and audience != "citizen",
                "require_interaction": cause.startswith(("new_report", "dispatch", "escalation"))
                and audience != "citizen",
                "at": int(time.time() * 1000),
            }
            if audience == "citizen":
                payload["status"] = extra.get("status_code")
                # A silent report (issue 29): the phone must not ring nor buzz for the police's news.
                payload["silent"] = bool(incident.get("silent"))
            urgency = "high" if p1 and audience != "citizen" else "normal"
            notification = Notification(
                key=f"{cause}:{audience}:{lang}", payload=payload, ttl_s=ttl_s, urgency=urgency, topic=topic
            )
            ids += self.push.plan(tx, notification, owners, lang=lang)
        return ids

    async def new_report(self, item: Item) -> None:
        def plan(tx: Any, incident: dict[str, Any]) -> list[int]:
            cause = f"new_report:{incident['id']}"
            ttl = self.settings.push_ttl_police_s
            ids = self._notify(tx, cause, "center", incident, _dispatchers(tx), ttl, "new_report", "new_report_body")
            if incident["ward_unit"]:
                officers = _officers(tx, incident["ward_unit"])
                ids += self._notify(tx, cause, "officer", incident, officers, ttl, "new_report", "new_report_body")
            return ids

        await self._plan(item, plan)

    async def dispatch(self, item: Item) -> None:
        unit, entry = item.payload["unit"], item.payload["entry"]

        def plan(tx: Any, incident: dict[str, Any]) -> list[int]:
            assignment = tx.execute(
                "SELECT withdrawn_at FROM assignments WHERE incident_id = ? AND unit = ?", (incident["id"], unit)
            ).fetchone()
            if assignment is None or assignment["withdrawn_at"] is not None:
                return []  # withdrawn before we got to it: nobody needs to run
            cause = f"dispatch:{incident['id']}:{unit}:{entry}"
            officers = _officers(tx, unit)
            return self._notify(
                tx, cause, "officer", incident, officers, self.settings.push_ttl_police_s, "dispatch", "dispatch_body"
            )

        await self._plan(item, plan)

    async def escalation(self, item: Item) -> None:
        code = str(item.payload.get("code", ""))

        def plan(tx: Any, incident: dict[str, Any]) -> list[int]:
            # The item's own key: once per escalation, and again when a unit sent anew is late anew.
            cause = item.key
            if code.startswith("not_acknowledged:"):
                unit = code.split(":", 1)[1]
                row = tx.execute("SELECT name FROM units WHERE code = ?", (unit,)).fetchone()
                extra = {"unit": row["name"] if row else unit, "seconds": self.settings.ack_timeout_s}
                title, body = "not_acknowledged", "not_acknowledged_body"
            else:
                extra = {"unit": "", "seconds": self.settings.triage_timeout_s}
                title, body = "not_triaged", "not_triaged_body"
            return self._notify(
                tx, cause, "center", incident, _dispatchers(tx), self.settings.push_ttl_police_s,
                title, body, **extra,
            )

        await self._plan(item, plan)

    async def citizen(self, item: Item) -> None:
        status, messages = item.payload.get("status"), item.payload.get("messages") or []

        def plan(tx: Any, incident: dict[str, Any]) -> list[int]:
            row = tx.execute("SELECT device_id FROM reports WHERE id = ?", (incident["id"],)).fetchone()
            if row is None:
                return []
            reply_status = status or _citizen_status(tx, incident)
            cause = f"citizen:{incident['id']}:{status or ''}:{','.join(messages)}"
            title, body = ("message", "message_body") if messages else ("status", "status_body")
            return self._notify(
                tx, cause, "citizen", incident, [("device", str(row["device_id"]))],
                self.settings.push_ttl_citizen_s, title, body, status_code=reply_status,
            )

        await self._plan(item, plan)

    # -- sending -----------------------------------------------------------------------------------
    async def send(self, item: Item) -> None:
        last = item.attempts >= self.sender.max_attempts
        # On the last attempt the delivery is recorded as failed and the job is left to the
        # outbox's dead letter (state 'dead', last_error), where an operator sees it.
        outcome = await self.push.deliver(
            int(item.payload["delivery"]),
            in_tx=None if last else (lambda tx: Worker.complete_in(tx, item)),
            give_up=last,
        )
        if not outcome.final or last and outcome.state == "failed":
            raise Retry(f"push delivery {outcome.state}", delay_s=outcome.retry_after_s)

    async def send_many(self, items: list[Item]) -> list[Exception | None]:
        """`send` for a claimed batch: one read, the requests together, one write (push/service.py)."""
        limit = self.sender.max_attempts
        outcomes = await self.push.deliver_many([
            (int(item.payload["delivery"]),
             None if item.attempts >= limit else (lambda tx, item=item: Worker.complete_in(tx, item)),
             item.attempts >= limit)
            for item in items
        ])
        return [
            Retry(f"push delivery {outcome.state}", delay_s=outcome.retry_after_s)
            if not outcome.final or item.attempts >= limit and outcome.state == "failed" else None
            for item, outcome in zip(items, outcomes, strict=True)
        ]


# -- reads inside the planning transaction ---------------------------------------------------------
def _incident(conn: Any, incident_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT i.id, i.category, i.priority, i.status, i.ward_code, i.ward_unit, i.merged_into,
                  i.rejected_reason, i.silent, w.name AS ward_name
           FROM incidents i LEFT JOIN wards w ON w.code = i.ward_code WHERE i.id = ?""",
        (incident_id,),
    ).fetchone()
    return None if row is None else dict(row)


def _dispatchers(conn: Any) -> list[tuple[str, str]]:
    # "On duty" is an active dispatcher account for now; shifts belong to another issue.
    rows = conn.execute("SELECT id FROM users WHERE role = 'dispatcher' AND active = 1")
    return [("user", str(r[0])) for r in rows]


def _officers(conn: Any, unit: str) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT id FROM users WHERE role = 'officer' AND active = 1 AND unit = ?", (unit,))
    return [("user", str(r[0])) for r in rows]


def _citizen_status(conn: Any, incident: dict[str, Any]) -> str:
    return CITIZEN_STATUS_OF.get(incident["status"], "delivered")


def _words(lang: str, incident: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status = extra.get("status_code") or "delivered"
    return {
        "category": CATEGORY[lang].get(incident["category"], incident["category"]),
        "ward": incident["ward_name"] or TEXT[lang]["no_ward"],
        "priority": incident["priority"],
        "status": CITIZEN_STATUS[lang].get(status, status),
        "unit": extra.get("unit", ""),
        "seconds": extra.get("seconds", ""),
    }
