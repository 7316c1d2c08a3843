"""Statistics for supervisors and the command center: filters, periods, selections, percentiles.

The figures themselves are in `app/stats/figures.py`, their CSV tables in `app/stats/tables.py`,
the facts they read in `app/stats/facts.py`. Definitions that every figure shares, stated once:

- Times in the rows are seconds since the epoch. Days begin at midnight in Ho Chi Minh City
  (UTC+07:00 all year: Vietnam has kept no daylight saving time since 1975, so a fixed offset is
  exact and lets a whole column of times become day numbers in one numpy operation).
- The period [from, to) selects incidents by their ARRIVAL time (the server's clock).
- `unit` selects the incidents that unit was dispatched to (a withdrawn assignment included).
- `status` is the incident's status now; `open` stands for every status before closed.
- Durations run from the incident's arrival; a stamp made on a device whose clock runs behind
  the server's can fall before the arrival, and such a duration counts as 0 s.
- Percentiles are by linear interpolation between closest ranks (numpy's default, R's type 7,
  Excel's PERCENTILE.INC, Python's `statistics.quantiles(method="inclusive")`): for n sorted
  values x[0..n-1], p at h = (n-1)·p is x[⌊h⌋] + (h-⌊h⌋)(x[⌊h⌋+1]-x[⌊h⌋]). The median is p = 0.5.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import inputs
from app.directory.routing import CATEGORIES
from app.errors import ApiError
from app.incidents.intake import CHANNEL_KINDS
from app.incidents.state import OPEN_STATUSES, STATUSES
from app.stats.facts import Facts

UTC_OFFSET_S = 7 * 3600
TIMEZONE = "Asia/Ho_Chi_Minh"
LOCAL = dt.timezone(dt.timedelta(seconds=UTC_OFFSET_S), TIMEZONE)
DAY_S = 86400
DEFAULT_DAYS = 7
MAX_SPAN_DAYS = 1100
COMMON_PARAMS = frozenset({"from", "to", "ward", "category", "unit", "status", "channel", "format", "lang"})
LANGS = ("vi", "en")
# ASCII digits only: `\d` of a str pattern also matches other scripts' digits.
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_NUMBER = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,9})?$", re.ASCII)


def invalid(message: str, **extra: object) -> ApiError:
    return ApiError(422, "invalid", message, **extra)


# -- time ----------------------------------------------------------------------------------------
def local_day(t: float) -> int:
    """Days since 1970-01-01 in local time."""
    return math.floor((t + UTC_OFFSET_S) / DAY_S)


def day_start(day: int) -> float:
    return float(day * DAY_S - UTC_OFFSET_S)


def day_label(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def week_start(day: int) -> int:
    """The Monday of the day's week (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def local_iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, LOCAL).isoformat(timespec="seconds")


def days_of(times: np.ndarray) -> np.ndarray:
    return np.floor((times + UTC_OFFSET_S) / DAY_S).astype(np.int64)


def parse_time(name: str, raw: str, end: bool) -> float:
    """An ISO date (local midnight; `to` includes the whole day), an ISO date-time (local when
    it names no offset) or epoch seconds."""
    raw = raw.strip()
    try:
        if _DATE.match(raw):
            day = (dt.date.fromisoformat(raw) - dt.date(1970, 1, 1)).days
            # Checked below like any other time: 9999-12-31 was a 500 further on (issue 25).
            value = day_start(day + 1 if end else day)
        elif _NUMBER.match(raw):
            value = float(raw)
        else:
            moment = dt.datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=LOCAL)
            value = moment.timestamp()
    except (ValueError, OverflowError) as exc:
        raise invalid(
            f"{name} must be a date (2025-06-30), a date and time (2025-06-30T08:00) or epoch "
            f"seconds; got {raw!r}."
        ) from exc
    # From the local midnight that starts 1970 (before 0 in UTC) to about the year 5000.
    if not math.isfinite(value) or not -UTC_OFFSET_S <= value < 1e11:
        raise invalid(f"{name} is out of range: {raw!r}.")
    return value


# -- filters -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    lo: float
    hi: float
    ward: int | None = None
    category: str | None = None
    unit: str | None = None
    statuses: tuple[str, ...] | None = None
    lang: str = "vi"
    channel: str | None = None  # app, phone, web-lite or partner (any partner)

    def echo(self) -> dict[str, Any]:
        return {
            "from": local_iso(self.lo),
            "to": local_iso(self.hi),
            "from_ts": self.lo,
            "to_ts": self.hi,
            "timezone": TIMEZONE,
            "ward": self.ward,
            "category": self.category,
            "unit": self.unit,
            "status": list(self.statuses) if self.statuses else None,
            "channel": self.channel,
        }


