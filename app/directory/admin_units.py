"""The data of PyPI `vietnamadminunits` for Ho Chi Minh City, read once: the 168 wards since the
2025 merger (centroid, area) and the wards before it (centroid, bounding box, district) with the
new ward each became.

The project's ward codes are those of `vietnam-provinces` (app/directory/routing.py). The two
packages disagree on the code of 10 wards (Phường Tam Bình: 26803 here, 26797 there), so they are
joined by name, and `vietnam-provinces`' code wins (tests/test_wards_approximate.py).

Pre-2025 wards come from three provinces: Ho Chi Minh City (79), Bình Dương (74) and Bà Rịa–Vũng
Tàu (77). An old ward that became one new ward whole is `split=False`; one divided among several
new wards names the package's default (the new ward that got most of it) and `split=True`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

OLD_PROVINCES = ("79", "74", "77")
NEW_PROVINCE_KEY = "thanhphohochiminh"


@dataclass(frozen=True)
class NewWard:
    code: int  # vietnam-provinces' code
    name: str  # "Phường Sài Gòn"
    lat: float
    lon: float
    area_km2: float
    package_code: int  # vietnamadminunits' code, different for 10 wards


@dataclass(frozen=True)
class OldWard:
    province: str  # "Thành phố Hồ Chí Minh"
    district: str  # "Quận 1"
    name: str | None  # "Phường Bến Nghé"; None for a district without wards (Côn Đảo)
    lat: float
    lon: float
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    new_code: int  # the new ward it became (the default one when split)
    split: bool


def name_key(name: str) -> str:
    """Names compare NFC, whitespace collapsed, casefolded ("Phường  Rạch Dừa")."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


def _data_dir() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).resolve().parent / "data"


def _bounds(text: str) -> tuple[float, float, float, float]:
    # "10.787863,106.684783 – 10.796879,106.695907": (lat, lon) of two corners.
    a, b = (tuple(float(v) for v in part.split(",")) for part in text.split("–"))
    return (min(a[1], b[1]), min(a[0], b[0]), max(a[1], b[1]), max(a[0], b[0]))


@functools.cache
def hcm_units() -> tuple[tuple[NewWard, ...], tuple[OldWard, ...]]:
    from app.directory.routing import official_wards

    official = {name_key(w.name): w.code for w in official_wards()}
    db = sqlite3.connect(f"file:{_data_dir() / 'dataset.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT wardKey, ward, wardCode, wardLat, wardLon, wardAreaKm2 FROM admin_units"
            " WHERE provinceCode = '79' ORDER BY wardKey"
        ).fetchall()
        new_by_key = {}
        for key, name, code, lat, lon, area in rows:
            name = " ".join(name.split())
            new_by_key[key] = NewWard(official[name_key(name)], name, lat, lon, area, int(code))
        legacy = db.execute(
            "SELECT provinceKey, districtKey, wardKey, province, district, ward, wardLat, wardLon,"
            " wardBounds, districtLat, districtLon, districtBounds FROM admin_units_legacy"
            f" WHERE provinceCode IN ({','.join('?' * len(OLD_PROVINCES))})"
            " ORDER BY provinceKey, districtKey, wardKey",
            OLD_PROVINCES,
        ).fetchall()
    finally:
        db.close()
    converter = json.loads((_data_dir() / "converter_2025.json").read_text("utf-8"))
    whole = {
        old: new
        for new, olds in converter["DICT_PROVINCE_WARD_NO_DIVIDED"][NEW_PROVINCE_KEY].items()
        for old in olds
    }
    divided = {
        old: next(n["newWardKey"] for n in news if n["isDefaultNewWard"])
        for old, news in converter["DICT_PROVINCE_WARD_DIVIDED"][NEW_PROVINCE_KEY].items()
    }
    old_wards = []
    for pk, dk, wk, province, district, ward, lat, lon, bounds, dlat, dlon, dbounds in legacy:
        key = f"{pk}_{dk}_{wk or ''}"
        new_key = whole.get(key) or divided.get(key)
        if new_key is None:
            continue  # became part of another province
        if ward is None:  # a district without wards: its own centre and box
            lat, lon, bounds = dlat, dlon, dbounds
        old_wards.append(
            OldWard(
                province, district, ward, lat, lon, _bounds(bounds),
                new_by_key[new_key].code, key in divided,
            )
        )
    return tuple(sorted(new_by_key.values(), key=lambda w: w.code)), tuple(old_wards)
