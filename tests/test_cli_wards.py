"""`sos wards import FILE.geojson`: ward boundaries from GeoJSON, all or nothing."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from click.testing import CliRunner, Result
from shapely.affinity import translate
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient

from app.cli import main
from app.directory.boundaries import BoundaryImportError
from app.directory.routing import SAMPLE_BOUNDARIES, Directory
from app.services import Services
from app.settings import Settings
from tests.pg import backend

PHU_MY, CU_CHI, TAN_PHU = 26704, 27553, 27031
SAMPLE = json.loads(SAMPLE_BOUNDARIES.read_text("utf-8"))
OLD_PHU_MY = next(
    shape(f["geometry"]) for f in SAMPLE["features"] if f["properties"]["code"] == PHU_MY
)
# Phú Mỹ moved 0.06° east (its sample is about 0.06° wide), and a first boundary for Củ Chi.
NEW_PHU_MY = translate(OLD_PHU_MY, xoff=0.06)
CU_CHI_BOX = orient(shapely.box(106.48, 10.96, 106.53, 11.01))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> Path:
    """The CLI's data directory (and database, on PostgreSQL), seeded as a first server start would."""
    data = tmp_path / "data"
    monkeypatch.setenv("SOS_DATA_DIR", str(data))
    if database_url:
        monkeypatch.setenv("SOS_DATABASE_URL", database_url)
    monkeypatch.setenv("SOS_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    Services.build(Settings.from_env()).start().stop()
    return data


@pytest.fixture
def server(data_dir: Path) -> Iterator[Services]:
    """A running server's services, next to which the CLI imports (as another process would)."""
    svc = Services.build(Settings.from_env()).start()
    try:
        yield svc
    finally:
        svc.stop()


def feature(code: Any, geom: Any, **props: Any) -> dict[str, Any]:
    geometry = geom if isinstance(geom, dict) else mapping(geom)
    return {
        "type": "Feature",
        "properties": {"code": code, **props},
        "geometry": json.loads(json.dumps(geometry)),
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write_file(tmp_path: Path, content: Any, name: str = "wards.geojson") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def run_import(path: Path) -> Result:
    return CliRunner().invoke(main, ["wards", "import", str(path)])


def snapshot(data_dir: Path) -> dict[str, Any]:
    if os.environ.get("SOS_DATABASE_URL"):
        svc = Services.build(Settings.from_env()).start()
        try:
            return svc.db.read_sync(lambda conn: {
                "wards": [tuple(r) for r in conn.execute("SELECT * FROM wards ORDER BY code")],
                "meta": [tuple(r) for r in conn.execute("SELECT * FROM directory_meta ORDER BY key")],
                "audit": tuple(conn.execute("SELECT count(*) FROM audit_log").fetchone()),
            })
        finally:
            svc.stop()
    conn = sqlite3.connect(data_dir / "sos.db")
    try:
        return {
            "wards": conn.execute("SELECT * FROM wards ORDER BY code").fetchall(),
            "meta": conn.execute("SELECT * FROM directory_meta ORDER BY key").fetchall(),
            "audit": conn.execute("SELECT count(*) FROM audit_log").fetchone(),
        }
    finally:
        conn.close()


def inside(geom: Any) -> tuple[float, float]:
    p = geom.representative_point()
    return p.y, p.x


def test_a_good_file_replaces_the_named_wards_and_leaves_the_others(
    tmp_path: Path, data_dir: Path
) -> None:
    before = snapshot(data_dir)
    path = write_file(
        tmp_path,
        collection(
            feature(PHU_MY, NEW_PHU_MY, name="Phường Phú Mỹ"),
            feature(str(CU_CHI), CU_CHI_BOX),  # a code may be a string of digits
        ),
    )
    result = run_import(path)
    assert result.exit_code == 0, result.output
    assert (
        "wards.geojson: 2 ward boundaries updated, 0 unchanged; 166 other wards left as they"
        f" were; {len(SAMPLE['features']) - 1} wards still have SAMPLE boundaries" in result.output
    )

    after = snapshot(data_dir)
    changed = {row[0]: row for row in after["wards"]}
    assert shape(json.loads(changed[PHU_MY][3])).equals(NEW_PHU_MY)
    assert shape(json.loads(changed[CU_CHI][3])).equals(CU_CHI_BOX)
    assert changed[PHU_MY][4] == changed[CU_CHI][4] == "wards.geojson"
    others = lambda snap: [r for r in snap["wards"] if r[0] not in (PHU_MY, CU_CHI)]  # noqa: E731
    assert others(after) == others(before)

    # Routing follows the new boundary: the old spot is now outside, the new one inside.
    svc = Services.build(Settings.from_env()).start()
    try:
        new = svc.directory.route(*inside(NEW_PHU_MY.difference(OLD_PHU_MY)), "fire")
        assert (new.ward_code, new.outside) == (PHU_MY, False)
        old = svc.directory.route(*inside(OLD_PHU_MY.difference(NEW_PHU_MY)), "fire")
        assert old.outside
        assert svc.directory.route(*inside(CU_CHI_BOX), "crime").ward_unit == "ward-27553"
        audit = svc.db.read_sync(
            lambda c: c.execute(
                "SELECT detail FROM audit_log WHERE action = 'wards.import'"
            ).fetchall()
        )
        assert [json.loads(a[0])["updated"] for a in audit] == [[PHU_MY, CU_CHI]]
    finally:
        svc.stop()

    again = run_import(path)
    assert again.exit_code == 0
    assert "0 ward boundaries updated, 2 unchanged" in again.output


BAD_FILES = {
    "malformed JSON": (
        '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",, }\n]}',
        "wards.geojson: not valid JSON: Expecting property name enclosed in double quotes "
        "at line 3, column 22",
    ),
    "unknown code": (
        collection(feature(PHU_MY, NEW_PHU_MY), feature(99999, CU_CHI_BOX)),
        "feature 1: properties.code 99999 is not a ward of Ho Chi Minh City",
    ),
    "LineString": (
        collection(feature(PHU_MY, shapely.LineString([(107.0, 10.6), (107.1, 10.6)]))),
        "feature 0: geometry type LineString is not supported (Polygon or MultiPolygon only)",
    ),
    "lat/lon swapped": (
        collection(feature(PHU_MY, shapely.transform(NEW_PHU_MY, lambda xy: xy[:, ::-1]))),
        "feature 0: coordinate [10.",
    ),
    "not a FeatureCollection": (
        mapping(NEW_PHU_MY),
        "expected a GeoJSON FeatureCollection, found 'Polygon'",
    ),
    "no code": (
        collection(feature(None, NEW_PHU_MY)),
        "feature 0: properties.code is missing",
    ),
    "same ward twice": (
        collection(feature(PHU_MY, NEW_PHU_MY), feature(PHU_MY, OLD_PHU_MY)),
        "feature 1: properties.code 26704 was already given by feature 0",
    ),
    "collapsed polygon": (
        collection(
            feature(
                CU_CHI,
                {
                    "type": "Polygon",
                    "coordinates": [[[106.5, 11.0], [106.51, 11.0], [106.52, 11.0], [106.5, 11.0]]],
                },
            )
        ),
        "feature 0: invalid polygon that cannot be repaired",
    ),
    "ring not closed": (
        collection(
            feature(
                CU_CHI,
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[106.5, 11.0], [106.51, 11.0], [106.51, 11.01], [106.5, 11.01]]
                    ],
                },
            )
        ),
        "feature 0: a polygon ring is not closed",
    ),
    "far from the city (Hà Nội)": (
        collection(feature(CU_CHI, shapely.box(105.80, 21.00, 105.85, 21.05))),
        "feature 0: the boundary (lon 105.8000..105.8500, lat 21.0000..21.0500) lies outside",
    ),
    "empty": (collection(), "the FeatureCollection has no features"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_whole_with_a_clear_reason(
    tmp_path: Path, data_dir: Path, case: str
) -> None:
    content, message = BAD_FILES[case]
    before = snapshot(data_dir)
    result = run_import(write_file(tmp_path, content))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(data_dir) == before


def test_swapped_coordinates_are_named_as_such(tmp_path: Path, data_dir: Path) -> None:
    content, _ = BAD_FILES["lat/lon swapped"]
    result = run_import(write_file(tmp_path, content))
    assert "is out of range" in result.output and "longitude and latitude swapped?" in result.output


@pytest.mark.skipif(backend() == "postgresql", reason="makes the failure with a SQLite TEMP TRIGGER")
def test_a_failure_while_writing_undoes_the_whole_import(tmp_path: Path, server: Services) -> None:
    # Validation catches bad files before the transaction; this proves the transaction itself:
    # the database refuses the second ward, and the first must not stay written.
    server.db.write_sync(
        lambda tx: tx.execute(
            "CREATE TEMP TRIGGER refuse AFTER UPDATE OF boundary ON wards WHEN NEW.code = 27553"
            " BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
        )
    )
    before = snapshot(server.settings.data_dir)
    path = write_file(
        tmp_path, collection(feature(PHU_MY, NEW_PHU_MY), feature(CU_CHI, CU_CHI_BOX))
    )
    with pytest.raises(sqlite3.IntegrityError, match="refused by test"):
        server.directory.import_geojson(path)
    assert snapshot(server.settings.data_dir) == before


def test_invalid_polygons_are_repaired_when_they_stay_polygons(
    tmp_path: Path, server: Services
) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[106.48, 10.96], [106.53, 11.01], [106.53, 10.96], [106.48, 11.01], [106.48, 10.96]]
        ],
    }
    calls: list[tuple[int, int]] = []
    result = server.directory.import_geojson(
        write_file(tmp_path, collection(feature(26704.0, NEW_PHU_MY), feature(CU_CHI, bow_tie))),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.updated == (PHU_MY, CU_CHI) and result.repaired == (CU_CHI,)
    assert "1 invalid polygons repaired" in result.summary()
    assert calls[0] == (1, 2) and calls[-1] == (2, 2)
    stored = server.db.read_sync(
        lambda c: c.execute("SELECT boundary FROM wards WHERE code = ?", (CU_CHI,)).fetchone()[0]
    )
    geom = shapely.from_geojson(stored)
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and geom.area > 0


def test_a_name_unlike_the_official_one_is_pointed_out(tmp_path: Path, server: Services) -> None:
    result = server.directory.import_geojson(
        write_file(
            tmp_path,
            collection(
                feature(PHU_MY, NEW_PHU_MY, name="Phú Mỹ"),  # the short name is fine
                feature(CU_CHI, CU_CHI_BOX, name="Xã Tân Thông Hội"),  # an old name: wrong code?
            ),
        )
    )
    assert result.other_names == ((CU_CHI, "Xã Tân Thông Hội"),)
    assert "1 names differ from the official ones" in result.summary()


def test_the_import_error_is_a_value_error() -> None:
    assert issubclass(BoundaryImportError, ValueError)


def test_a_running_server_picks_up_an_import_from_another_process(
    tmp_path: Path, server: Services
) -> None:
    clock = FakeClock()
    running = Directory(server.db, check_interval_s=2.0, clock=clock)
    running.load()
    lat, lon = inside(CU_CHI_BOX)
    assert running.route(lat, lon, "crime").outside

    # The CLI opens its own Database and Directory, like `sos wards import` in another process.
    path = write_file(tmp_path, collection(feature(CU_CHI, CU_CHI_BOX)))
    assert run_import(path).exit_code == 0

    assert running.route(lat, lon, "crime").outside  # not yet: checked at most every 2 s
    clock.now += 2.5
    route = running.route(lat, lon, "crime")
    assert (route.ward_code, route.outside) == (CU_CHI, False)
    codes = {f["properties"]["code"] for f in running.boundaries_geojson()["features"]}
    assert CU_CHI in codes and TAN_PHU in codes