@dataclass(frozen=True)
class Names:
    """Ward and unit names, for labels and for checking the filters."""

    wards: Mapping[int, str]
    units: Mapping[str, tuple[str, str | None]]  # code -> (name, name_en)

    @classmethod
    def read(cls, conn: Any) -> Names:
        return cls(
            {r[0]: r[1] for r in conn.execute("SELECT code, name FROM wards")},
            {r[0]: (r[1], r[2]) for r in conn.execute("SELECT code, name, name_en FROM units")},
        )

    def unit_name(self, code: str, lang: str) -> str:
        name, name_en = self.units.get(code, (code, None))
        return (name_en or name) if lang == "en" else name


def parse_filters(
    params: Mapping[str, str], names: Names, now: float, extra: frozenset[str] = frozenset()
) -> Filters:
    unknown = sorted(set(params) - COMMON_PARAMS - extra)
    if unknown:
        allowed = ", ".join(sorted(COMMON_PARAMS | extra))
        raise invalid(f"Unknown parameter {', '.join(unknown)}; this figure takes {allowed}.")
    today = local_day(now)
    hi = parse_time("to", params["to"], end=True) if params.get("to") else day_start(today + 1)
    lo = (
        parse_time("from", params["from"], end=False)
        if params.get("from")
        else hi - DEFAULT_DAYS * DAY_S
    )
    if lo >= hi:
        raise invalid("from must come before to.")
    if hi - lo > MAX_SPAN_DAYS * DAY_S:
        raise invalid(f"The period may span at most {MAX_SPAN_DAYS} days.")
    ward = None
    if params.get("ward"):
        try:
            ward = inputs.whole_value(params["ward"], "ward", 0, 10**9)
        except ApiError:
            ward = None
        if ward not in names.wards:
            raise invalid(f"ward must be the official code of a ward; got {params['ward'][:40]!r}.",
                          field="ward")
    category = params.get("category") or None
    if category is not None and category not in CATEGORIES:
        raise invalid(f"category must be one of {', '.join(CATEGORIES)}; got {category!r}.")
    unit = params.get("unit") or None
    if unit is not None and unit not in names.units:
        raise invalid(f"unit must be a unit code such as center or ward-26704; got {unit!r}.")
    statuses = None
    if params.get("status"):
        wanted: list[str] = []
        for s in params["status"].split(","):
            s = s.strip()
            if s == "open":
                wanted += OPEN_STATUSES
            elif s in STATUSES:
                wanted.append(s)
            else:
                raise invalid(f"status takes open or {', '.join(STATUSES)} (commas between); got {s!r}.")
        statuses = tuple(dict.fromkeys(wanted))
    lang = params.get("lang") or "vi"
    if lang not in LANGS:
        raise invalid("lang must be vi or en.")
    channel = params.get("channel") or None
    if channel is not None and channel not in CHANNEL_KINDS:
        raise invalid(f"channel must be one of {', '.join(CHANNEL_KINDS)}; got {channel!r}.")
    return Filters(lo, hi, ward, category, unit, statuses, lang, channel=channel)


choice = inputs.choice
number = inputs.decimal


# -- selections ----------------------------------------------------------------------------------
REMOVED = np.array([STATUSES.index("rejected"), STATUSES.index("merged")], dtype=np.int8)


def select(facts: Facts, f: Filters, period: bool = True) -> np.ndarray:
    """The incidents the filters name (a boolean mask); `period=False` ignores from/to."""
    mask = np.ones(len(facts), dtype=bool)
    if period:
        mask &= (facts.arrived >= f.lo) & (facts.arrived < f.hi)
    if f.ward is not None:
        mask &= facts.ward == f.ward
    if f.category is not None:
        mask &= facts.category == CATEGORIES.index(f.category)
    if f.statuses is not None:
        mask &= np.isin(facts.status, [STATUSES.index(s) for s in f.statuses])
    if f.unit is not None:
        mask &= unit_incidents(facts, f.unit)
    if f.channel is not None:
        code = CHANNEL_KINDS.index(f.channel)
        mask &= facts.channel == (code if f.channel != "partner" else -1)
    return mask


def unit_incidents(facts: Facts, unit: str) -> np.ndarray:
    hit = np.zeros(len(facts), dtype=bool)
    code = facts.unit_index.get(unit)
    if code is not None:
        hit[facts.a_incident[facts.a_unit == code]] = True
    return hit


