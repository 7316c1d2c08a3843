"""Approximate boundaries of all 168 wards (app/directory/approximate.py, issue 30): generated,
shipped, loaded by seed-demo, flagged on the incidents they route, replaced by an import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner

from app.cli import main
from app.directory import approximate
from app.directory.admin_units import hcm_units
from app.directory.routing import APPROXIMATE_SOURCE, official_wards
from app.services import Services

from . import test_directory

started = test_directory.started  # the fixture: the services, started

TAM_BINH = 26797  # vietnam-provinces; vietnamadminunits says 26803
SAI_GON = 26740


def test_the_shipped_file_is_what_the_command_generates(tmp_path: Path) -> None:
    out = tmp_path / "wards.geojson"
    result = CliRunner().invoke(main, ["wards", "approximate", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "168 approximate ward boundaries" in result.output
    assert out.read_bytes() == approximate.OUTPUT.read_bytes()


def test_the_file_says_it_is_approximate_and_names_every_ward_once() -> None:
    data = json.loads(approximate.OUTPUT.read_text("utf-8"))
    assert data["metadata"]["approximate"] is True and "APPROXIMATE" in data["metadata"]["description"]
    assert all(f["properties"]["approximate"] is True for f in data["features"])
    codes = [f["properties"]["code"] for f in data["features"]]
    assert sorted(codes) == [w.code for w in official_wards()]
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in data["features"]]
    assert all(g.is_valid and g.area > 0 for g in geoms)
    # A tessellation: the cells do not overlap (beyond rounding slivers).
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-4)


def test_codes_are_joined_by_name_and_vietnam_provinces_wins() -> None:
    new, old = hcm_units()
    assert len(new) == 168
    differ = {w.name: (w.code, w.package_code) for w in new if w.code != w.package_code}
    assert len(differ) == 10
    assert differ["Phường Tam Bình"] == (TAM_BINH, 26803)
    assert {w.code for w in new} == {w.code for w in official_wards()}
    # Old wards of all three former provinces are there, each with the new ward it became.
    provinces = {o.province for o in old}
    assert provinces == {"Thành phố Hồ Chí Minh", "Tỉnh Bình Dương", "Tỉnh Bà Rịa - Vũng Tàu"}
    assert next(o for o in old if o.name == "Phường Bến Nghé").new_code == SAI_GON


def test_every_ward_centroid_routes_to_that_ward_and_is_flagged(started: Services) -> None:
    directory = started.directory
    assert approximate.load(directory) == 168
    new, _ = hcm_units()
    wrong = []
    for ward in new:
        route = directory.route(ward.lat, ward.lon, "crime")
        if route.ward_code != ward.code or route.outside or not route.approximate_boundary:
            wrong.append((ward.name, route.ward_code))
    assert wrong == []
    geojson = directory.boundaries_geojson()
    assert len(geojson["features"]) == 168
    assert geojson["sources"][0]["source"] == APPROXIMATE_SOURCE and geojson["sources"][0]["wards"] == 168


def test_an_import_replaces_an_approximate_boundary_and_a_reload_keeps_it(
    started: Services, tmp_path: Path
) -> None:
    directory = started.directory
    approximate.load(directory)
    ward = next(w for w in hcm_units()[0] if w.code == SAI_GON)
    official = tmp_path / "official.geojson"
    square = shapely.box(ward.lon - 0.01, ward.lat - 0.01, ward.lon + 0.01, ward.lat + 0.01)
    official.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": SAI_GON},
        "geometry": json.loads(shapely.to_geojson(square))}]}))
    directory.import_geojson(official)
    route = directory.route(ward.lat, ward.lon, "crime")
    assert route.ward_code == SAI_GON and route.approximate_boundary is False
    assert approximate.load(directory) == 0  # the official boundary stays
    assert directory.route(ward.lat, ward.lon, "crime").approximate_boundary is False
    sources = {s["source"]: s["wards"] for s in directory.boundaries_geojson()["sources"]}
    assert sources == {APPROXIMATE_SOURCE: 167, "official.geojson": 1}


def test_seed_demo_loads_the_approximate_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOS_DATABASE_URL", raising=False)
    env = {"SOS_DATA_DIR": str(tmp_path), "SOS_SECRET_KEY": "cli-test"}
    result = CliRunner().invoke(main, ["seed-demo"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "APPROXIMATE" in result.output
    [db] = tmp_path.glob("*.db")
    with sqlite3.connect(db) as conn:
        sources = dict(conn.execute(
            "SELECT boundary_source, count(*) FROM wards GROUP BY boundary_source").fetchall())
    assert sources == {APPROXIMATE_SOURCE: 168}

    # `sos wards import` of an official file still replaces them, and a second seed-demo keeps it.
    official = tmp_path / "official.geojson"
    official.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": SAI_GON},
        "geometry": json.loads(shapely.to_geojson(shapely.box(106.69, 10.77, 106.71, 10.79)))}]}))
    result = CliRunner().invoke(main, ["wards", "import", str(official)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "167 wards still have APPROXIMATE boundaries" in result.output
    assert CliRunner().invoke(main, ["seed-demo"], env=env, catch_exceptions=False).exit_code == 0
    with sqlite3.connect(db) as conn:
        sources = dict(conn.execute(
            "SELECT boundary_source, count(*) FROM wards GROUP BY boundary_source").fetchall())
    assert sources == {APPROXIMATE_SOURCE: 167, "official.geojson": 1}
