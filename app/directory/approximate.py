"""Approximate boundaries of all 168 wards of Ho Chi Minh City, until the official ones are imported.

`sos wards approximate` writes `app/directory/data/approximate_wards.geojson`, the file `sos
seed-demo` loads; tests/test_wards_approximate.py checks the shipped file is what this code makes.

Method: a Voronoi tessellation of points whose ward since the 2025 merger is known, each cell
labelled with that ward, the cells merged per ward and clipped to the city's extent.

- The points are the 168 new wards' centroids and the centroids of the ~400 pre-2025 wards that
  became one new ward whole (from PyPI `vietnamadminunits`). About 47 old wards were divided among
  several new wards; their centroid could lie in any part, so they are left out. Using the old
  wards as well as the new centroids matters: a new ward made of three old ones is then three
  cells around its real territory instead of one cell around a point that may lie at its edge.
- Distances are measured with longitude scaled by cos(10.8°) (the city's latitude), so that the
  cells are cut by the perpendicular bisectors on the ground and not in degrees.
- The extent is the union of the old wards' bounding boxes (the only shape data the package has),
  so the outline is blocky and covers some water and some of the neighbouring provinces.
- Every seed lies strictly inside its own cell, so each new ward's centroid routes to that ward
  (tested for all 168).

The error: a cell's edge is a bisector between two centroids, not the real boundary, which
follows rivers, canals and roads. Expect an edge to be off by a few hundred metres in the dense
inner districts and by kilometres in the large rural communes (Cần Giờ, Củ Chi, Bình Dương's
north). That is why every routing by these boundaries is flagged on the incident, and why
`sos wards import` of the official boundaries replaces them.

Deterministic: the input is sorted, and coordinates are rounded to 1e-5° (about 1 m).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, box
from shapely.ops import unary_union

from app.directory.admin_units import hcm_units
from app.directory.boundaries import read_boundaries
from app.directory.routing import (
    APPROXIMATE_BOUNDARIES,
    APPROXIMATE_SOURCE,
    Directory,
    official_wards,
)
from app.identity import audit
from app.storage.base import Connection

OUTPUT = APPROXIMATE_BOUNDARIES
SCALE = math.cos(math.radians(10.8))  # longitude → ground distance, at the city's latitude
GRID = 1e-5


def seeds() -> list[tuple[float, float, int]]:
    """(x, y, ward code): x is longitude scaled by SCALE. New centroids win over an old ward's
    centroid at the very same place."""
    new, old = hcm_units()
    points: dict[tuple[float, float], int] = {}
    for w in old:
        if not w.split:
            points[(round(w.lon * SCALE, 6), round(w.lat, 6))] = w.new_code
    for n in new:
        points[(round(n.lon * SCALE, 6), round(n.lat, 6))] = n.code
    return sorted((x, y, code) for (x, y), code in points.items())


def extent() -> Any:
    """The city's extent: every old ward's bounding box, and a 1 km disc around each new centroid."""
    new, old = hcm_units()
    boxes = [box(w.bounds[0] * SCALE, w.bounds[1], w.bounds[2] * SCALE, w.bounds[3]) for w in old]
    discs = [shapely.Point(n.lon * SCALE, n.lat).buffer(0.01) for n in new]
    return unary_union(boxes + discs)


def build() -> dict[str, Any]:
    new, _ = hcm_units()
    names = {n.code: n.name for n in new}
    points = seeds()
    region = extent()
    cells = shapely.voronoi_polygons(
        MultiPoint([(x, y) for x, y, _ in points]), extend_to=region.envelope.buffer(0.1)
    )
    by_point = {(round(x, 6), round(y, 6)): code for x, y, code in points}
    parts: dict[int, list[Any]] = {code: [] for code in names}
    tree = shapely.STRtree([shapely.Point(x, y) for x, y, _ in points])
    for cell in cells.geoms:
        # voronoi_polygons does not keep the input order: find the seed inside each cell.
        inside = [int(i) for i in tree.query(cell, predicate="contains")]
        x, y, code = points[inside[0]]
        parts[by_point[(round(x, 6), round(y, 6))]].append(cell)
    features = []
    for code in sorted(names):
        merged = unary_union(parts[code]).intersection(region)
        geom = shapely.transform(merged, lambda c: c / [SCALE, 1])
        geom = shapely.set_precision(geom, GRID)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": names[code], "approximate": True},
                "geometry": json.loads(shapely.to_geojson(geom, indent=None)),
            }
        )
    return {
        "type": "FeatureCollection",
        "metadata": {
            "approximate": True,
            "description": (
                "APPROXIMATE ward boundaries of Ho Chi Minh City (2025 structure): Voronoi cells "
                "of ward centroids from PyPI vietnamadminunits, not official boundaries. Made by "
                "`sos wards approximate`; replace with `sos wards import` of the official file."
            ),
            "source": "vietnamadminunits==1.0.4",
        },
        "features": features,
    }


def dumps(collection: dict[str, Any]) -> str:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def write(path: Path = OUTPUT) -> tuple[int, int]:
    """Write the file; returns (features, bytes)."""
    text = dumps(build())
    path.write_text(text, "utf-8")
    return len(json.loads(text)["features"]), len(text.encode())


def load(directory: Directory) -> int:
    """Give every ward without an imported boundary its approximate one (replacing the made-up
    samples); an imported boundary is never touched. Returns how many wards changed."""
    known = {w.code: w.name for w in official_wards()}
    boundaries = read_boundaries(APPROXIMATE_BOUNDARIES, known)
    now = time.time()

    def write(tx: Connection) -> int:
        changed = 0
        for b in boundaries:
            changed += tx.execute(
                "UPDATE wards SET boundary = ?, boundary_source = ?, boundary_updated_at = ?"
                " WHERE code = ? AND (boundary IS NULL OR boundary_source IN ('sample', ?))"
                " AND boundary IS DISTINCT FROM ?",
                (b.geometry, APPROXIMATE_SOURCE, now, b.code, APPROXIMATE_SOURCE, b.geometry),
            ).rowcount
        if changed:
            audit.append(tx, None, "wards.approximate", updated=changed)
        return changed

    changed = directory.db.write_sync(write)
    directory.load()
    return changed