def assignments_of(facts: Facts, mask: np.ndarray, unit: str | None) -> np.ndarray:
    """Indices of the assignments of the selected incidents (of one unit, when given)."""
    chosen = mask[facts.a_incident]
    if unit is not None:
        chosen &= facts.a_unit == facts.unit_index.get(unit, -1)
    return np.flatnonzero(chosen)


# -- percentiles ---------------------------------------------------------------------------------
def durations(end: np.ndarray, start: np.ndarray) -> np.ndarray:
    """end - start, NaN where either is missing, never below 0 (see the module docstring)."""
    return np.maximum(end - start, 0.0)  # maximum keeps NaN


class GroupIndex:
    """Samples put in order of their group once, and shared by every stage measured on them."""

    def __init__(self, groups: np.ndarray, n_groups: int) -> None:
        self.groups, self.n = groups, n_groups
        # int16 when it fits: numpy radix-sorts 16-bit keys, 8 times faster than int64 here.
        keys = groups.astype(np.int16) if n_groups < 2**15 else groups
        self.order = np.argsort(keys, kind="stable")
        self.sizes = np.bincount(groups, minlength=n_groups)[:n_groups]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)


def _quantiles(values: np.ndarray, count: int, ps: tuple[float, ...]) -> list[float]:
    """Quantiles of the `count` smallest of `values` (the others are +inf), by partitioning
    `values` in place (the callers' own scratch array)."""
    lows = [math.floor((count - 1) * p) for p in ps]
    values.partition(sorted({r for low in lows for r in (low, min(low + 1, count - 1))}))
    return [
        float(values[low] + ((count - 1) * p - low) * (values[min(low + 1, count - 1)] - values[low]))
        for p, low in zip(ps, lows, strict=True)
    ]


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (ascending) and each value's position among them: `np.unique` with
    `return_inverse`, in linear time for whole numbers of a small range (ward codes, units)."""
    if not len(values):
        return values[:0], np.zeros(0, dtype=np.int64)
    shift = int(values.min())
    present = np.flatnonzero(np.bincount(values - shift))
    lookup = np.zeros(len(present) and int(present[-1]) + 1, dtype=np.int64)
    lookup[present] = np.arange(len(present))
    return present + shift, lookup[values - shift]


def _pick(v: np.ndarray, starts: np.ndarray, counts: np.ndarray, p: float) -> np.ndarray:
    """The p-quantile of each run v[starts[k] : starts[k] + counts[k]] (each run sorted)."""
    h = np.maximum(counts - 1, 0) * p
    low = np.floor(h).astype(np.int64)
    result = np.full(len(counts), np.nan)
    has = counts > 0
    i = (starts + low)[has]
    j = np.minimum(i + 1, (starts + counts - 1)[has])
    result[has] = v[i] + (h - low)[has] * (v[j] - v[i])
    return result


def grouped_quantiles(
    values: np.ndarray, index: GroupIndex, ps: tuple[float, ...] = (0.5, 0.9)
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per group, then for all groups together as one more entry at the end: the count of
    non-NaN values and each quantile (NaN where there is none).

    Up to a few hundred groups, a partition per group (linear time; NaN set to +inf so that it
    stays out of the ranks asked for). Beyond that the Python loop costs more than sorting
    every value once: sort by value, then stably by group, and read the ranks off the runs."""
    n = index.n
    ok = ~np.isnan(values)
    counts = np.bincount(index.groups[ok], minlength=n)[:n]
    total = int(counts.sum())
    out = np.full((len(ps), n + 1), np.nan)
    if n <= 256:
        v = np.where(ok, values, np.inf)[index.order]
        sizes, starts = index.sizes.tolist(), index.starts.tolist()
        for k in np.flatnonzero(counts).tolist():
            out[:, k] = _quantiles(v[starts[k] : starts[k] + sizes[k]], int(counts[k]), ps)
    else:
        v, g = values[ok], index.groups[ok]
        order = np.argsort(v)
        by_group = np.argsort(g[order].astype(np.int16) if n < 2**15 else g[order], kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        for row, p in enumerate(ps):
            out[row, :n] = _pick(v[order][by_group], starts, counts, p)
        v = v[order]
    if n == 1:
        out[:, 1] = out[:, 0]  # one group is all of them
    elif total:
        out[:, n] = _quantiles(v, total, ps)
    return np.append(counts, total), list(out)


def rounded(x: float, digits: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def rounded_list(values: np.ndarray, digits: int = 3) -> list[float | None]:
    """`rounded` for a whole array at once (NaN becomes None)."""
    return [None if x != x else x for x in np.round(values, digits).tolist()]


def share(count: int, of: int) -> dict[str, Any]:
    return {"count": int(count), "of": int(of), "share": round(count / of, 4) if of else None}
