"""The statistics API against a generated history whose figures the test computes on its own.

5,000 incidents over 90 days, with known timestamps, are written straight into the rows
(`app.stats_history`); the expected medians, 90th percentiles and shares are computed here in plain
Python from the same facts (`statistics.median`, `statistics.quantiles(method="inclusive")`, which
is the documented percentile: linear interpolation between closest ranks), and the API's JSON and
CSV must agree with them, for the whole period and for a ward, a category and a unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import shutil
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.services import Services
from app.settings import Settings
from app.stats import history as stats_history
from tests.pg import backend, shared_server

N = 5000
DAYS = 90
SEED = 5
END = math.floor(time.time())
OFFSET = 7 * 3600
STAGES = ("triage", "dispatch", "acknowledge", "en_route", "on_scene", "resolve")
UNIT_STAGES = ("unit_acknowledge", "unit_en_route", "unit_on_scene", "unit_resolve", "unit_travel")
OPEN = ("new", "triaged", "dispatched", "acknowledged", "en_route", "on_scene", "resolved")
CATEGORIES = ("crime", "traffic", "fire", "other")


def local_day(t: float) -> int:
    return math.floor((t + OFFSET) / 86400)


def day_start(day: int) -> float:
    return day * 86400 - OFFSET


# The whole history: 90 local days, today included.
LO = day_start(local_day(END) - DAYS + 1)
HI = day_start(local_day(END) + 1)


# -- the history, once per session, copied into each test's data directory -------------------------
@pytest.fixture(scope="session")
def history() -> stats_history.History:
    return stats_history.generate(N, days=DAYS, end=END, seed=SEED)


@pytest.fixture(scope="session")
def stats_template(tmp_path_factory: pytest.TempPathFactory, history) -> Path | str:
    """The history once: a SQLite file, or a PostgreSQL database to clone (tests/pg.py)."""
    data = tmp_path_factory.mktemp("stats-template")
    url = shared_server().create_database() if backend() == "postgresql" else None
    svc = Services.build(Settings(data_dir=data, secret_key="template-key", database_url=url))
    svc.start()
    try:
        stats_history.insert(svc.db, history)
    finally:
        svc.stop()
    return url or data / "sos.db"


@pytest.fixture
def stats_db(settings: Settings, clock, stats_template: Path | str) -> Path:
    """The history in this test's database (before the app starts), and the clock at its end."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url:
        shared_server().clone(str(stats_template), settings.database_url)
    else:
        shutil.copy(stats_template, settings.db_path)
    clock.now = END
    return settings.db_path


@pytest.fixture
def api(stats_db: Path, client: TestClient, login) -> Iterator[Any]:
    """GET as a supervisor: `api("/api/stats/series", **params)` → the response."""
    token = login("chief", "supervisor")

    def get(path: str, **params: Any) -> Any:
        return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    yield get


