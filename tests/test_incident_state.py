"""The status rule and the assignment timestamps, folded from the incident's logs."""

from __future__ import annotations

from app.incidents.state import fold

INFO = {"category": "crime", "priority": 1}


def d(action: str, at: float, **kw):
    return {"id": f"d-{action}-{at}", "action": action, "by": "7", "at": at, **kw}


def t(kind: str, unit: str, at: float, by: str = "9"):
    return {"id": f"t-{kind}-{unit}-{at}", "type": kind, "unit": unit, "by": by, "at": at}


def test_new_then_triaged_then_dispatched() -> None:
    assert fold(INFO, [], []).status == "new"
    s = fold(INFO, [d("verify", 10, category="fire", priority=2)], [])
    assert (s.status, s.category, s.priority, s.triaged_at) == ("triaged", "fire", 2, 10)
    s = fold(INFO, [d("verify", 10, category="fire", priority=2), d("dispatch", 20, unit="ward-26704")], [])
    assert s.status == "dispatched"
    assert s.assignments["ward-26704"].dispatched_at == 20
    assert s.citizen_status == "in_progress"


def test_each_assignment_keeps_its_own_stamps_and_the_furthest_stage_wins() -> None:
    dispatch = [d("verify", 1, category="crime", priority=1), d("dispatch", 2, unit="ward-1"), d("dispatch", 3, unit="dept-crime")]
    timeline = [
        t("acknowledged", "ward-1", 5),
        t("on_scene", "ward-1", 9),
        t("acknowledged", "dept-crime", 6),
        # arrives late from an offline phone: stamps the assignment, never moves status back
        t("en_route", "ward-1", 7),
    ]
    s = fold(INFO, dispatch, timeline)
    ward = s.assignments["ward-1"]
    assert (ward.acknowledged_at, ward.en_route_at, ward.on_scene_at) == (5, 7, 9)
    assert s.assignments["dept-crime"].acknowledged_at == 6
    assert s.status == "on_scene"
    s = fold(INFO, dispatch, [*timeline, t("resolved", "dept-crime", 12)])
    assert s.status == "resolved" and s.resolved_at == 12 and s.citizen_status == "done"


def test_the_result_does_not_depend_on_log_order() -> None:
    dispatch = [d("dispatch", 2, unit="ward-1"), d("verify", 1, category="crime", priority=1)]
    timeline = [t("on_scene", "ward-1", 9), t("acknowledged", "ward-1", 5)]
    a = fold(INFO, dispatch, timeline)
    b = fold(INFO, list(reversed(dispatch)), list(reversed(timeline)))
    assert a == b


def test_withdrawn_units_do_not_count_and_can_be_sent_again() -> None:
    dispatch = [d("dispatch", 2, unit="ward-1"), d("withdraw", 4, unit="ward-1")]
    s = fold(INFO, dispatch, [t("on_scene", "ward-1", 3)])
    assert s.status == "new" and s.active_units == set()
    s = fold(INFO, [*dispatch, d("dispatch", 8, unit="ward-1")], [t("acknowledged", "ward-1", 9)])
    assert s.status == "acknowledged"
    assert s.assignments["ward-1"].dispatched_at == 8


def test_reject_merge_close_and_reopen() -> None:
    s = fold(INFO, [d("reject", 3, reason="spam")], [])
    assert (s.status, s.rejected_reason, s.citizen_status) == ("rejected", "spam", "not_handled")
    s = fold(INFO, [d("merge", 3, into="abcdef12")], [])
    assert (s.status, s.merged_into) == ("merged", "abcdef12")
    closed = [d("dispatch", 1, unit="ward-1"), d("close", 30, outcome="handled")]
    s = fold(INFO, closed, [t("resolved", "ward-1", 20)])
    assert (s.status, s.outcome, s.closed_at) == ("closed", "handled", 30)
    s = fold(INFO, [*closed, d("reopen", 40)], [t("resolved", "ward-1", 20)])
    assert s.status == "resolved"


def test_need_support_and_messages_are_kept() -> None:
    s = fold(INFO, [d("dispatch", 1, unit="ward-1"), d("message", 2, text="Đang tới")], [t("need_support", "ward-1", 5)])
    assert s.need_support_at == 5
    assert s.messages[0]["text"] == "Đang tới"
