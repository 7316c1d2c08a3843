"""Folding an incident's logs into its state: status, triage, and each assignment's timestamps.

The incident document holds append-only logs (dispatchers' `dispatch`, officers' `timeline`); the
state is a pure function of them, so every device and the server agree without anyone writing a
shared `status` field that two people could overwrite at once.

The rule for status (DESIGN §2 lifecycle), in order:
  1. `closed` if the last close/reopen entry is a close;
  2. `rejected` / `merged` if the last triage decision (verify, reject, merge, reopen) is that;
  3. otherwise the furthest stage reached by any unit still assigned (dispatched < acknowledged <
     en_route < on_scene < resolved), so an offline officer's late "en route" never moves an
     incident back, and "resolved" by any assigned unit wins;
  4. otherwise `triaged` if verified, else `new`.
Entries are ordered by their `at` (the device's clock), ties in log order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAGES = ("dispatched", "acknowledged", "en_route", "on_scene", "resolved")
STATUSES = ("new", "triaged", *STAGES, "closed", "rejected", "merged")
OPEN_STATUSES = ("new", "triaged", *STAGES)
TIMELINE_STAGE = {
    "acknowledged": "acknowledged",
    "en_route": "en_route",
    "on_scene": "on_scene",
    "resolved": "resolved",
}
# What the citizen sees (DESIGN §2, made honest by issue 23): "delivered" while nobody has looked
# at the report yet (it reached the center), "received" once a dispatcher triaged it, then the
# progress. The phone itself says "saved" before the server acknowledged it.
CITIZEN_STATUS = {
    "new": "delivered",
    "triaged": "received",
    "dispatched": "in_progress",
    "acknowledged": "in_progress",
    "en_route": "in_progress",
    "on_scene": "in_progress",
    "resolved": "done",
    "closed": "done",
    "rejected": "not_handled",
}


@dataclass
class Assignment:
    unit: str
    dispatched_at: float | None = None
    dispatched_by: str | None = None
    instructions: str | None = None
    acknowledged_at: float | None = None
    en_route_at: float | None = None
    on_scene_at: float | None = None
    cleared_at: float | None = None  # resolved
    withdrawn_at: float | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def stage(self) -> str:
        for stage in reversed(STAGES):
            if getattr(self, _STAGE_FIELD[stage]) is not None:
                return stage
        return "dispatched"


_STAGE_FIELD = {
    "dispatched": "dispatched_at",
    "acknowledged": "acknowledged_at",
    "en_route": "en_route_at",
    "on_scene": "on_scene_at",
    "resolved": "cleared_at",
}


@dataclass
class IncidentState:
    status: str = "new"
    category: str | None = None
    priority: int | None = None
    verified_at: float | None = None
    triaged_at: float | None = None  # first triage decision of any kind
    rejected_reason: str | None = None
    merged_into: str | None = None
    closed_at: float | None = None
    outcome: str | None = None
    need_support_at: float | None = None
    assignments: dict[str, Assignment] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active_units(self) -> set[str]:
        return {u for u, a in self.assignments.items() if a.active}

    @property
    def first_dispatched_at(self) -> float | None:
        times = [a.dispatched_at for a in self.assignments.values() if a.dispatched_at]
        return min(times) if times else None

    @property
    def resolved_at(self) -> float | None:
        times = [a.cleared_at for a in self.assignments.values() if a.cleared_at and a.active]
        return min(times) if times else None

    @property
    def citizen_status(self) -> str:
        return CITIZEN_STATUS.get(self.status, "delivered")


def _ordered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for _, e in sorted(enumerate(entries), key=lambda p: (float(p[1].get("at", 0)), p[0]))]


def fold(info: dict[str, Any], dispatch: list[dict[str, Any]], timeline: list[dict[str, Any]]) -> IncidentState:
    state = IncidentState(category=info.get("category"), priority=_int(info.get("priority")))
    decision: str | None = None
    closed = False
    for entry in _ordered(dispatch):
        action, at = entry.get("action"), float(entry.get("at", 0))
        if action in ("verify", "reject", "merge", "reopen"):
            state.triaged_at = state.triaged_at or at
            decision = action
        if action == "verify":
            state.category = entry.get("category", state.category)
            state.priority = _int(entry.get("priority")) or state.priority
            state.verified_at = state.verified_at or at
        elif action == "reject":
            state.rejected_reason = entry.get("reason")
        elif action == "merge":
            state.merged_into = entry.get("into")
        elif action == "dispatch":
            unit = str(entry.get("unit"))
            current = state.assignments.get(unit)
            if current is None or not current.active:
                # A unit sent again after a withdrawal starts a fresh assignment.
                state.assignments[unit] = Assignment(
                    unit, dispatched_at=at, dispatched_by=str(entry.get("by")),
                    instructions=entry.get("instructions"),
                )
        elif action == "withdraw":
            current = state.assignments.get(str(entry.get("unit")))
            if current is not None and current.active:
                current.withdrawn_at = at
        elif action == "message":
            state.messages.append({"id": entry["id"], "text": entry.get("text", ""), "at": at})
        elif action == "close":
            closed, state.closed_at, state.outcome = True, at, entry.get("outcome")
        elif action == "reopen":
            closed, state.closed_at, state.outcome = False, None, None
            state.rejected_reason = state.merged_into = None
    for entry in _ordered(timeline):
        kind, at = entry.get("type"), float(entry.get("at", 0))
        assignment = state.assignments.get(str(entry.get("unit")))
        if kind == "need_support":
            state.need_support_at = state.need_support_at or at
        stage = TIMELINE_STAGE.get(str(kind))
        if assignment is None or stage is None:
            continue
        attr = _STAGE_FIELD[stage]
        if getattr(assignment, attr) is None:
            setattr(assignment, attr, max(at, assignment.dispatched_at or at))
    if info.get("silent"):
        state.priority = 1  # a silent report stays P1: whoever cannot speak may be in danger
    state.status = _status(state, decision, closed)
    return state


def _status(state: IncidentState, decision: str | None, closed: bool) -> str:
    if closed:
        return "closed"
    if decision == "reject":
        return "rejected"
    if decision == "merge":
        return "merged"
    stages = [STAGES.index(a.stage) for a in state.assignments.values() if a.active]
    if stages:
        return STAGES[max(stages)]
    return "triaged" if decision in ("verify", "reopen") and state.verified_at else "new"


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
