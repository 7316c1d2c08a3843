"""The four document kinds of the domain, registered with the sync engine.

| kind       | written by                               | read by                                |
|------------|------------------------------------------|----------------------------------------|
| report/ID  | the citizen device that created it       | that device; police with access        |
| incident/ID| dispatchers; officers of assigned units  | police with access                     |
| reply/ID   | the server                               | the report's device; police with access|
| inbox/UNIT | the server                               | the unit's members (center: dispatchers)|

Each kind's commit function writes the projection rows, the audit entry and the outbox items in the
same transaction as the update (see `app/incidents/projection.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, Map

from app.errors import ApiError
from app.identity import access, audit
from app.identity.auth import Principal
from app.incidents import projection, received
from app.incidents.documents import (
    Invalid,
    default_priority,
    log_entries,
    validate_incident,
    validate_report,
)
from app.incidents.parts import Parts
from app.incidents.state import fold
from app.storage import outbox
from media.records import foreign_ids
from sync import DocKind, Refused

UNIT_ID = r"center|ward-\d{1,6}|dept-[a-z0-9-]{1,32}"


def _invalid(exc: Invalid) -> Refused:
    return Refused(422, "invalid", str(exc), precise=exc.code, params=exc.params)


def incident_logs(doc: Doc) -> tuple[dict[str, Any], list[Any], list[Any]]:
    incident = doc.get("incident", type=Map)
    info = incident.get("info") or {}
    return dict(info), log_entries(incident, "dispatch"), log_entries(incident, "timeline")


class AppKind(DocKind):
    def __init__(self, svc: Parts) -> None:
        self.svc = svc

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        # Access questions are point lookups (app/identity/access.py): answered on the spot.
        return self.svc.db.read_now(lambda conn: fn(conn, *args))

    async def _audit_read(self, principal: Principal, target: str) -> None:
        if principal.is_police:
            await audit.record(self.svc.db, principal, f"{target.split('/')[0]}.read", target)

    def after_commit(self, principal: Any, doc_id: str, doc: Doc, created: bool, value: Any) -> Any:
        self.svc.worker.wake()  # outbox items were committed with the change: run them now


class ReportKind(AppKind):
    name = "report"
    max_update_bytes = 64 * 1024
    # 200 messages of 1,000 Vietnamese characters (3 bytes each in UTF-8) must fit.
    max_doc_bytes = 1024 * 1024
    relay_awareness = False

    async def can_read(self, principal: Principal | None, doc_id: str) -> bool:
        ok = await self._read(access.may_read_report, principal, doc_id)
        if ok and principal is not None:
            await self._audit_read(principal, f"report/{doc_id}")
        return bool(ok)

    async def can_write(self, principal: Principal | None, doc_id: str, exists: bool) -> bool:
        if principal is None or not principal.is_citizen:
            return False
        if exists:
            return await self._read(access.report_owner, doc_id) == principal.id
        return True

    def validate(self, principal: Any, doc_id: str, before: Doc, after: Doc, exists: bool) -> None:
        try:
            validate_report(before if exists else None, after, time.time() * 1000)
        except Invalid as exc:
            raise _invalid(exc) from exc
        if not exists and principal.kind != "server":
            # Counted only once the report is valid: a refused report costs the device nothing.
            # The server's own intake (a call, a partner: app/incidents/intake.py) is limited
            # by its endpoint instead.
            self._count_new_report(principal)

    def _count_new_report(self, principal: Principal) -> None:
        settings, limiter = self.svc.settings, self.svc.limiter
        try:
            limiter.check(("reports", principal.id), settings.reports_per_device_per_hour, 3600, "new reports")
            if principal.ip:
                limiter.check(("reports-ip", principal.ip), settings.reports_per_ip_per_hour, 3600, "new reports")
        except ApiError as exc:  # said the same way as every other sync refusal
            retry_after = exc.extra.get("retry_after")
            raise Refused(429, exc.code, exc.detail, retry_after=retry_after) from exc

    def prepare_commit(self, principal: Principal, doc_id: str, after: Doc, created: bool):
        data = after.get("report", type=Map).to_py() or {}
        if not created:
            def changed(tx: Any) -> None:
                # Only media uploaded to this very report may be named in it.
                unknown = foreign_ids(tx, doc_id, list(data.get("media") or []))
                if unknown:
                    raise Refused(422, "invalid", f"media {unknown[0]} was not uploaded to this report",
                                  precise="media_unknown")
                if not projection.track_may_grow(tx, doc_id, len(data.get("track") or [])):
                    # The phone stops sharing on this code (pwa/src/citizen/silent/).
                    raise Refused(409, "conflict", "the incident is finished: its live location is no longer taken",
                                  precise="incident_finished")
                projection.report_changed(tx, doc_id, data)
                projection.enqueue_fanout(tx, doc_id, reply=False)
                audit.append(tx, principal, "report.update", f"report/{doc_id}")

            return changed
        arrived_at = time.time()
        route = self.svc.directory.route(data.get("lat"), data.get("lon"), data["category"])
        priority = default_priority(data["category"], data.get("danger") is True, data.get("silent") is True)
        triage_due = arrived_at + self.svc.settings.triage_timeout_s

        def created_fn(tx: Any) -> None:
            if data.get("media"):
                # Uploads need the report to exist first, so a new report names no media yet.
                raise Refused(422, "invalid", "media can be added once the report has been sent",
                              precise="media_before_sent")
            projection.new_report(tx, doc_id, principal.id, data, route, priority, arrived_at)
            outbox.enqueue(tx, "incident.init", f"incident.init:{doc_id}", {"incident": doc_id})
            projection.enqueue_fanout(tx, doc_id)
            outbox.enqueue(tx, "timer.triage", f"timer.triage:{doc_id}", {"incident": doc_id}, run_at=triage_due)
            outbox.enqueue(tx, "push.new_report", f"push.new_report:{doc_id}", {"incident": doc_id})
            audit.append(tx, principal, "report.create", f"report/{doc_id}", ward=route.ward_code,
                         outside=route.outside, no_location=route.no_location)

        return created_fn

    def after_commit(self, principal: Any, doc_id: str, doc: Doc, created: bool, value: Any) -> Any:
        if created:
            received.count()
        return super().after_commit(principal, doc_id, doc, created, value)


class IncidentKind(AppKind):
    name = "incident"
    max_update_bytes = 64 * 1024
    max_doc_bytes = 1024 * 1024

    async def can_read(self, principal: Principal | None, doc_id: str) -> bool:
        if principal is None or not principal.is_police:
            return False
        ok = await self._read(access.police_may_see, principal, doc_id)
        if ok:
            await self._audit_read(principal, f"incident/{doc_id}")
        return bool(ok)

    async def can_write(self, principal: Principal | None, doc_id: str, exists: bool) -> bool:
        if principal is None or not exists or principal.role not in ("dispatcher", "officer"):
            return False
        return bool(await self._read(access.police_may_see, principal, doc_id))

    def validate(self, principal: Any, doc_id: str, before: Doc, after: Doc, exists: bool) -> None:
        if principal.kind == "server":
            return  # the server writes `info` once, when the report arrives
        active = fold(*incident_logs(before)).active_units if exists else set()
        try:
            added = validate_incident(
                before if exists else None, after, principal.id, principal.role, principal.unit, active
            )
        except Invalid as exc:
            raise _invalid(exc) from exc
        if any(e.get("action") == "merge" and e.get("into") == doc_id for e in added["dispatch"]):
            raise Refused(422, "invalid", "an incident cannot be merged into itself")

    def prepare_commit(self, principal: Principal, doc_id: str, after: Doc, created: bool):
        if principal.kind == "server":
            return None  # the rows were written with the report; nothing to project
        info, dispatch, timeline = incident_logs(after)
        state = fold(info, dispatch, timeline)
        # Every entry, not just the new ones: the projection and the timers are idempotent
        # (ON CONFLICT DO NOTHING, unique outbox keys), which is simpler than diffing and just as exact.
        entries = {"dispatch": dispatch, "timeline": timeline}
        ack_due = time.time() + self.svc.settings.ack_timeout_s

        photos = [m for entry in timeline for m in entry.get("media") or []]

        def commit(tx: Any) -> list[str]:
            # An officer's photos are uploaded to the incident's report first (app/web/media.py);
            # the timeline may name only those.
            unknown = foreign_ids(tx, doc_id, photos) if photos else []
            if unknown:
                raise Refused(422, "invalid", f"media {unknown[0]} was not uploaded to this incident")
            lost = projection.incident_changed(tx, doc_id, state, entries, time.time())
            projection.enqueue_fanout(tx, doc_id)
            for entry in dispatch:
                if entry.get("action") == "dispatch":
                    key = f"timer.ack:{doc_id}:{entry['unit']}:{entry['id']}"
                    payload = {"incident": doc_id, "unit": entry["unit"], "entry": entry["id"]}
                    outbox.enqueue(tx, "timer.ack", key, payload, run_at=ack_due)
                    # Keyed by the dispatch entry: the officers are told once per dispatch.
                    outbox.enqueue(tx, "push.dispatch", f"push.dispatch:{doc_id}:{entry['unit']}:{entry['id']}", payload)
            if state.merged_into:
                # The citizen of a merged report follows the main incident.
                projection.enqueue_fanout(tx, state.merged_into)
            audit.append(tx, principal, "incident.update", f"incident/{doc_id}", status=state.status)
            return lost

        return commit

    async def after_commit(self, principal: Any, doc_id: str, doc: Doc, created: bool, value: Any) -> None:
        super().after_commit(principal, doc_id, doc, created, value)
        if value:
            # Units were withdrawn: their officers' open connections lose what they may no longer
            # read (runs under this document's lock; reauthorize takes none).
            for kind in ("incident", "report", "reply"):
                await self.svc.sync.reauthorize(f"{kind}/{doc_id}")


class ReplyKind(AppKind):
    name = "reply"
    max_doc_bytes = 512 * 1024
    relay_awareness = False

    async def can_read(self, principal: Principal | None, doc_id: str) -> bool:
        return bool(await self._read(access.may_read_report, principal, doc_id))

    async def can_write(self, principal: Principal | None, doc_id: str, exists: bool) -> bool:
        return principal is not None and principal.kind == "server"


class InboxKind(AppKind):
    name = "inbox"
    max_doc_bytes = 8 * 1024 * 1024
    relay_awareness = False

    def __init__(self, svc: Parts) -> None:
        super().__init__(svc)
        import re

        self.id_pattern = re.compile(UNIT_ID)

    async def can_read(self, principal: Principal | None, doc_id: str) -> bool:
        return access.inbox_readers(principal, doc_id)

    async def can_write(self, principal: Principal | None, doc_id: str, exists: bool) -> bool:
        return principal is not None and principal.kind == "server"


def kinds(svc: Parts) -> list[DocKind]:
    return [ReportKind(svc), IncidentKind(svc), ReplyKind(svc), InboxKind(svc)]
