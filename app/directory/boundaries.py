"""Reading and checking a GeoJSON file of ward boundaries, before anything is written.

`read_boundaries(path, known)` returns one `WardBoundary` per feature or raises
`BoundaryImportError` naming the feature and the problem. It knows nothing about the database:
`Directory.import_geojson` writes what it returns, in one transaction.

    boundaries = read_boundaries("wards.geojson", {26704: "Phường Phú Mỹ", ...})
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

Progress = Callable[[int, int], None]

# A generous box around Ho Chi Minh City since the 2025 merger (Côn Đảo in the south, Dầu Tiếng in
# the north, Bình Châu in the east). Coordinates outside it mean the wrong CRS or a wrong file.
CITY_BOX = (105.8, 8.0, 108.2, 12.0)  # min lon, min lat, max lon, max lat
DIVISIONS = ("phường ", "xã ", "đặc khu ")  # how official ward names begin (casefolded)


class BoundaryImportError(ValueError):
    """A boundary file that cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class WardBoundary:
    code: int
    name: str | None  # as given in the file; the official name stays in the wards table
    geometry: str  # GeoJSON geometry, Polygon or MultiPolygon, valid
    repaired: bool  # the file's polygon was invalid and `shapely.make_valid` fixed it
    # The file names the ward differently: often a sign of pre-2025 codes, worth a warning.
    name_differs: bool = False


@dataclass(frozen=True)
class ImportResult:
    file: str
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    repaired: tuple[int, ...] = ()
    other_names: tuple[tuple[int, str], ...] = ()  # (code, name in the file) unlike the official
    ward_count: int = 168
    samples_left: int = 0  # wards still on a made-up sample boundary after this import
    approximate_left: int = 0  # wards still on a generated approximate boundary (issue 30)

    def summary(self) -> str:
        named = len(self.updated) + len(self.unchanged)
        text = (
            f"{self.file}: {len(self.updated)} ward boundaries updated, "
            f"{len(self.unchanged)} unchanged; {self.ward_count - named} other wards left as they were"
        )
        if self.samples_left:
            text += f"; {self.samples_left} wards still have SAMPLE boundaries"
        if self.approximate_left:
            text += f"; {self.approximate_left} wards still have APPROXIMATE boundaries"
        if self.repaired:
            text += f"; {len(self.repaired)} invalid polygons repaired"
        if self.other_names:
            code, name = self.other_names[0]
            text += (
                f"; {len(self.other_names)} names differ from the official ones "
                f"(e.g. {code}: {name!r}) - check the codes"
            )
        return text


def read_boundaries(
    path: str | Path, known: Mapping[int, str], progress: Progress | None = None
) -> list[WardBoundary]:
    """Parse and check every feature of the file; `known` maps official ward codes to names."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # tolerate the BOM some Windows tools add
    except UnicodeDecodeError as exc:
        raise BoundaryImportError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise BoundaryImportError(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryImportError(
            f"{path.name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise BoundaryImportError(
            f"{path.name}: expected a GeoJSON FeatureCollection, found {found!r}"
        )
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryImportError(f"{path.name}: the FeatureCollection has no features")

    result: list[WardBoundary] = []
    seen: dict[int, int] = {}
    for index, feature in enumerate(features):
        try:
            boundary = _read_feature(feature, known)
        except BoundaryImportError as exc:
            raise BoundaryImportError(f"feature {index}: {exc}") from None
        if boundary.code in seen:
            raise BoundaryImportError(
                f"feature {index}: properties.code {boundary.code} was already given by feature "
                f"{seen[boundary.code]} (put all parts of a ward in one MultiPolygon)"
            )
        seen[boundary.code] = index
        result.append(boundary)
        if progress:
            progress(index + 1, len(features))
    return result


def _read_feature(feature: Any, known: Mapping[int, str]) -> WardBoundary:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundaryImportError("is not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise BoundaryImportError("has no properties (properties.code is required)")
    code = _ward_code(props.get("code"))
    if code not in known:
        raise BoundaryImportError(f"properties.code {code} is not a ward of Ho Chi Minh City")
    name = props.get("name")
    if name is not None and not isinstance(name, str):
        raise BoundaryImportError("properties.name must be a string")

    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        raise BoundaryImportError("has no geometry")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise BoundaryImportError(
            f"geometry type {kind} is not supported (Polygon or MultiPolygon only)"
        )
    coords = geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise BoundaryImportError(f"{kind} has no coordinates")
    for polygon in polygons:
        _check_polygon(polygon)

    geom = shape(geometry)
    repaired = False
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = _polygonal_part(shapely.make_valid(geom))
        if geom is None or geom.is_empty:
            raise BoundaryImportError(f"invalid polygon that cannot be repaired ({reason})")
        repaired = True
    if geom.area <= 0:
        raise BoundaryImportError("the polygon has no area")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if (
        min_lon < CITY_BOX[0]
        or min_lat < CITY_BOX[1]
        or max_lon > CITY_BOX[2]
        or max_lat > CITY_BOX[3]
    ):
        raise BoundaryImportError(
            f"the boundary (lon {min_lon:.4f}..{max_lon:.4f}, lat {min_lat:.4f}..{max_lat:.4f}) "
            "lies outside Ho Chi Minh City: is the file in WGS84 [longitude, latitude]?"
        )
    return WardBoundary(
        code, name, shapely.to_geojson(geom), repaired, not _same_name(name, known[code])
    )


def _same_name(given: str | None, official: str) -> bool:
    """ "Phường Phú Mỹ", "phú  mỹ" and no name at all all match the official "Phường Phú Mỹ"."""
    if given is None:
        return True
    given = " ".join(given.split()).casefold()
    official = official.casefold()
    short = next((official[len(p) :] for p in DIVISIONS if official.startswith(p)), official)
    return given in (official, short)


def _ward_code(raw: Any) -> int:
    # GIS tools often write a numeric attribute as a double (26704.0): accept it if it is whole.
    if isinstance(raw, bool) or raw is None:
        raise BoundaryImportError("properties.code is missing (the official ward code)")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    raise BoundaryImportError(f"properties.code {raw!r} is not a ward code (digits only)")


def _check_polygon(polygon: Any) -> None:
    if not isinstance(polygon, list) or not polygon:
        raise BoundaryImportError("a polygon has no rings")
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            raise BoundaryImportError("a polygon ring needs at least 4 positions")
        for position in ring:
            _check_position(position)
        if ring[0][:2] != ring[-1][:2]:
            raise BoundaryImportError(
                f"a polygon ring is not closed (first position {ring[0]}, last {ring[-1]})"
            )


def _check_position(position: Any) -> None:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(_is_number(v) for v in position)
    ):
        raise BoundaryImportError(f"position {position!r} is not [longitude, latitude]")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = (
            " - longitude and latitude swapped?" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        )
        raise BoundaryImportError(
            f"coordinate {position!r} is out of range (GeoJSON positions are [longitude, latitude]"
            f", latitude within ±90){hint}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _polygonal_part(geom: Any) -> Polygon | MultiPolygon | None:
    """The area of a repaired geometry. A spike or a bow-tie's crossing point comes back from
    `make_valid` as a line or point next to the polygons; dropping those loses no area, so the
    repair is accepted. A ring that collapses entirely (no area left) is refused by the caller."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)