# -- the expected figures, computed independently ------------------------------------------------
def p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def since(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else max(0.0, end - start)


def first(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def select(history, lo=LO, hi=HI, ward=None, category=None, unit=None, statuses=None):
    by_incident = defaultdict(list)
    for a in history.assignments:
        by_incident[a["incident_id"]].append(a)
    chosen = [
        i for i in history.incidents
        if lo <= i["arrived_at"] < hi
        and (ward is None or i["ward_code"] == ward)
        and (category is None or i["category"] == category)
        and (statuses is None or i["status"] in statuses)
        and (unit is None or any(a["unit"] == unit for a in by_incident[i["id"]]))
    ]
    return chosen, by_incident


def expected(history, now=END, **filters) -> dict[str, Any]:
    """What the response-times figure must say: per stage (count, median, p90), and the share."""
    incidents, by_incident = select(history, **filters)
    unit = filters.get("unit")
    samples: dict[str, list[float]] = {s: [] for s in STAGES + UNIT_STAGES}
    within = of = count = 0
    for i in incidents:
        arrived = i["arrived_at"]
        removed = i["status"] in ("rejected", "merged")
        assignments = by_incident[i["id"]]
        if unit is not None:
            # One sample per assignment of that unit, measured to the unit's own stamps.
            assignments = [a for a in assignments if a["unit"] == unit]
            count += len(assignments)
            rows = [(i["triaged_at"], a["dispatched_at"], a["acknowledged_at"], a["en_route_at"],
                     a["on_scene_at"], a["cleared_at"]) for a in assignments]
            for a in assignments:
                if not removed:
                    of += 1
                    within += since(arrived, a["dispatched_at"]) <= 60
        else:
            count += 1
            rows = [(i["triaged_at"], i["dispatched_at"],
                     first([a["acknowledged_at"] for a in assignments]),
                     first([a["en_route_at"] for a in assignments]),
                     first([a["on_scene_at"] for a in assignments]), i["resolved_at"])]
            pending = i["dispatched_at"] is None and arrived > now - 60
            if not removed and not pending:
                of += 1
                d = since(arrived, i["dispatched_at"])
                within += d is not None and d <= 60
        for row in rows:
            for stage, end in zip(STAGES, row, strict=True):
                d = since(arrived, end)
                if d is not None:
                    samples[stage].append(d)
        for a in assignments:
            for stage, start, key in zip(
                UNIT_STAGES, ("dispatched_at",) * 4 + ("en_route_at",),
                ("acknowledged_at", "en_route_at", "on_scene_at", "cleared_at", "on_scene_at"),
                strict=True,
            ):
                d = since(a[start], a[key])
                if d is not None:
                    samples[stage].append(d)
    return {
        "incidents": count,
        "within": (within, of),
        "stages": {s: (len(v), median(v), p90(v)) for s, v in samples.items()},
    }


def assert_row_matches(row: dict[str, Any], want: dict[str, Any]) -> None:
    assert row["incidents"] == want["incidents"]
    got = row["dispatched_within_60s"]
    assert (got["count"], got["of"]) == want["within"]
    assert got["share"] == (pytest.approx(want["within"][0] / want["within"][1], abs=1e-4)
                            if want["within"][1] else None)
    for stage, (count, med, q90) in want["stages"].items():
        figure = row["stages"][stage]
        assert figure["count"] == count, stage
        for key, value in (("median_s", med), ("p90_s", q90)):
            if value is None:
                assert figure[key] is None, (stage, key)
            else:
                assert figure[key] == pytest.approx(value, abs=1e-3), (stage, key)


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def num(cell: str) -> float | None:
    return None if cell == "" else float(cell)


# -- response times --------------------------------------------------------------------------------
def test_the_generated_history_has_what_the_figures_need(history) -> None:
    statuses = Counter(i["status"] for i in history.incidents)
    assert len(history.incidents) == N and set(statuses) >= {*OPEN, "closed", "rejected", "merged"}
    assert any(a["withdrawn_at"] for a in history.assignments)
    assert any(i["triaged_at"] and i["triaged_at"] < i["arrived_at"] for i in history.incidents)
    assert any(i["ward_code"] is None for i in history.incidents)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "fire"},
        {"unit": "dept-traffic"},
        {"category": "crime", "status": "closed,resolved"},
    ],
    ids=["whole period", "category", "unit", "category and status"],
)
def test_response_times_agree_with_the_independent_figures(api, history, filters) -> None:
    r = api("/api/stats/response-times", **{"from": LO, "to": HI}, **filters)
    assert r.status_code == 200, r.text
    body = r.json()
    statuses = filters.get("status")
    want = expected(history, category=filters.get("category"), unit=filters.get("unit"),
                    statuses=statuses.split(",") if statuses else None)
    assert body["unit_mode"] is ("unit" in filters)
    assert body["overall"]["incidents"] > 50
    assert_row_matches(body["overall"], want)


def test_response_times_for_the_busiest_ward_and_its_csv(api, history) -> None:
    ward = Counter(i["ward_code"] for i in history.incidents if i["ward_code"]).most_common(1)[0][0]
    params = {"from": LO, "to": HI, "ward": ward, "lang": "en"}
    body = api("/api/stats/response-times", **params).json()
    want = expected(history, ward=ward)
    assert want["incidents"] > 300
    assert_row_matches(body["overall"], want)
    header, rows = read_csv(api("/api/stats/response-times.csv", **params))
    assert header[:6] == ["Key", "Group", "Incidents", "Dispatched within 60 s", "Of", "Share"]
    assert len(rows) == 1 and rows[0][1] == "All"
    cells = rows[0]
    assert [int(cells[2]), int(cells[3]), int(cells[4])] == [want["incidents"], *want["within"]]
    for k, stage in enumerate(STAGES + UNIT_STAGES):
        count, med, q90 = cells[6 + 3 * k : 9 + 3 * k]
        assert int(count) == want["stages"][stage][0]
        assert num(med) == pytest.approx(want["stages"][stage][1], abs=1e-3)
        assert num(q90) == pytest.approx(want["stages"][stage][2], abs=1e-3)


