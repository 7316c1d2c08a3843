"""Every figure as a table (a header row and rows), and tables as CSV files Excel opens as is.

CSV: UTF-8 with a byte order mark (without it Excel reads Vietnamese as Windows-1252), comma
separated, CRLF, a dot for decimals, empty cells for missing values. A text cell that begins with
=, +, -, @ or a control character gets a leading apostrophe: Excel would otherwise run it as a
formula, and some of these texts (a username tried at the login form, say) come from outside.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from app.directory.routing import CATEGORIES
from app.stats.figures import STAGES
from app.stats.labels import CATEGORY, STAGE, STATUS, word
from app.stats.query import local_iso

Table = tuple[list[str], list[list[Any]]]
_RISKY = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith(_RISKY):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def overview(data: dict[str, Any], lang: str) -> Table:
    w = lambda key: word(lang, key)  # noqa: E731
    rows: list[list[Any]] = []
    opened = data["open"]
    rows.append(["open", "", w("total"), opened["total"]])
    rows += [["open_status", r["status"], r["label"], r["count"]] for r in opened["by_status"]]
    rows += [["open_category", r["category"], r["label"], r["count"]] for r in opened["by_category"]]
    rows += [["open_ward", r["ward_code"], r["ward_name"], r["count"]] for r in opened["by_ward"]]
    today = data["today"]
    rows.append(["today", today["date"], w("today"), today["count"]])
    rows += [["today_category", c, CATEGORY[lang][c], n] for c, n in today["by_category"].items()]
    for p in today["previous"]:
        rows.append(["same_weekday_so_far", p["date"], w("so_far"), p["so_far"]])
        rows.append(["same_weekday_full_day", p["date"], w("full_day"), p["full_day"]])
    rows.append(["mean_so_far", "", w("mean") + " · " + w("so_far"), today["mean_so_far"]])
    rows.append(["mean_full_day", "", w("mean") + " · " + w("full_day"), today["mean_full_day"]])
    return [w("section"), w("key"), w("group"), w("count")], rows


def response_times(data: dict[str, Any], lang: str) -> Table:
    w = lambda key: word(lang, key)  # noqa: E731
    header = [w("key"), w("group"), w("incidents"), w("within"), w("of"), w("share")]
    for stage in STAGES:
        name = STAGE[lang][stage]
        header += [f"{name}: {w('n')}", f"{name}: {w('median')}", f"{name}: {w('p90')}"]
    rows = []
    for r in [data["overall"], *data["rows"]]:
        within = r["dispatched_within_60s"]
        row = [r["key"], r["label"], r["incidents"], within["count"], within["of"], within["share"]]
        for stage in STAGES:
            s = r["stages"][stage]
            row += [s["count"], s["median_s"], s["p90_s"]]
        rows.append(row)
    return header, rows


def series(data: dict[str, Any], lang: str) -> Table:
    first = word(lang, "week" if data["bucket"] == "week" else "date")
    header = [first, *(CATEGORY[lang][c] for c in CATEGORIES), word(lang, "total")]
    rows = [[r["period"], *(r["counts"][c] for c in CATEGORIES), r["total"]] for r in data["rows"]]
    return header, rows


def histogram(data: dict[str, Any], lang: str) -> Table:
    header = [word(lang, "from_s"), word(lang, "to_s"), word(lang, "count")]
    return header, [[b["from_s"], b["to_s"], b["count"]] for b in data["bins"]]


def wards(data: dict[str, Any], lang: str) -> Table:
    w = lambda key: word(lang, key)  # noqa: E731
    header = [w("ward_code"), w("ward"), w("count"), *(CATEGORY[lang][c] for c in CATEGORIES),
              w("within"), w("of"), w("share"), w("dispatch_median")]
    rows = [
        [r["ward_code"], r["ward_name"], r["count"], *(r["by_category"][c] for c in CATEGORIES),
         r["dispatched_within_60s"]["count"], r["dispatched_within_60s"]["of"],
         r["dispatched_within_60s"]["share"], r["dispatch_median_s"]]
        for r in data["rows"]
    ]
    return header, rows


def incident_map(data: dict[str, Any], lang: str) -> Table:
    w = lambda key: word(lang, key)  # noqa: E731
    if data["mode"] == "points":
        header = [w("id"), w("lat"), w("lon"), w("category"), w("status")]
        return header, [
            [p["id"], p["lat"], p["lon"], CATEGORY[lang][p["category"]], STATUS[lang][p["status"]]]
            for p in data["points"]
        ]
    header = [w("lat"), w("lon"), w("count"), *(CATEGORY[lang][c] for c in CATEGORIES),
              w("south"), w("west"), w("north"), w("east")]
    return header, [
        [c["lat"], c["lon"], c["count"], *(c["by_category"][k] for k in CATEGORIES), *c["bounds"]]
        for c in data["cells"]
    ]


def audit(entries: Sequence[dict[str, Any]], lang: str) -> Table:
    w = lambda key: word(lang, key)  # noqa: E731
    header = ["id", w("at"), w("actor"), w("role"), w("action"), w("target"), w("detail")]
    rows = [
        [e["id"], local_iso(e["at"]), e["actor_name"] or f"{e['actor_kind']}:{e['actor_id']}",
         e["actor_role"], e["action"], e["target"],
         json.dumps(e["detail"], ensure_ascii=False, sort_keys=True) if e["detail"] else None]
        for e in entries
    ]
    return header, rows


TABLES: dict[str, Callable[[dict[str, Any], str], Table]] = {
    "overview": overview,
    "response-times": response_times,
    "series": series,
    "histogram": histogram,
    "wards": wards,
    "map": incident_map,
}
