"""Who may see the statistics, what the filters refuse, and the facts kept fresh in memory."""

from __future__ import annotations

import random
import statistics

import numpy as np
import pytest
from starlette.testclient import TestClient

from app.stats import history as stats_history
from app.stats.facts import FactsCache
from app.stats.query import GroupIndex, grouped_quantiles

from .test_stats import (
    END,
    HI,
    LO,
    api,
    assert_row_matches,
    expected,
    history,
    stats_db,
    stats_template,
)

__all__ = ["api", "history", "stats_db", "stats_template"]  # fixtures shared with test_stats

ADDRESSES = [
    "/api/stats/overview",
    "/api/stats/response-times?group=ward",
    "/api/stats/series.csv",
    "/api/stats/map?format=csv",
    "/api/stats/charts/wards.svg",
    "/api/stats/charts/histogram.svg",
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("address", ADDRESSES)
def test_officers_and_citizens_see_nothing_here(client: TestClient, login, address) -> None:
    officer = login("phumy", "officer", "ward-26704")
    r = client.get(address, headers=bearer(officer))
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden" and "officers" in r.json()["message"]
    device = client.post("/api/citizen/devices").json()["token"]
    r = client.get(address, headers=bearer(device))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert client.get(address).status_code == 401


@pytest.mark.parametrize("role", ["supervisor", "dispatcher", "admin"])
def test_supervisors_dispatchers_and_admins_see_every_figure(client: TestClient, login, role) -> None:
    token = login(f"user-{role}", role)
    for address in ADDRESSES:
        r = client.get(address, headers=bearer(token))
        assert r.status_code == 200, (address, r.text)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=yesterday", "from must be a date"),
        ("to=2025-02-30", "to must be a date"),
        ("from=2025-06-10&to=2025-06-01", "from must come before to"),
        ("from=2020-01-01&to=2025-01-01", "at most 1100 days"),
        ("ward=99999999", "ward must be the official code"),
        ("ward=abc", "ward must be the official code"),
        ("category=theft", "category must be one of"),
        ("unit=ward-1", "unit must be a unit code"),
        ("status=open,lost", "status takes"),
        ("group=province", "group must be one of"),
        ("lang=fr", "lang must be vi or en"),
        ("colour=red", "Unknown parameter colour"),
        ("format=xml", "format must be json or csv"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(client: TestClient, login, query, words) -> None:
    token = login("chief", "supervisor")
    r = client.get(f"/api/stats/response-times?{query}", headers=bearer(token))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid" and words in r.json()["message"]


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("/api/stats/histogram?bins=many", "bins must be"),
        ("/api/stats/histogram?bin_s=0", "bin_s must be a number from 1"),
        ("/api/stats/histogram?stage=lunch", "stage must be one of"),
        ("/api/stats/map?cell_m=5", "cell_m must be a number from 50"),
        ("/api/stats/map?mode=heat", "mode must be one of"),
        ("/api/stats/series?bucket=hour", "bucket must be one of"),
        ("/api/stats/charts/wards.svg?measure=colour", "measure must be one of"),
        ("/api/stats/wards?group=ward", "Unknown parameter group"),
    ],
)
def test_each_figure_checks_its_own_parameters(client: TestClient, login, address, words) -> None:
    token = login("chief", "supervisor")
    r = client.get(address, headers=bearer(token))
    assert r.status_code == 422, r.text
    assert words in r.json()["message"]


def test_unknown_figures_and_charts_are_404(client: TestClient, login) -> None:
    token = login("chief", "supervisor")
    for address in ("/api/stats/everything", "/api/stats/everything.csv",
                    "/api/stats/charts/pie.svg"):
        r = client.get(address, headers=bearer(token))
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_an_empty_database_answers_every_figure(client: TestClient, login) -> None:
    token = login("chief", "supervisor")
    for address in ("/api/stats/overview", "/api/stats/response-times?group=unit",
                    "/api/stats/histogram", "/api/stats/wards", "/api/stats/map?mode=grid",
                    "/api/stats/series?bucket=week", "/api/stats/charts/series.svg?kind=area",
                    "/api/stats/charts/histogram.svg", "/api/stats/charts/wards.svg"):
        r = client.get(address, headers=bearer(token))
        assert r.status_code == 200, (address, r.text)
    body = client.get("/api/stats/response-times", headers=bearer(token)).json()
    assert body["overall"]["dispatched_within_60s"] == {"count": 0, "of": 0, "share": None}
    assert body["overall"]["stages"]["dispatch"] == {"count": 0, "median_s": None, "p90_s": None}


def test_csv_exports_are_audited(api, client: TestClient, svc) -> None:
    api("/api/stats/series.csv", ward=26704)
    rows = svc.db.read_sync(lambda c: c.execute(
        "SELECT action, target, detail FROM audit_log WHERE action = 'stats.export'").fetchall())
    assert [(r[0], r[1]) for r in rows] == [("stats.export", "stats/series")]
    assert '"ward": 26704' in rows[0][2]