def test_response_times_grouped_by_ward_category_and_unit(api, history) -> None:
    by_ward = api("/api/stats/response-times", group="ward", **{"from": LO, "to": HI}).json()
    keys = [r["key"] for r in by_ward["rows"]]
    assert None in keys and keys[-1] is None  # incidents without a location: the last row
    assert len(keys) == len({i["ward_code"] for i in history.incidents})
    assert_row_matches(by_ward["overall"], expected(history))
    for row in by_ward["rows"][:5]:
        if row["key"] is not None:
            assert_row_matches(row, expected(history, ward=row["key"]))
    by_category = api("/api/stats/response-times", group="category", **{"from": LO, "to": HI})
    rows = by_category.json()["rows"]
    assert [r["key"] for r in rows] == list(CATEGORIES)
    for row in rows:
        assert_row_matches(row, expected(history, category=row["key"]))
    by_unit = api("/api/stats/response-times", group="unit", **{"from": LO, "to": HI}).json()
    assert by_unit["unit_mode"] is True
    units = {r["key"]: r for r in by_unit["rows"]}
    assert set(units) == {a["unit"] for a in history.assignments}
    for unit in ("dept-traffic", "dept-order", sorted(units)[-1]):
        assert_row_matches(units[unit], expected(history, unit=unit))


def test_travel_time_en_route_to_on_scene_by_unit_and_by_ward(api, history) -> None:
    """Issue 16: the road alone (a unit en route → that unit on scene), next to the response times."""
    params = {"from": LO, "to": HI}
    by_unit = {r["key"]: r for r in api("/api/stats/response-times", group="unit", **params).json()["rows"]}
    incidents = {i["id"]: i for i in history.incidents if LO <= i["arrived_at"] < HI}
    for unit in ("dept-traffic", "dept-crime"):
        legs = [a["on_scene_at"] - a["en_route_at"] for a in history.assignments
                if a["unit"] == unit and a["incident_id"] in incidents
                and a["en_route_at"] is not None and a["on_scene_at"] is not None]
        travel = by_unit[unit]["stages"]["unit_travel"]
        assert travel["count"] == len(legs) > 20
        assert travel["median_s"] == pytest.approx(median([max(0.0, v) for v in legs]), abs=1e-3)
        # Not the dispatch-to-scene time: the wait before setting off is not travel.
        assert travel["median_s"] < by_unit[unit]["stages"]["unit_on_scene"]["median_s"]
    by_ward = api("/api/stats/response-times", group="ward", **params).json()
    ward = next(r for r in by_ward["rows"] if r["key"] is not None)
    want = expected(history, ward=ward["key"])["stages"]["unit_travel"]
    got = ward["stages"]["unit_travel"]
    assert (got["count"], got["median_s"]) == (want[0], pytest.approx(want[1], abs=1e-3))


def test_response_times_by_day_and_week_cover_every_bucket(api, history) -> None:
    by_day = api("/api/stats/response-times", group="day", **{"from": LO, "to": HI}).json()
    assert len(by_day["rows"]) == DAYS
    for row in by_day["rows"][10:13]:
        d = (dt.date.fromisoformat(row["key"]) - dt.date(1970, 1, 1)).days
        assert_row_matches(row, expected(history, lo=day_start(d), hi=day_start(d + 1)))
    by_week = api("/api/stats/response-times", group="week", **{"from": LO, "to": HI}).json()
    assert sum(r["incidents"] for r in by_week["rows"]) == by_day["overall"]["incidents"]
    assert 13 <= len(by_week["rows"]) <= 14


