"""The figures: each a pure function of the facts, the filters and the time, returning JSON data.

Stages (seconds; see `app/stats/query.py` for the percentile and the clock-skew rule):

| stage              | from                     | to                                              |
|--------------------|--------------------------|-------------------------------------------------|
| `triage`           | arrival                  | the first triage decision (verify/reject/merge) |
| `dispatch`         | arrival                  | the first dispatch of any unit                  |
| `acknowledge`      | arrival                  | the first acknowledgement by any unit           |
| `en_route`         | arrival                  | the first unit en route                         |
| `on_scene`         | arrival                  | the first unit on scene                         |
| `resolve`          | arrival                  | resolved (first unit still assigned to clear)   |
| `unit_acknowledge` | that unit's dispatch     | that unit's acknowledgement (one per assignment)|
| `unit_en_route`    | that unit's dispatch     | that unit en route                              |
| `unit_on_scene`    | that unit's dispatch     | that unit on scene                              |
| `unit_resolve`     | that unit's dispatch     | that unit cleared                               |
| `unit_travel`      | that unit en route       | that unit on scene: the travel time (issue 16)  |

"Any unit" includes units withdrawn later: they were sent, and some did answer. When a unit is in
play (the `unit` filter, or grouping by unit) each sample is that unit's assignment instead, and
the arrival stages run to that unit's own stamps: "how fast did ward-26704 get there".

The share dispatched within 60 s of arrival: of the selected incidents that were not rejected or
merged (spam and duplicates are not incidents to dispatch), those whose first dispatch came at
most 60 s after arrival. Incidents never dispatched count against the share — except those that
arrived less than 60 s ago, whose outcome is not known yet. With a unit in play: of that unit's
assignments to such incidents, those made within 60 s of arrival.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.directory.routing import CATEGORIES
from app.incidents.state import OPEN_STATUSES, STATUSES
from app.stats.facts import Facts
from app.stats.labels import CATEGORY, STATUS, word
from app.stats.query import (
    REMOVED,
    Filters,
    GroupIndex,
    Names,
    assignments_of,
    day_label,
    day_start,
    days_of,
    dense_codes,
    durations,
    grouped_quantiles,
    local_day,
    local_iso,
    rounded,
    rounded_list,
    select,
    share,
    week_start,
)

THRESHOLD_S = 60.0
INCIDENT_STAGES = ("triage", "dispatch", "acknowledge", "en_route", "on_scene", "resolve")
UNIT_STAGES = ("unit_acknowledge", "unit_en_route", "unit_on_scene", "unit_resolve", "unit_travel")
STAGES = INCIDENT_STAGES + UNIT_STAGES
GROUPS = ("none", "ward", "category", "unit", "day", "week")
PERCENTILE = "linear interpolation between closest ranks (numpy default, R type 7)"
UNIT_END = {
    "unit_acknowledge": lambda f: f.a_ack,
    "unit_en_route": lambda f: f.a_en_route,
    "unit_on_scene": lambda f: f.a_on_scene,
    "unit_resolve": lambda f: f.a_cleared,
    "unit_travel": lambda f: f.a_on_scene,
}
# Where a unit stage starts: the unit's dispatch, except the travel time, which is the road only.
UNIT_START = {"unit_travel": lambda f: f.a_en_route}


@dataclass(frozen=True)
class Context:
    facts: Facts
    names: Names
    filters: Filters
    now: float

    @property
    def lang(self) -> str:
        return self.filters.lang

    def ward_label(self, code: int | None) -> str:
        if code is None or code < 0:
            return word(self.lang, "unknown_ward")
        return self.names.wards.get(code, str(code))


# -- samples and groups --------------------------------------------------------------------------
@dataclass
class Samples:
    """What the stage durations are measured on: incidents, or one unit's assignments."""

    unit_mode: bool
    incidents: np.ndarray  # incident row of each sample
    units: np.ndarray | None  # unit number of each sample (unit mode)
    stages: dict[str, np.ndarray]  # arrival stages, one value per sample
    within: np.ndarray  # dispatched within 60 s (bool per sample)
    eligible: np.ndarray  # counts in the share's denominator
    assignments: np.ndarray  # for the unit stages: assignment rows
    a_samples: np.ndarray  # ... and the sample each belongs to


