"""The map layer: incidents over the period as points, or counted in a grid when there are many.

The ward boundaries are not repeated here: the answer points to `/api/wards/boundaries`, which is
cached by ETag and runs to megabytes with real boundaries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.directory.routing import CATEGORIES
from app.incidents.state import STATUSES
from app.stats.figures import Context
from app.stats.query import invalid, select

METRES_PER_DEGREE = 111_320.0
CELL_LADDER_M = (200.0, 500.0, 1000.0, 2000.0, 5000.0)
MAX_CELLS = 1500


def _cells(lat: np.ndarray, lon: np.ndarray, cell_m: float) -> tuple[np.ndarray, ...]:
    """Each point's cell: rows of `cell_m` in latitude; in each row, columns of `cell_m` at the
    row's middle latitude (degrees of longitude shrink with cos(latitude))."""
    lat_step = cell_m / METRES_PER_DEGREE
    band = np.floor(lat / lat_step)
    lon_step = cell_m / (METRES_PER_DEGREE * np.cos(np.radians((band + 0.5) * lat_step)))
    col = np.floor(lon / lon_step)
    key = band.astype(np.int64) * 1_000_000_000 + col.astype(np.int64) + 500_000_000
    return key, band, col, lon_step


def incident_map(
    ctx: Context, mode: str, cell_m: float | None, max_points: int
) -> dict[str, Any]:
    """Incidents with a location as points, or counted in a grid of squares of about `cell_m`
    (by default the smallest of 200 m, 500 m, 1, 2, 5 km that makes at most 1,500 cells)."""
    facts, f = ctx.facts, ctx.filters
    mask = select(facts, f)
    located = mask & ~np.isnan(facts.lat) & ~np.isnan(facts.lon)
    rows = np.flatnonzero(located)
    if mode == "auto":
        mode = "points" if len(rows) <= max_points else "grid"
    out: dict[str, Any] = {
        "filters": f.echo(),
        "mode": mode,
        "total": int(mask.sum()),
        "located": len(rows),
        "no_location": int(mask.sum() - len(rows)),
        "boundaries": "/api/wards/boundaries",
    }
    if mode == "points":
        if len(rows) > 20_000:
            raise invalid("More than 20,000 points: ask for mode=grid or a narrower filter.")
        lat, lon = facts.lat[rows].tolist(), facts.lon[rows].tolist()
        cats, states = facts.category[rows].tolist(), facts.status[rows].tolist()
        out["points"] = [
            {"id": facts.ids[k], "lat": lat[j], "lon": lon[j], "category": CATEGORIES[cats[j]],
             "status": STATUSES[states[j]] if states[j] >= 0 else "unknown"}
            for j, k in enumerate(rows.tolist())
        ]
        return out
    lat, lon, cat = facts.lat[rows], facts.lon[rows], facts.category[rows].astype(np.int64)
    for size in (cell_m,) if cell_m else CELL_LADDER_M:
        key, band, col, lon_step = _cells(lat, lon, size)
        cells, first, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        if len(cells) <= MAX_CELLS:
            break
    inverse = inverse.reshape(-1)
    centre_lat = np.round(np.bincount(inverse, weights=lat) / np.maximum(counts, 1), 6).tolist()
    centre_lon = np.round(np.bincount(inverse, weights=lon) / np.maximum(counts, 1), 6).tolist()
    by_cat = np.bincount(inverse * 4 + cat, minlength=len(cells) * 4).reshape(-1, 4).tolist()
    lat_step = size / METRES_PER_DEGREE
    b, c, w = band[first], col[first], lon_step[first]  # any member: all share the cell
    bounds = np.round(np.column_stack([b * lat_step, c * w, (b + 1) * lat_step, (c + 1) * w]), 6)
    bounds_list = bounds.tolist()
    count_list = counts.tolist()
    out["cell_m"] = size
    out["cells"] = [
        {"lat": centre_lat[k], "lon": centre_lon[k], "count": count_list[k],
         "by_category": dict(zip(CATEGORIES, by_cat[k], strict=True)), "bounds": bounds_list[k]}
        for k in np.argsort(-counts, kind="stable").tolist()
    ]
    return out