def test_changes_after_the_first_request_are_read_without_a_reload(api, client, history, svc) -> None:
    """The facts stay in memory; a new incident and a changed one show at the next request."""
    first = api("/api/stats/response-times", **{"from": LO, "to": HI}).json()
    cache: FactsCache = client.app.state.stats_facts
    assert cache.loads == 1
    more = stats_history.generate(40, days=3, end=END, seed=99)
    stats_history.insert(svc.db, more)
    # An incident that was never dispatched is dispatched now, 30 s after it arrived.
    waiting = next(i for i in history.incidents if i["status"] == "triaged")
    svc.db.write_sync(lambda tx: tx.execute(
        """INSERT INTO assignments (incident_id, unit, dispatched_at) VALUES (?, 'center', ?)""",
        (waiting["id"], waiting["arrived_at"] + 30)))
    svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE incidents SET status = 'dispatched', dispatched_at = ? WHERE id = ?",
        (waiting["arrived_at"] + 30, waiting["id"])))
    combined = stats_history.History(
        [dict(i, status="dispatched", dispatched_at=i["arrived_at"] + 30) if i is waiting else i
         for i in history.incidents + more.incidents],
        history.assignments + more.assignments + [{
            "incident_id": waiting["id"], "unit": "center", "dispatched_at": waiting["arrived_at"] + 30,
            "acknowledged_at": None, "en_route_at": None, "on_scene_at": None, "cleared_at": None,
            "withdrawn_at": None}],
    )
    second = api("/api/stats/response-times", **{"from": LO, "to": HI}).json()
    assert cache.loads == 1  # patched, not reloaded
    assert second["overall"]["incidents"] == first["overall"]["incidents"] + 40
    assert_row_matches(second["overall"], expected(combined))
    center = api("/api/stats/response-times", unit="center", **{"from": LO, "to": HI}).json()
    assert_row_matches(center["overall"], expected(combined, unit="center"))


def test_a_period_older_than_the_facts_in_memory_is_read_from_the_database(
    api, client: TestClient, history, clock
) -> None:
    client.app.state.stats_facts = cache = FactsCache(clock=clock, window_days=20)
    body = api("/api/stats/response-times", **{"from": LO, "to": HI}).json()
    assert_row_matches(body["overall"], expected(history))
    recent = api("/api/stats/response-times", **{"from": END - 5 * 86400, "to": HI}).json()
    assert_row_matches(recent["overall"], expected(history, lo=END - 5 * 86400))
    assert cache.loads == 1


@pytest.mark.parametrize("n_groups", [1, 7, 300])  # 300: the sort-based path
def test_grouped_quantiles_match_the_statistics_module(n_groups: int) -> None:
    rng = random.Random(n_groups)
    values = np.array([rng.lognormvariate(3, 1) if rng.random() > 0.2 else np.nan
                       for _ in range(5000)])
    groups = np.array([rng.randrange(n_groups) for _ in range(5000)])
    counts, (p50, p90) = grouped_quantiles(values, GroupIndex(groups, n_groups))
    for k in [*range(min(n_groups, 20)), n_groups]:
        mine = [v for v, g in zip(values, groups, strict=True)
                if not np.isnan(v) and (k == n_groups or g == k)]
        assert counts[k] == len(mine)
        if len(mine) >= 2:
            assert p50[k] == pytest.approx(statistics.median(mine), rel=1e-12)
            assert p90[k] == pytest.approx(
                statistics.quantiles(mine, n=10, method="inclusive")[8], rel=1e-12)
        elif len(mine) == 1:
            assert p50[k] == p90[k] == mine[0]
        else:
            assert np.isnan(p50[k])


def test_incidents_written_by_the_projection_reach_the_figures(client: TestClient, login, svc, clock) -> None:
    """Through the same functions the sync engine calls (the assignments' upsert included), and
    after the facts are in memory: the change log must follow every kind of write."""
    from app.directory.routing import Route
    from app.incidents import projection
    from app.incidents.state import fold

    token = login("chief", "supervisor")
    t0 = clock.now - 3600

    def ask() -> dict:
        r = client.get("/api/stats/response-times", params={"group": "unit"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        return r.json()

    assert ask()["overall"]["incidents"] == 0
    route = Route(ward_code=26704, ward_unit="ward-26704", departments=("dept-fire",))

    def arrive(tx) -> None:
        tx.execute("INSERT INTO devices (id, created_at) VALUES ('phone', 0)")
        projection.new_report(tx, "r1", "phone", {"category": "fire", "lat": 10.59, "lon": 107.05},
                              route, 1, t0)

    svc.db.write_sync(arrive)
    dispatch = [
        {"id": "d1", "action": "verify", "at": (t0 + 20) * 1000},
        {"id": "d2", "action": "dispatch", "unit": "ward-26704", "at": (t0 + 45) * 1000},
    ]
    timeline = [{"id": "t1", "type": "acknowledged", "unit": "ward-26704", "at": (t0 + 75) * 1000}]
    for logs in ((dispatch, []), (dispatch, timeline)):  # the second write updates the assignment
        state = fold({"category": "fire", "priority": 1}, *logs)
        svc.db.write_sync(lambda tx, state=state: projection.incident_changed(tx, "r1", state, {}, t0))
        body = ask()
    (row,) = body["rows"]
    assert row["key"] == "ward-26704"
    assert row["stages"]["dispatch"]["median_s"] == pytest.approx(45)
    assert row["stages"]["unit_acknowledge"]["median_s"] == pytest.approx(30)
    assert row["dispatched_within_60s"] == {"count": 1, "of": 1, "share": 1.0}
