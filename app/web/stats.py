"""Statistics for supervisors and the command center: figures as JSON or CSV, charts as SVG.

    GET /api/stats/{figure}            JSON (or CSV with ?format=csv)
    GET /api/stats/{figure}.csv        CSV
    GET /api/stats/charts/{chart}.svg  SVG

Figures: overview, response-times, series, histogram, wards, map; charts: series, wards,
histogram. Supervisors, dispatchers and admins only: a unit's officers and citizens get 403.
Every CSV export is written to the audit log with its filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal, require_principal
from app.services import services
from app.stats import charts, geojson
from app.stats import figures as figures
from app.stats import map as stats_map
from app.stats import tables as tables
from app.stats.facts import FactsCache
from app.stats.labels import CATEGORY, CATEGORY_COLOUR, STAGE, word
from app.stats.query import LOCAL, Filters, Names, choice, invalid, number, parse_filters

STATS_ROLES = ("supervisor", "dispatcher", "admin")
Compute = Callable[[figures.Context, Mapping[str, str]], dict[str, Any]]


def require_stats(request: Request) -> Principal:
    principal = require_principal(request)  # 401 signed out, 403 citizens
    if principal.role not in STATS_ROLES:
        raise ApiError(
            403, "forbidden",
            "Statistics are for the command center and supervisors; a unit's officers see none "
            f"of them (you are {principal.role}).",
        )
    return principal


def _response_times(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    return figures.response_times(ctx, choice(p, "group", figures.GROUPS, "none"))


def _series(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    return figures.series(ctx, choice(p, "bucket", ("day", "week"), "day"))


def _histogram(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    stage = choice(p, "stage", figures.STAGES, "dispatch")
    bins = inputs.whole(p, "bins", 24, 1, 200) or 24
    return figures.histogram(ctx, stage, number(p, "bin_s", None, 1, 86400), bins)


def _wards(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    return figures.wards(ctx, inputs.whole(p, "top", None, 1, 1000))


def _map(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    mode = choice(p, "mode", ("auto", "points", "grid"), "auto")
    cell_m = number(p, "cell_m", None, 50, 5000)
    max_points = inputs.whole(p, "max_points", 2000, 0, 20000) or 0
    return stats_map.incident_map(ctx, mode, cell_m, max_points)


def _overview(ctx: figures.Context, p: Mapping[str, str]) -> dict[str, Any]:
    return figures.overview(ctx)


# name: (compute, the parameters of its own)
FIGURES: dict[str, tuple[Compute, frozenset[str]]] = {
    "overview": (_overview, frozenset()),
    "response-times": (_response_times, frozenset({"group"})),
    "series": (_series, frozenset({"bucket"})),
    "histogram": (_histogram, frozenset({"stage", "bin_s", "bins"})),
    "wards": (_wards, frozenset({"top"})),
    "map": (_map, frozenset({"mode", "cell_m", "max_points"})),
}


def _cache(request: Request) -> FactsCache:
    state = request.app.state
    cache = getattr(state, "stats_facts", None)
    if cache is None:
        cache = state.stats_facts = FactsCache(clock=services(request).clock)
    return cache


async def _compute(
    request: Request, name: str, params: Mapping[str, str], extra: frozenset[str] = frozenset()
) -> tuple[Filters, dict[str, Any]]:
    if name not in FIGURES:
        raise ApiError(404, "not_found", f"No figure {name!r}; there are {', '.join(FIGURES)}.")
    compute, own = FIGURES[name]
    svc, cache = services(request), _cache(request)
    now = svc.clock()

    def run(conn: Any) -> tuple[Filters, dict[str, Any]]:
        names = Names.read(conn)
        f = parse_filters(params, names, now, own | extra)
        # The overview is live (open now, today against the 4 weeks before): no period.
        live = name == "overview"
        facts = cache.current(conn) if live else cache.facts_for(conn, f.lo, f.hi)
        return f, compute(figures.Context(facts, names, f, now), params)

    return await svc.db.read(run)


def _filename(name: str, f: Filters, ext: str) -> str:
    """ASCII only, so that every browser keeps it: sos-series-20250601-20250607.csv."""

    def day(t: float) -> str:
        return dt.datetime.fromtimestamp(t, LOCAL).strftime("%Y%m%d")

    return f"sos-{name}-{day(f.lo)}-{day(f.hi - 1)}.{ext}"


async def _csv(request: Request, principal: Principal, name: str, f: Filters, table: tables.Table) -> Response:
    await audit.record(services(request).db, principal, "stats.export", f"stats/{name}",
                       **{k: v for k, v in f.echo().items() if v is not None})
    return Response(
        tables.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(name, f, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


async def figure(request: Request) -> Response:
    principal = require_stats(request)
    name = request.path_params["figure"]
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise invalid("format must be json or csv.")
    f, data = await _compute(request, name, request.query_params)
    if fmt == "csv":
        return await _csv(request, principal, name, f, tables.TABLES[name](data, f.lang))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


async def figure_csv(request: Request) -> Response:
    principal = require_stats(request)
    name = request.path_params["figure"]
    if "format" in request.query_params and request.query_params["format"] != "csv":
        raise invalid("A .csv address gives CSV; leave format out.")
    f, data = await _compute(request, name, request.query_params)
    return await _csv(request, principal, name, f, tables.TABLES[name](data, f.lang))


# -- charts --------------------------------------------------------------------------------------
def _seconds(lang: str) -> Callable[[float], str]:
    units = ("giây", "phút", "giờ") if lang == "vi" else ("s", "min", "h")

    def fmt(v: float) -> str:
        if v < 600:
            text = f"{v:.0f} {units[0]}"
        elif v < 7200:
            text = f"{v / 60:.1f}".rstrip("0").rstrip(".") + f" {units[1]}"
        else:
            text = f"{v / 3600:.1f}".rstrip("0").rstrip(".") + f" {units[2]}"
        return text.replace(".", ",") if lang == "vi" else text

    return fmt


def _period(f: Filters) -> str:
    """The period in words: whole days as dates (the last one included), else times."""
    start, end = dt.datetime.fromtimestamp(f.lo, LOCAL), dt.datetime.fromtimestamp(f.hi, LOCAL)
    day_fmt = "%d/%m/%Y" if f.lang == "vi" else "%Y-%m-%d"
    if start.time() == end.time() == dt.time(0):
        return f"{start:{day_fmt}} – {end - dt.timedelta(days=1):{day_fmt}}"
    return f"{start:{day_fmt} %H:%M} – {end:{day_fmt} %H:%M}"


def _series_chart(f: Filters, data: dict[str, Any], p: Mapping[str, str]) -> str:
    lang = f.lang
    kind = choice(p, "kind", ("line", "area", "bars"), "line")
    rows = data["rows"]
    names = [CATEGORY[lang][c] for c in data["categories"]]
    colours = [CATEGORY_COLOUR.get(c, "#444444") for c in data["categories"]]  # as on the apps' maps
    series = [(names[j], [r["counts"][c] for r in rows]) for j, c in enumerate(data["categories"])]
    title = word(lang, "series_title_week" if data["bucket"] == "week" else "series_title")
    totals = ", ".join(f"{n}: {sum(v)}" for n, v in series)
    desc = f"{_period(f)}. {word(lang, 'total')} {sum(r['total'] for r in rows)} ({totals})."
    dates = [dt.date.fromisoformat(r["period"]) for r in rows]
    x_labels = [f"{d:%d/%m}" if lang == "vi" else f"{d:%m-%d}" for d in dates]
    if kind == "bars":
        return charts.column_chart(f"{title}, {_period(f)}", desc, x_labels, series, word(lang, "incidents_axis"),
                                   colours)
    return charts.line_chart(f"{title}, {_period(f)}", desc, x_labels, series,
                             word(lang, "incidents_axis"), area=kind == "area", colours=colours)


def _wards_chart(f: Filters, data: dict[str, Any], p: Mapping[str, str]) -> str:
    lang = f.lang
    measure = choice(p, "measure", ("count", "share_60s", "dispatch_median"), "count")
    rows = data["rows"]
    fmt = _seconds(lang)
    if measure == "count":
        bars = [(r["ward_name"], float(r["count"]), str(r["count"])) for r in rows]
        title, axis, peak = word(lang, "wards_title"), word(lang, "incidents_axis"), None
    elif measure == "share_60s":
        shown = [r for r in rows if r["dispatched_within_60s"]["share"] is not None]
        # With its counts: 2 of 3 and 200 of 300 are both 67 %, and not equally telling.
        bars = [(r["ward_name"], 100 * r["dispatched_within_60s"]["share"],
                 f"{100 * r['dispatched_within_60s']['share']:.0f} % · "
                 f"{r['dispatched_within_60s']['count']}/{r['dispatched_within_60s']['of']}")
                for r in shown]
        bars.sort(key=lambda b: b[1])
        title, axis, peak = word(lang, "wards_share_title"), "%", 100.0
    else:
        shown = [r for r in rows if r["dispatch_median_s"] is not None]
        bars = [(r["ward_name"], r["dispatch_median_s"], fmt(r["dispatch_median_s"])) for r in shown]
        bars.sort(key=lambda b: -b[1])
        title, axis, peak = word(lang, "wards_median_title"), word(lang, "seconds"), None
    desc = f"{_period(f)}. " + "; ".join(f"{b[0]}: {b[2]}" for b in bars[:10])
    return charts.bar_chart(f"{title}, {_period(f)}", desc, bars, axis, peak)


def _histogram_chart(f: Filters, data: dict[str, Any], p: Mapping[str, str]) -> str:
    lang = f.lang
    fmt = _seconds(lang)
    stage = STAGE[lang][data["stage"]]
    title = f"{word(lang, 'hist_title')} {stage.lower() if lang == 'en' else stage}"
    median, p90 = data["median_s"], data["p90_s"]
    markers = [(word(lang, "median_short"), median), (word(lang, "p90_short"), p90)]
    desc = (f"{_period(f)}. {word(lang, 'count')}: {data['count']}. "
            + ", ".join(f"{m}: {fmt(v)}" for m, v in markers if v is not None))
    bins = [(b["from_s"], b["to_s"], b["count"]) for b in data["bins"]]
    return charts.histogram_chart(f"{title}, {_period(f)}", desc, bins, markers,
                                  word(lang, "time_axis"), word(lang, "incidents_axis"), fmt)


CHARTS: dict[str, tuple[str, Callable[[Filters, dict[str, Any], Mapping[str, str]], str], frozenset[str]]] = {
    "series": ("series", _series_chart, frozenset({"kind"})),
    "wards": ("wards", _wards_chart, frozenset({"measure"})),
    "histogram": ("histogram", _histogram_chart, frozenset()),
}


async def chart(request: Request) -> Response:
    require_stats(request)
    name = request.path_params["chart"]
    if name not in CHARTS:
        raise ApiError(404, "not_found", f"No chart {name!r}; there are {', '.join(CHARTS)}.")
    figure_name, draw, extra = CHARTS[name]
    params: dict[str, str] = dict(request.query_params)
    if name == "wards":
        params.setdefault("top", "20")  # a readable chart; the CSV has every ward
    f, data = await _compute(request, figure_name, params, extra)
    svg = draw(f, data, params)
    return Response(
        svg,
        media_type="image/svg+xml; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # An SVG opened on its own is a document: nothing in it may run or load.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


# -- GIS export ----------------------------------------------------------------------------------
async def incidents_geojson(request: Request) -> Response:
    """`GET /api/stats/incidents.geojson`: the filtered incidents as points (app/stats/geojson.py)."""
    principal = require_stats(request)
    svc, cache = services(request), _cache(request)
    now = svc.clock()

    def run(conn: Any) -> tuple[Filters, dict[str, Any]]:
        names = Names.read(conn)
        f = parse_filters(request.query_params, names, now)
        return f, geojson.collection(conn, cache.facts_for(conn, f.lo, f.hi), names, f)

    f, data = await svc.db.read(run)
    await audit.record(svc.db, principal, "stats.export", "stats/incidents.geojson",
                       count=len(data["features"]), **{k: v for k, v in f.echo().items() if v is not None})
    return JSONResponse(
        data,
        media_type="application/geo+json",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename("incidents", f, "geojson")}"',
            "Cache-Control": "no-store",
        },
    )