def test_default_period_is_the_last_seven_local_days(api, history) -> None:
    body = api("/api/stats/response-times").json()
    assert body["filters"]["from_ts"] == day_start(local_day(END) - 6)
    assert body["filters"]["to_ts"] == day_start(local_day(END) + 1)
    assert body["filters"]["from"].endswith("T00:00:00+07:00")
    want = expected(history, lo=day_start(local_day(END) - 6), hi=HI)
    assert_row_matches(body["overall"], want)
    # ISO dates mean local days, `to` included: the same period asked for another way.
    first_day = body["filters"]["from"][:10]
    last_day = time.strftime("%Y-%m-%d", time.gmtime(END + OFFSET))
    again = api("/api/stats/response-times", **{"from": first_day, "to": last_day}).json()
    assert again["overall"] == body["overall"]


# -- series, histogram, wards, map, overview -------------------------------------------------------
def test_series_counts_per_day_by_category_json_and_csv(api, history) -> None:
    body = api("/api/stats/series", **{"from": LO, "to": HI}).json()
    assert len(body["rows"]) == DAYS
    want: Counter[tuple[int, str]] = Counter(
        (local_day(i["arrived_at"]), i["category"]) for i in history.incidents
    )
    first_day = local_day(LO)
    for k, row in enumerate(body["rows"]):
        assert row["from_ts"] == day_start(first_day + k)
        assert row["counts"] == {c: want[(first_day + k, c)] for c in CATEGORIES}
        assert row["total"] == sum(row["counts"].values())
    header, rows = read_csv(api("/api/stats/series.csv", lang="en", **{"from": LO, "to": HI}))
    assert header == ["Date", "Crime and public order", "Traffic accident", "Fire or explosion",
                      "Other emergency", "Total"]
    assert [[r["period"], *r["counts"].values(), r["total"]] for r in body["rows"]] == [
        [cells[0], *map(int, cells[1:])] for cells in rows
    ]
    weekly = api("/api/stats/series", bucket="week", **{"from": LO, "to": HI}).json()
    assert sum(r["total"] for r in weekly["rows"]) == N