def samples(ctx: Context, group: str = "none") -> Samples:
    facts, f = ctx.facts, ctx.filters
    mask = select(facts, f)
    unit_mode = f.unit is not None or group == "unit"
    if unit_mode:
        a = assignments_of(facts, mask, f.unit)
        inc = facts.a_incident[a]
        arrived = facts.arrived[inc]
        ends = (facts.triaged[inc], facts.a_dispatched[a], facts.a_ack[a], facts.a_en_route[a],
                facts.a_on_scene[a], facts.a_cleared[a])
        eligible = ~np.isin(facts.status[inc], REMOVED)
        a_samples = np.arange(len(a))
        units = facts.a_unit[a]
    else:
        inc = np.flatnonzero(mask)
        arrived = facts.arrived[inc]
        ends = (facts.triaged[inc], facts.dispatched[inc], facts.first_ack[inc],
                facts.first_en_route[inc], facts.first_on_scene[inc], facts.resolved[inc])
        pending = np.isnan(ends[1]) & (arrived > ctx.now - THRESHOLD_S)
        eligible = ~np.isin(facts.status[inc], REMOVED) & ~pending
        a = assignments_of(facts, mask, None)
        position = np.zeros(len(facts), dtype=np.int64)
        position[inc] = np.arange(len(inc))
        a_samples = position[facts.a_incident[a]]
        units = None
    stages = {s: durations(end, arrived) for s, end in zip(INCIDENT_STAGES, ends, strict=True)}
    within = eligible & (stages["dispatch"] <= THRESHOLD_S)
    return Samples(unit_mode, inc, units, stages, within, eligible, a, a_samples)


@dataclass
class Groups:
    codes: np.ndarray  # group number of each sample
    keys: list[Any]
    labels: list[str]
    all_label: str = ""  # the name of all groups together


def groups(ctx: Context, s: Samples, group: str) -> Groups:
    g = _groups(ctx, s, group)
    g.all_label = word(ctx.lang, "all")
    return g


