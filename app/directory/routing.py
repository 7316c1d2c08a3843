"""Units, wards and routing: where a report goes the moment it arrives.

The directory is three tables (`wards`, `units`, `category_departments`) seeded from
`vietnam-provinces` and `app/directory/data/`, and an in-memory index of the ward boundaries: an STRtree over
prepared shapely geometries, so `route()` costs microseconds and reads no database on its way.
Routing is called from request handlers and from inside write transactions, so everything here is
synchronous. (Not from inside a `db.read` function, though: a reload reads through the same pool.)

Other processes change the tables too (`sos wards import` while the server runs, an admin). Triggers
bump `directory_meta.version` on any change; `route()` reads that one row at most every
`check_interval_s` and reloads when it moved.

    directory = Directory(db)
    directory.ensure_seeded()
    directory.load()
    directory.route(10.595, 107.05, "fire").units()  # ['center', 'ward-26704', 'dept-fire']
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.ops import nearest_points

from app.directory.boundaries import BoundaryImportError, ImportResult, Progress, read_boundaries
from app.identity import audit
from app.storage.base import Connection, Database

__all__ = ["CATEGORIES", "BoundaryImportError", "Directory", "ImportResult", "Route"]

log = logging.getLogger(__name__)

CATEGORIES = ("crime", "traffic", "fire", "other")
CENTER = "center"
HCM_PROVINCE_CODE = 79
DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_BOUNDARIES = DATA_DIR / "sample_wards.geojson"
APPROXIMATE_BOUNDARIES = DATA_DIR / "approximate_wards.geojson"
APPROXIMATE_SOURCE = "approximate"  # wards.boundary_source of the generated boundaries
DEPARTMENTS_FILE = DATA_DIR / "departments.json"
EARTH_RADIUS_M = 6_371_008.8
DIVISION_EN = {"phường": "Ward", "xã": "Commune", "đặc khu": "Special Zone"}
CENTER_UNIT = (
    CENTER,
    "command_center",
    "Trung tâm Thông tin chỉ huy (TTTTCH)",
    "Command center",
    None,
)


@dataclass(frozen=True)
class OfficialWard:
    code: int
    name: str  # "Phường Phú Mỹ"
    division_type: str  # phường, xã, đặc khu

    @property
    def unit_code(self) -> str:
        return f"ward-{self.code}"

    @property
    def short_name(self) -> str:  # "Phú Mỹ"
        prefix = self.division_type + " "
        return self.name[len(prefix) :] if self.name.lower().startswith(prefix) else self.name

    @property
    def unit_name(self) -> str:
        return f"Công an {self.division_type} {self.short_name}"

    @property
    def unit_name_en(self) -> str:
        return f"{self.short_name} {DIVISION_EN.get(self.division_type, 'Ward')} Police"


@functools.cache
def official_wards() -> tuple[OfficialWard, ...]:
    """The 168 wards of Ho Chi Minh City after the 2025 merger, from `vietnam-provinces`."""
    from vietnam_provinces import Province, Ward

    hcm = next(p for p in Province.iter_all() if p.code.value == HCM_PROVINCE_CODE)
    return tuple(
        sorted(
            (
                # The package has names like "Phường  Rạch Dừa": collapse the whitespace.
                OfficialWard(w.code.value, " ".join(w.name.split()), w.division_type.value)
                for w in Ward.iter_all()
                if w.province_code == hcm.code
            ),
            key=lambda w: w.code,
        )
    )


@dataclass(frozen=True, kw_only=True)
class Route:
    """Who gets a report. Keyword-only so that a new field can never shift a positional one."""

    ward_code: int | None = None
    ward_unit: str | None = None
    ward_name: str | None = None
    outside: bool = False  # not inside any boundary: nearest ward (flag it), or no ward at all
    # The ward was found by an approximate boundary (app/directory/approximate.py): flag it too.
    approximate_boundary: bool = False
    distance_m: float | None = None  # from the ward's boundary; 0 inside; None without a ward
    no_location: bool = False
    # A tuple, not a list: routes share the cached rule tuples, and a caller must not edit them.
    departments: tuple[str, ...] = ()
    center: str = CENTER

    def units(self) -> list[str]:
        """Every unit to notify, the command center first, without duplicates."""
        return list(dict.fromkeys(u for u in (self.center, self.ward_unit, *self.departments) if u))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ward_code": self.ward_code,
            "ward_unit": self.ward_unit,
            "ward_name": self.ward_name,
            "outside": self.outside,
            "approximate_boundary": self.approximate_boundary,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
            "no_location": self.no_location,
            "departments": list(self.departments),
            "center": self.center,
            "units": self.units(),
        }


class _Index:
    """One immutable view of the boundaries and rules. `route()` reads whichever index is current;
    a reload builds a new one and swaps the reference, so readers never see a half-built index."""

    def __init__(
        self, version: int | None, rows: Sequence[Any], rules: dict[str, tuple[str, ...]]
    ) -> None:
        self.version = version
        self.rules = rules
        self.rows = [tuple(r) for r in rows]  # (code, name, boundary, source, updated_at)
        self.codes = [r[0] for r in self.rows]
        self.names = [r[1] for r in self.rows]
        self.approximate = [r[3] == APPROXIMATE_SOURCE for r in self.rows]
        self.geoms = np.array([shapely.from_geojson(r[2]) for r in self.rows], dtype=object)
        # Prepared geometries answer point-in-polygon from an index of their edges: fast even when
        # a real boundary has thousands of vertices.
        shapely.prepare(self.geoms)
        self.areas = shapely.area(self.geoms) if self.rows else np.zeros(0)
        self.tree = STRtree(self.geoms) if self.rows else None
        self.geojson: dict[str, Any] | None = None  # built on first use; the maps rarely ask
        self.geojson_bytes: bytes | None = None


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class Directory:
    def __init__(
        self,
        db: Database,
        *,
        check_interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.check_interval_s = check_interval_s
        self.clock = clock
        self._index = _Index(None, [], {})
        self._checked_at = -math.inf
        # Serialises reloads and version checks; route() itself never waits on it once loaded.
        self._lock = threading.Lock()

    # -- seeding ---------------------------------------------------------------------------------
    def ensure_seeded(self) -> None:
        """Insert whatever is missing; never overwrite a row (an admin may have changed it).

        The rules and the sample boundaries are seeded once per database (flags in
        `directory_meta`): after that, a rule or boundary the admin removed stays removed.
        """
        wards = official_wards()
        seed = json.loads(DEPARTMENTS_FILE.read_text("utf-8"))
        samples = read_boundaries(SAMPLE_BOUNDARIES, {w.code: w.name for w in wards})
        now = time.time()

        units = [CENTER_UNIT]
        units += [(w.unit_code, "ward", w.unit_name, w.unit_name_en, w.code) for w in wards]
        units += [
            (d["code"], "department", d["name"], d["name_en"], None) for d in seed["departments"]
        ]
        rules = [(category, unit) for category, codes in seed["rules"].items() for unit in codes]

        def write(tx: Connection) -> None:
            c = tx
            added = {
                "wards": c.executemany(
                    "INSERT INTO wards (code, name, division_type) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(w.code, w.name, w.division_type) for w in wards],
                ).rowcount,
                "units": c.executemany(
                    "INSERT INTO units (code, kind, name, name_en, ward_code)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    units,
                ).rowcount,
            }
            if _take_flag(c, "rules_seeded"):
                added["rules"] = c.executemany(
                    "INSERT INTO category_departments (category, unit_code) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    rules,
                ).rowcount
            if _take_flag(c, "samples_seeded"):
                added["sample_boundaries"] = c.executemany(
                    "UPDATE wards SET boundary = ?, boundary_source = 'sample',"
                    " boundary_updated_at = ? WHERE code = ? AND boundary IS NULL",
                    [(b.geometry, now, b.code) for b in samples],
                ).rowcount
            if any(added.values()):
                audit.append(tx, None, "directory.seed", **added)

        self.db.write_sync(write)

    # -- loading and staleness -------------------------------------------------------------------
    def load(self) -> None:
        """Read boundaries and rules into a fresh index and swap it in."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        def read(conn: Any) -> tuple[int, list[Any], list[Any]]:
            # Version first: a change landing between these reads makes the stored version older
            # than the data, which costs one extra reload later, never a missed change.
            version = _version(conn)
            wards = conn.execute(
                "SELECT code, name, boundary, boundary_source, boundary_updated_at FROM wards"
                " WHERE boundary IS NOT NULL ORDER BY code"
            ).fetchall()
            rules = conn.execute(
                "SELECT cd.category, cd.unit_code FROM category_departments cd"
                " JOIN units u ON u.code = cd.unit_code AND u.active = 1"
                " ORDER BY cd.category, cd.unit_code"
            ).fetchall()
            return version, wards, rules

        version, wards, rule_rows = self.db.read_sync(read)
        rules: dict[str, list[str]] = {}
        for category, unit in rule_rows:
            rules.setdefault(category, []).append(unit)
        self._index = _Index(version, wards, {k: tuple(v) for k, v in rules.items()})
        self._checked_at = self.clock()

    def _current(self) -> _Index:
        index = self._index
        if self.clock() - self._checked_at < self.check_interval_s:
            return index  # the hot path: no lock, no I/O
        # Another thread already checking: route with what we have rather than queue behind it,
        # unless nothing was ever loaded.
        if not self._lock.acquire(blocking=index.version is None):
            return index
        try:
            if self.clock() - self._checked_at >= self.check_interval_s:
                self._checked_at = self.clock()
                try:
                    if self.db.read_sync(_version) != self._index.version:
                        self._load_locked()
                except Exception:
                    if self._index.version is None:
                        raise
                    # Stale routing beats refusing reports; the next check tries again.
                    log.exception("directory reload failed; routing with the loaded boundaries")
            return self._index
        finally:
            self._lock.release()

    # -- routing ---------------------------------------------------------------------------------
    def route(self, lat: float | None, lon: float | None, category: str) -> Route:
        """The ward, departments and command center for a report at (lat, lon) of `category`."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")
        index = self._current()
        departments = index.rules.get(category, ())
        if lat is None or lon is None:
            return Route(outside=True, no_location=True, departments=departments)
        if not (
            math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise ValueError(f"not a WGS84 position: lat {lat}, lon {lon}")
        found = self._ward_for_point(index, lat, lon)
        if found is None:
            return Route(outside=True, departments=departments)
        i, distance = found
        code = index.codes[i]
        return Route(
            ward_code=code,
            ward_unit=f"ward-{code}",
            ward_name=index.names[i],
            outside=distance > 0,
            approximate_boundary=index.approximate[i],
            distance_m=distance,
            departments=departments,
        )

    def _ward_for_point(self, index: _Index, lat: float, lon: float) -> tuple[int, float] | None:
        """(position in the index, metres from the ward), or None with no boundaries at all."""
        if index.tree is None:
            return None
        point = shapely.Point(lon, lat)
        # `covers`, not `contains`: a point exactly on a boundary line (a road that separates two
        # wards) belongs to a ward rather than to "outside".
        inside = [int(i) for i in index.tree.query(point) if index.geoms[i].covers(point)]
        if inside:
            # Overlapping boundaries (sloppy data, or a small ward drawn over a big one): the
            # smallest is the most specific. Code breaks ties so the choice is deterministic.
            return min(inside, key=lambda i: (index.areas[i], index.codes[i])), 0.0
        # Outside every boundary. STRtree measures in degrees, where a degree of longitude is
        # shorter than one of latitude by cos(lat): every ward that is nearer on the ground lies
        # within d / cos(lat) degrees of the point, so those few are measured properly.
        nearest = int(index.tree.nearest(point))
        reach = shapely.distance(index.geoms[nearest], point) / max(
            math.cos(math.radians(lat)), 0.01
        )
        candidates = index.tree.query(point, predicate="dwithin", distance=reach * 1.000001)
        best = min(
            (self._distance_m(index.geoms[i], point), index.codes[i], int(i))
            for i in (candidates if len(candidates) else [nearest])
        )
        return best[2], best[0]

    def mapped_wards(self) -> tuple[int, ...]:
        """The codes of the wards with a boundary: those a report "in this ward" can be routed to."""
        return tuple(self._current().codes)

    def ward_point(self, code: int) -> tuple[float, float, float] | None:
        """(lat, lon, radius in metres) of a point surely inside the ward (shapely's
        representative point: a centroid can fall outside a crescent-shaped ward) and the radius
        of a circle of the ward's area, for a location known only as "in this ward"."""
        index = self._current()
        if code not in index.codes:
            return None
        i = index.codes.index(code)
        point = index.geoms[i].representative_point()
        metres_per_degree = EARTH_RADIUS_M * math.pi / 180
        area_m2 = index.areas[i] * metres_per_degree**2 * math.cos(math.radians(point.y))
        return point.y, point.x, math.sqrt(area_m2 / math.pi)

    @staticmethod
    def _distance_m(geom: Any, point: Any) -> float:
        edge = nearest_points(geom, point)[0]
        return _haversine_m(point.x, point.y, edge.x, edge.y)

    # -- boundaries ------------------------------------------------------------------------------
    def import_geojson(self, path: str | Path, progress: Progress | None = None) -> ImportResult:
        """Replace the boundaries of the wards the file names, in one transaction; see
        `app.boundaries` for what is checked. A file with any error changes nothing."""
        path = Path(path)
        known = {w.code: w.name for w in official_wards()}
        boundaries = read_boundaries(path, known, progress)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        now = time.time()

        def write(tx: Connection) -> tuple[list[int], list[int], int, int]:
            updated: list[int] = []
            unchanged: list[int] = []
            for b in boundaries:
                cur = tx.execute(
                    "UPDATE wards SET boundary = ?, boundary_source = ?, boundary_updated_at = ?"
                    " WHERE code = ? AND boundary IS DISTINCT FROM ?",
                    (b.geometry, path.name, now, b.code, b.geometry),
                )
                if cur.rowcount:
                    updated.append(b.code)
                elif tx.execute("SELECT 1 FROM wards WHERE code = ?", (b.code,)).fetchone():
                    unchanged.append(b.code)
                else:  # only if the directory was never seeded; ensure_seeded() runs at start
                    raise BoundaryImportError(f"ward {b.code} is not in the database yet")
            audit.append(
                tx,
                None,
                "wards.import",
                file=path.name,
                sha256=digest,
                updated=updated,
                unchanged=unchanged,
                repaired=[b.code for b in boundaries if b.repaired],
            )
            samples = tx.execute(
                "SELECT count(*) FROM wards WHERE boundary_source = 'sample'"
            ).fetchone()[0]
            approximate = tx.execute(
                "SELECT count(*) FROM wards WHERE boundary_source = ?", (APPROXIMATE_SOURCE,)
            ).fetchone()[0]
            return updated, unchanged, samples, approximate

        updated, unchanged, samples_left, approximate_left = self.db.write_sync(write)
        if progress:
            progress(len(boundaries), len(boundaries))
        self.load()
        return ImportResult(
            file=path.name,
            updated=tuple(updated),
            unchanged=tuple(unchanged),
            repaired=tuple(b.code for b in boundaries if b.repaired),
            other_names=tuple((b.code, b.name or "") for b in boundaries if b.name_differs),
            ward_count=len(known),
            samples_left=samples_left,
            approximate_left=approximate_left,
        )

    def boundaries_geojson(self) -> dict[str, Any]:
        """All wards with a boundary, for the maps; built once per loaded index."""
        index = self._current()
        if index.geojson is None:
            index.geojson = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code": code,
                            "name": name,
                            "unit": f"ward-{code}",
                            "sample": source == "sample",
                            "approximate": source == APPROXIMATE_SOURCE,
                        },
                        "geometry": json.loads(boundary),
                    }
                    for code, name, boundary, source, _ in index.rows
                ],
                "sources": _sources(index.rows),
            }
        return index.geojson


    def boundaries_json(self) -> tuple[bytes, str]:
        """The boundaries as JSON bytes and an ETag, serialised once per loaded version."""
        index = self._current()
        if index.geojson_bytes is None:
            body = json.dumps(self.boundaries_geojson(), ensure_ascii=False, separators=(",", ":"))
            index.geojson_bytes = body.encode()
        return index.geojson_bytes, f'"wards-{index.version}"'


def _sources(rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Where the boundaries come from, for the map's legend: [{source, wards, updated_at}], the
    source being 'approximate', 'sample' or an imported file's name; updated_at in ms."""
    found: dict[str, list[Any]] = {}
    for row in rows:
        entry = found.setdefault(row[3] or "", [0, 0.0])
        entry[0] += 1
        entry[1] = max(entry[1], row[4] or 0.0)
    return [
        {"source": source, "wards": count, "updated_at": round(at * 1000)}
        for source, (count, at) in sorted(found.items(), key=lambda kv: -kv[1][0])
    ]


def _version(conn: Any) -> int:
    return int(conn.execute("SELECT value FROM directory_meta WHERE key = 'version'").fetchone()[0])


def _take_flag(conn: Any, key: str) -> bool:
    """True the first time `key` is taken in this database, False ever after."""
    cur = conn.execute("INSERT INTO directory_meta (key, value) VALUES (?, 1) ON CONFLICT DO NOTHING", (key,))
    return bool(cur.rowcount)
