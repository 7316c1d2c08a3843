"""Reports that arrive by another channel than the citizen app: a call taken at the center
(`phone`), a partner system over Open311 (`partner:<name>`), or the plain HTML form of `/` that
works without script (`web-lite`, app/web/lite.py).

The server writes the report document itself, as the channel's principal, through the very
engine path a phone's update takes: the same validation, the same projection (routing by ward,
category and command center), the same outbox items (incident, reply, inboxes, the triage timer,
push). So such a report is routed, timed and counted exactly like an app report; a second path
that wrote rows directly would drift from it. What differs is written beside it in the same
transaction (`in_tx`): the channel on the incident, the author on the report, whether the location
is approximate, and an audit entry naming who took it.

Each channel writes as a device row of its own (`channel:phone`, `channel:partner:<name>`): the
report table wants an owning device, and nobody holds a token for these ids, so no citizen can
read such a report as its own. The web-lite form is a citizen's own report: it writes as that
phone's device (`writer`), so the device's report limits apply and it reads its report back.

A caller that chooses the id (`report_id`) may submit twice: the second finds the report written
and changes nothing (the engine serialises writers of one document, across processes too), so a
double tap makes one report.

    report_id = await intake.submit(svc, Intake(channel="phone", author="lan", actor=dispatcher,
                                                 category="fire", description="...", lat=..., lon=...))
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Doc, Map

from app.identity import audit
from app.identity.auth import Principal
from app.incidents import received
from app.incidents.documents import CATEGORIES, MAX_DESCRIPTION, PHONE
from app.incidents.parts import Parts
from app.storage.base import Connection

# The statistics code a kind by its position here; "partner" stands for every partner.
CHANNEL_KINDS = ("app", "phone", "web-lite", "partner")


class Rejected(ValueError):
    """The intake's data cannot make a report; the message says why (a 422 for the caller)."""


@dataclass(frozen=True)
class Intake:
    channel: str  # "phone", "partner:<name>" or "web-lite"
    author: str | None  # who took it: the dispatcher's username, the partner's name
    actor: Principal  # who is audited for it
    category: str
    description: str
    lat: float | None  # None: no location known (routed to the command center only)
    lon: float | None
    accuracy: float | None = None
    approximate: bool = False  # the location is a ward's centre, not a place
    contact_name: str | None = None
    contact_phone: str | None = None

    def check(self) -> None:
        if self.category not in CATEGORIES:
            raise Rejected(f"category must be one of {', '.join(CATEGORIES)}.")
        # A citizen may send the category alone, as in the app ("Cháy!" and nothing more);
        # a call taker or a partner system always says what happened.
        if not self.description.strip() and self.channel != "web-lite":
            raise Rejected("The description must not be empty.")
        if len(self.description) > MAX_DESCRIPTION:
            raise Rejected(f"The description is over {MAX_DESCRIPTION} characters.")
        if (self.lat is None) != (self.lon is None):
            raise Rejected("lat and lon come together, or neither.")
        if self.lat is not None and self.lon is not None and not (
            -90 <= self.lat <= 90 and -180 <= self.lon <= 180
        ):
            raise Rejected("lat/lon must be WGS84 degrees.")
        if self.contact_phone and not PHONE.match(self.contact_phone):
            raise Rejected("The phone number should be digits, e.g. 0901 234 567.")
        if self.contact_name and len(self.contact_name) > 100:
            raise Rejected("The name is over 100 characters.")


def channel_kind(channel: str) -> str:
    """app, phone or partner: what the statistics filter by."""
    return "partner" if channel.startswith("partner:") else channel


async def submit(
    svc: Parts, intake: Intake, *, report_id: str | None = None, writer: Principal | None = None
) -> str:
    """Write the report as the channel, or as `writer` (a citizen device); returns its id (= the
    incident's). Raises `Rejected`, or the engine's `Refused` if the document's own rules (or the
    writer's report limits) refuse it. With `report_id` of a report already written: nothing
    changes and that id is returned."""
    intake.check()
    report_id = report_id or str(uuid.uuid4())
    device = writer.id if writer is not None else f"channel:{intake.channel}"
    now = time.time()
    created = False

    def ensure_device(tx: Connection) -> None:
        tx.execute(
            "INSERT INTO devices (id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (device, now)
        )

    if writer is None:
        await svc.db.write(ensure_device)

    def mutate(doc: Doc) -> None:
        nonlocal created
        report = doc.get("report", type=Map)
        created = False  # run again on a newer state if another writer came first
        if "category" in report:  # written already (a double tap): an empty change
            return
        created = True
        report["category"] = intake.category
        report["description"] = intake.description.strip()
        if intake.lat is not None and intake.lon is not None:
            report["lat"] = float(intake.lat)
            report["lon"] = float(intake.lon)
        if intake.accuracy is not None and intake.lat is not None:
            report["accuracy"] = round(float(intake.accuracy), 1)
        report["created_at"] = now * 1000
        report["media"] = Array()
        if intake.contact_name or intake.contact_phone:
            report["contact"] = {"name": intake.contact_name or "", "phone": intake.contact_phone or ""}

    def in_tx(tx: Any) -> None:
        if not created:
            return
        tx.execute("UPDATE incidents SET channel = ? WHERE id = ?", (intake.channel, report_id))
        tx.execute(
            "UPDATE reports SET author = ?, location_approximate = ? WHERE id = ?",
            (intake.author, int(intake.approximate), report_id),
        )
        audit.append(tx, intake.actor, "report.intake", f"report/{report_id}",
                     channel=intake.channel, approximate=intake.approximate)

    principal = writer or Principal(kind="server", id=device, role="server")
    with received.through(channel_kind(intake.channel)):
        await svc.sync.server_write(f"report/{report_id}", mutate, in_tx, principal=principal)
    return report_id