def test_histogram_bins_and_markers(api, history) -> None:
    body = api("/api/stats/histogram", stage="dispatch", bin_s=15, bins=8,
               **{"from": LO, "to": HI}).json()
    durations = [since(i["arrived_at"], i["dispatched_at"]) for i in history.incidents]
    durations = [d for d in durations if d is not None]
    want = Counter(min(int(d // 15), 8) for d in durations)
    assert [b["count"] for b in body["bins"]] == [want[k] for k in range(9)]
    assert body["bins"][0] == {"from_s": 0, "to_s": 15, "count": want[0]}
    assert body["bins"][-1]["to_s"] is None  # the open bin: 120 s and more
    assert body["count"] == len(durations)
    assert body["median_s"] == pytest.approx(median(durations), abs=1e-3)
    assert body["p90_s"] == pytest.approx(p90(durations), abs=1e-3)
    header, rows = read_csv(api("/api/stats/histogram.csv", stage="dispatch", bin_s=15, bins=8,
                                lang="en", **{"from": LO, "to": HI}))
    assert header == ["From (s)", "To (s)", "Incidents"]
    assert [int(r[2]) for r in rows] == [want[k] for k in range(9)] and rows[-1][1] == ""


def test_wards_bars_with_categories_share_and_median(api, history) -> None:
    body = api("/api/stats/wards", **{"from": LO, "to": HI}).json()
    counts = Counter(i["ward_code"] for i in history.incidents)
    assert body["total"] == N and body["wards"] == len(counts)
    assert [r["count"] for r in body["rows"]] == sorted(counts.values(), reverse=True)
    for row in body["rows"][:3]:
        mine = [i for i in history.incidents if i["ward_code"] == row["ward_code"]]
        assert row["by_category"] == {c: sum(i["category"] == c for i in mine) for c in CATEGORIES}
        want = expected(history, ward=row["ward_code"])
        share = row["dispatched_within_60s"]
        assert (share["count"], share["of"]) == want["within"]
        assert row["dispatch_median_s"] == pytest.approx(want["stages"]["dispatch"][1], abs=1e-3)
    header, rows = read_csv(api("/api/stats/wards.csv", **{"from": LO, "to": HI}))
    assert header[:3] == ["Mã phường", "Phường, xã", "Số vụ"]
    assert [(r[1], int(r[2])) for r in rows] == [(r["ward_name"], r["count"]) for r in body["rows"]]
    assert "Phường" in rows[0][1] or "Xã" in rows[0][1]  # Vietnamese names survive the round trip


def test_map_points_for_a_narrow_filter_and_a_grid_for_many(api, history) -> None:
    ward = Counter(i["ward_code"] for i in history.incidents if i["ward_code"]).most_common(1)[0][0]
    lo = day_start(local_day(END) - 29)
    points = api("/api/stats/map", ward=ward, **{"from": lo, "to": HI}).json()
    mine = [i for i in history.incidents if i["ward_code"] == ward and lo <= i["arrived_at"] < HI]
    assert points["mode"] == "points" and points["boundaries"] == "/api/wards/boundaries"
    assert {p["id"] for p in points["points"]} == {i["id"] for i in mine}
    sample = next(p for p in points["points"] if p["id"] == mine[0]["id"])
    assert (sample["lat"], sample["lon"], sample["category"], sample["status"]) == (
        mine[0]["lat"], mine[0]["lon"], mine[0]["category"], mine[0]["status"])
    grid = api("/api/stats/map", **{"from": LO, "to": HI}).json()
    located = [i for i in history.incidents if i["lat"] is not None]
    assert grid["mode"] == "grid" and grid["located"] == len(located)
    assert grid["no_location"] == N - len(located)
    assert sum(c["count"] for c in grid["cells"]) == len(located)
    assert len(grid["cells"]) <= 1500
    totals = Counter(i["category"] for i in located)
    assert {c: sum(cell["by_category"][c] for cell in grid["cells"]) for c in CATEGORIES} == totals
    for cell in grid["cells"]:
        south, west, north, east = cell["bounds"]
        assert south <= cell["lat"] <= north and west <= cell["lon"] <= east
    fine = api("/api/stats/map", mode="grid", cell_m=200, **{"from": LO, "to": HI}).json()
    assert fine["cell_m"] == 200 and len(fine["cells"]) > len(grid["cells"])
    header, rows = read_csv(api("/api/stats/map.csv", ward=ward, lang="en", **{"from": lo, "to": HI}))
    assert header == ["Incident", "Latitude", "Longitude", "Category", "Status"]
    assert {r[0] for r in rows} == {i["id"] for i in mine}


def test_overview_open_incidents_and_today_against_four_weeks(api, history) -> None:
    body = api("/api/stats/overview").json()
    still_open = [i for i in history.incidents if i["status"] in OPEN]
    assert body["open"]["total"] == len(still_open)
    assert {r["status"]: r["count"] for r in body["open"]["by_status"]} == {
        s: sum(i["status"] == s for i in still_open) for s in OPEN}
    assert {r["category"]: r["count"] for r in body["open"]["by_category"]} == {
        c: sum(i["category"] == c for i in still_open) for c in CATEGORIES}
    assert {r["ward_code"]: r["count"] for r in body["open"]["by_ward"]} == Counter(
        i["ward_code"] for i in still_open)
    today = local_day(END)
    elapsed = END - day_start(today)
    today_figures = body["today"]
    assert today_figures["count"] == sum(day_start(today) <= i["arrived_at"] <= END
                                         for i in history.incidents)
    for weeks, previous in enumerate(today_figures["previous"], start=1):
        start = day_start(today - 7 * weeks)
        assert previous["so_far"] == sum(start <= i["arrived_at"] <= start + elapsed
                                         for i in history.incidents)
        assert previous["full_day"] == sum(start <= i["arrived_at"] < start + 86400
                                           for i in history.incidents)
    assert today_figures["mean_so_far"] == pytest.approx(
        statistics.mean(p["so_far"] for p in today_figures["previous"]), abs=0.01)
    header, rows = read_csv(api("/api/stats/overview.csv"))
    assert ["open", "", "Tổng", str(len(still_open))] == rows[0]


def test_csv_with_format_parameter_equals_the_csv_address(api) -> None:
    params = {"from": LO, "to": HI, "group": "category"}
    a = api("/api/stats/response-times", format="csv", **params)
    b = api("/api/stats/response-times.csv", **params)
    assert a.content == b.content
    assert 'filename="sos-response-times-' in a.headers["content-disposition"]