def _groups(ctx: Context, s: Samples, group: str) -> Groups:
    facts, lang = ctx.facts, ctx.lang
    n = len(s.incidents)
    if group == "none":
        return Groups(np.zeros(n, dtype=np.int64), [None], [word(lang, "all")])
    if group == "category":
        return Groups(facts.category[s.incidents].astype(np.int64), list(CATEGORIES),
                      [CATEGORY[lang][c] for c in CATEGORIES])
    if group in ("day", "week"):
        first, last = local_day(ctx.filters.lo), local_day(ctx.filters.hi - 1e-6)
        days = days_of(facts.arrived[s.incidents])
        if group == "week":
            first, last, days = week_start(first), week_start(last), (days + 3) // 7 * 7 - 3
        step = 7 if group == "week" else 1
        keys = [day_label(d) for d in range(first, last + 1, step)]
        return Groups((days - first) // step, keys, list(keys))
    if group == "ward":
        values = facts.ward[s.incidents]
    else:  # unit
        assert s.units is not None
        values = s.units
    present, codes = dense_codes(values)
    if group == "ward":
        keys: list[Any] = [None if w < 0 else int(w) for w in present]
        labels = [ctx.ward_label(k) for k in keys]
    else:
        keys = [facts.units[u] for u in present]
        labels = [ctx.names.unit_name(k, lang) for k in keys]
    return Groups(codes.astype(np.int64).reshape(-1), keys, labels)


def stage_table(
    s: Samples, g: Groups, stages: tuple[str, ...] = STAGES, facts: Facts | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """All samples together, and per group: incidents, the 60 s share and each stage's count,
    median and 90th percentile."""
    n = len(g.keys)
    incidents = np.append(np.bincount(g.codes, minlength=n), len(g.codes))
    within = np.bincount(g.codes, weights=s.within, minlength=n)
    within = np.append(within, within.sum())
    eligible = np.bincount(g.codes, weights=s.eligible, minlength=n)
    eligible = np.append(eligible, eligible.sum())
    figures: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    by_sample = GroupIndex(g.codes, n)
    by_assignment = GroupIndex(g.codes[s.a_samples], n)
    for stage in stages:
        if stage in INCIDENT_STAGES:
            figures[stage] = grouped_quantiles(s.stages[stage], by_sample)
        else:
            assert facts is not None
            start = UNIT_START.get(stage, lambda f: f.a_dispatched)(facts)
            values = durations(UNIT_END[stage](facts)[s.assignments], start[s.assignments])
            figures[stage] = grouped_quantiles(values, by_assignment)
    columns = {
        stage: (counts.tolist(), rounded_list(qs[0]), rounded_list(qs[1]))
        for stage, (counts, qs) in figures.items()
    }
    rows = []
    for k in range(n + 1):
        rows.append({
            "key": g.keys[k] if k < n else None,
            "label": g.labels[k] if k < n else None,
            "incidents": int(incidents[k]),
            "dispatched_within_60s": share(int(within[k]), int(eligible[k])),
            "stages": {
                stage: {"count": counts[k], "median_s": p50[k], "p90_s": p90[k]}
                for stage, (counts, p50, p90) in columns.items()
            },
        })
    overall = rows.pop()
    overall["label"] = g.all_label
    return overall, rows


# -- the figures ---------------------------------------------------------------------------------
def response_times(ctx: Context, group: str) -> dict[str, Any]:
    s = samples(ctx, group)
    overall, rows = stage_table(s, groups(ctx, s, group), facts=ctx.facts)
    if group == "none":
        rows = []
    if group in ("ward", "unit"):
        rows.sort(key=lambda r: (r["key"] is None, str(r["label"])))
    return {
        "filters": ctx.filters.echo(),
        "group": group,
        "unit_mode": s.unit_mode,
        "stages": list(STAGES),
        "threshold_s": THRESHOLD_S,
        "percentile": PERCENTILE,
        "overall": overall,
        "rows": rows,
    }


def series(ctx: Context, bucket: str) -> dict[str, Any]:
    facts, f = ctx.facts, ctx.filters
    mask = select(facts, f)
    first, last = local_day(f.lo), local_day(f.hi - 1e-6)
    days = days_of(facts.arrived[mask])
    step = 7 if bucket == "week" else 1
    if bucket == "week":
        first, last, days = week_start(first), week_start(last), (days + 3) // 7 * 7 - 3
    n = (last - first) // step + 1
    index = (days - first) // step
    cats = facts.category[mask].astype(np.int64)
    counts = np.bincount(index * len(CATEGORIES) + cats, minlength=n * len(CATEGORIES))
    counts = counts[: n * len(CATEGORIES)].reshape(n, len(CATEGORIES))
    rows = [
        {
            "period": day_label(first + k * step),
            "from_ts": day_start(first + k * step),
            "counts": {c: int(counts[k, j]) for j, c in enumerate(CATEGORIES)},
            "total": int(counts[k].sum()),
        }
        for k in range(n)
    ]
    return {"filters": f.echo(), "bucket": bucket, "categories": list(CATEGORIES), "rows": rows}


def _nice_width(span: float, bins: int) -> float:
    raw = max(span / bins, 1.0)
    for width in (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if width >= raw:
            return float(width)
    return float(math.ceil(raw / 3600) * 3600)


def histogram(ctx: Context, stage: str, bin_s: float | None, bins: int) -> dict[str, Any]:
    s = samples(ctx)
    if stage in INCIDENT_STAGES:
        values = s.stages[stage]
    else:
        facts = ctx.facts
        values = durations(UNIT_END[stage](facts)[s.assignments], facts.a_dispatched[s.assignments])
    values = values[~np.isnan(values)]
    p50, p90, p95 = (np.quantile(values, [0.5, 0.9, 0.95]) if len(values) else (math.nan,) * 3)
    width = bin_s or _nice_width(p95 if len(values) else 0.0, bins)
    index = np.minimum(np.floor(values / width), bins).astype(np.int64)
    counts = np.bincount(index, minlength=bins + 1)
    return {
        "filters": ctx.filters.echo(),
        "stage": stage,
        "unit_mode": s.unit_mode,
        "count": int(len(values)),
        "median_s": rounded(p50),
        "p90_s": rounded(p90),
        "bin_s": width,
        "bins": [
            {"from_s": k * width, "to_s": None if k == bins else (k + 1) * width,
             "count": int(counts[k])}
            for k in range(bins + 1)
        ],
    }


def wards(ctx: Context, top: int | None) -> dict[str, Any]:
    """Incidents by ward with their categories, the 60 s share and the median time to dispatch."""
    facts = ctx.facts
    s = samples(ctx, "ward")
    g = groups(ctx, s, "ward")
    _, table = stage_table(s, g, stages=("dispatch",))
    by_cat = np.bincount(
        g.codes * len(CATEGORIES) + facts.category[s.incidents].astype(np.int64),
        minlength=len(g.keys) * len(CATEGORIES),
    ).reshape(len(g.keys), len(CATEGORIES))
    rows = [
        {
            "ward_code": t["key"],
            "ward_name": t["label"],
            "count": t["incidents"],
            "by_category": {c: int(by_cat[k, j]) for j, c in enumerate(CATEGORIES)},
            "dispatched_within_60s": t["dispatched_within_60s"],
            "dispatch_median_s": t["stages"]["dispatch"]["median_s"],
        }
        for k, t in enumerate(table)
    ]
    rows.sort(key=lambda r: (-r["count"], r["ward_code"] is None, r["ward_name"]))
    return {"filters": ctx.filters.echo(), "unit_mode": s.unit_mode, "total": len(s.incidents),
            "wards": len(rows), "rows": rows[:top] if top else rows}


def overview(ctx: Context) -> dict[str, Any]:
    """Open incidents now and today's arrivals against the same weekday of the 4 weeks before.

    Live figures: the period is ignored; ward, category, unit and status apply."""
    facts, f, now, lang = ctx.facts, ctx.filters, ctx.now, ctx.lang
    base = select(facts, f, period=False)
    open_codes = [STATUSES.index(s) for s in OPEN_STATUSES]
    is_open = base & np.isin(facts.status, open_codes)
    status_counts = np.bincount(facts.status[is_open], minlength=len(STATUSES))
    cat_counts = np.bincount(facts.category[is_open], minlength=len(CATEGORIES))
    ward_values, ward_counts = np.unique(facts.ward[is_open], return_counts=True)
    by_ward = [
        {"ward_code": None if w < 0 else int(w), "ward_name": ctx.ward_label(int(w)), "count": int(c)}
        for w, c in zip(ward_values, ward_counts, strict=True)
    ]
    by_ward.sort(key=lambda r: (-r["count"], r["ward_code"] is None, r["ward_name"]))
    today = local_day(now)
    elapsed = now - day_start(today)

    def arrivals(lo: float, hi: float) -> tuple[int, dict[str, int]]:
        hit = base & (facts.arrived >= lo) & (facts.arrived < hi)
        cats = np.bincount(facts.category[hit], minlength=len(CATEGORIES))
        return int(hit.sum()), {c: int(cats[j]) for j, c in enumerate(CATEGORIES)}

    count, by_category = arrivals(day_start(today), now + 1e-6)
    previous = []
    for weeks in range(1, 5):
        day = today - 7 * weeks
        so_far, so_far_cats = arrivals(day_start(day), day_start(day) + elapsed + 1e-6)
        full, _ = arrivals(day_start(day), day_start(day + 1))
        previous.append({"date": day_label(day), "so_far": so_far,
                         "so_far_by_category": so_far_cats, "full_day": full})
    mean_so_far = sum(p["so_far"] for p in previous) / len(previous)
    mean_full = sum(p["full_day"] for p in previous) / len(previous)
    return {
        "filters": f.echo(),
        "as_of": now,
        "as_of_local": local_iso(now),
        "open": {
            "total": int(is_open.sum()),
            "by_status": [
                {"status": s, "label": STATUS[lang][s], "count": int(status_counts[STATUSES.index(s)])}
                for s in OPEN_STATUSES
                if f.statuses is None or s in f.statuses
            ],
            "by_category": [
                {"category": c, "label": CATEGORY[lang][c], "count": int(cat_counts[j])}
                for j, c in enumerate(CATEGORIES)
            ],
            "by_ward": by_ward,
        },
        "today": {
            "date": day_label(today),
            "weekday": (today + 3) % 7,  # 0 = Monday
            "until": local_iso(now)[11:16],
            "count": count,
            "by_category": by_category,
            "previous": previous,
            "mean_so_far": round(mean_so_far, 2),
            "mean_full_day": round(mean_full, 2),
            "change_vs_mean": round((count - mean_so_far) / mean_so_far, 4) if mean_so_far else None,
        },
    }
