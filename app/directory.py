"""Units, wards and routing. PLACEHOLDER: being written (see issue 2); interface fixed below."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .db import Database


@dataclass(frozen=True)
class Route:
    ward_code: int | None
    ward_unit: str | None
    outside: bool
    departments: list[str] = field(default_factory=list)
    center: str = "center"

    def units(self) -> list[str]:
        return [u for u in [self.center, self.ward_unit, *self.departments] if u]


class Directory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_seeded(self) -> None:
        pass

    def load(self) -> None:
        pass

    def route(self, lat: float | None, lon: float | None, category: str) -> Route:
        return Route(None, None, True)

    def boundaries_geojson(self) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": []}


class BoundaryImportError(ValueError):
    pass
