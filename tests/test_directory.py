"""The unit directory, the sample ward boundaries and routing (app/directory/routing.py)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape
from shapely.ops import nearest_points
from starlette.testclient import TestClient

from app.directory.boundaries import CITY_BOX
from app.directory.routing import DEPARTMENTS_FILE, SAMPLE_BOUNDARIES, Directory, official_wards
from app.services import Services
from app.settings import Settings

SAMPLE = json.loads(SAMPLE_BOUNDARIES.read_text("utf-8"))
SEED = json.loads(DEPARTMENTS_FILE.read_text("utf-8"))
SHAPES = {f["properties"]["code"]: shape(f["geometry"]) for f in SAMPLE["features"]}
PHU_MY, TAN_PHU, SAI_GON, BEN_THANH, CU_CHI = 26704, 27031, 26740, 26743, 27553


def inside(code: int) -> tuple[float, float]:
    """(lat, lon) of a point inside the sample boundary of `code`."""
    p = SHAPES[code].representative_point()
    return p.y, p.x


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def started(svc: Services) -> Iterator[Services]:
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def dir_clock() -> FakeClock:
    # Its own clock, not conftest's `clock`: that one also drives tokens and sessions.
    return FakeClock()


@pytest.fixture
def directory(started: Services, dir_clock: FakeClock) -> Directory:
    """A loaded directory whose staleness check only runs when the test moves the clock."""
    d = Directory(started.db, check_interval_s=2.0, clock=dir_clock)
    d.load()
    return d


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    # Module-scoped so that hypothesis may call the test many times against one database.
    data = tmp_path_factory.mktemp("directory") / "data"
    svc = Services.build(Settings(data_dir=data, secret_key="test-secret", inprocess_worker=False))
    svc.start()
    try:
        yield svc.directory
    finally:
        svc.stop()


def write(svc: Services, sql: str, *args: object) -> None:
    svc.db.write_sync(lambda tx: tx.execute(sql, args))


def query(svc: Services, sql: str, *args: object) -> list[tuple]:
    return svc.db.read_sync(lambda c: [tuple(r) for r in c.execute(sql, args)])


# -- seeding ---------------------------------------------------------------------------------------
def test_seeding_creates_the_168_wards_and_their_units(started: Services) -> None:
    wards = dict((code, name) for code, name in query(started, "SELECT code, name FROM wards"))
    assert len(wards) == 168
    assert wards[PHU_MY] == "Phường Phú Mỹ" and wards[TAN_PHU] == "Phường Tân Phú"
    assert wards[26536] == "Phường Rạch Dừa"  # "Phường  Rạch Dừa" in the package
    assert all("  " not in n and n == n.strip() for n in wards.values())

    units = {
        code: (kind, name, name_en, ward)
        for code, kind, name, name_en, ward in query(
            started, "SELECT code, kind, name, name_en, ward_code FROM units"
        )
    }
    ward_units = {c: u for c, u in units.items() if u[0] == "ward"}
    assert len(ward_units) == 168
    assert {u[3] for u in ward_units.values()} == set(wards)
    assert units["ward-26704"] == ("ward", "Công an phường Phú Mỹ", "Phú Mỹ Ward Police", PHU_MY)
    assert units["ward-27553"][1] == "Công an xã Củ Chi"
    assert units["ward-26732"][1] == "Công an đặc khu Côn Đảo"
    assert units["center"][:2] == ("command_center", "Trung tâm Thông tin chỉ huy (TTTTCH)")
    assert {"dept-traffic", "dept-fire", "dept-crime"} <= {
        c for c, u in units.items() if u[0] == "department"
    }
    assert all("  " not in u[1] for u in units.values())


def test_seeding_again_keeps_what_an_admin_changed(started: Services) -> None:
    write(started, "UPDATE units SET name = 'CA phường Phú Mỹ (mới)' WHERE code = 'ward-26704'")
    write(started, "DELETE FROM category_departments WHERE unit_code = 'dept-order'")
    write(started, "UPDATE wards SET boundary = NULL WHERE code = ?", SAI_GON)
    before = query(started, "SELECT value FROM directory_meta WHERE key = 'version'")

    started.directory.ensure_seeded()

    assert query(started, "SELECT name FROM units WHERE code = 'ward-26704'") == [
        ("CA phường Phú Mỹ (mới)",)
    ]
    assert query(started, "SELECT * FROM category_departments WHERE unit_code = 'dept-order'") == []
    assert query(started, "SELECT boundary FROM wards WHERE code = ?", SAI_GON) == [(None,)]
    # Nothing was written, so no process is told to reload, and the audit has the first seed only.
    assert query(started, "SELECT value FROM directory_meta WHERE key = 'version'") == before
    seeds = query(started, "SELECT detail FROM audit_log WHERE action = 'directory.seed'")
    assert [json.loads(d) for (d,) in seeds] == [
        {
            "wards": 168,
            "units": 168 + 1 + len(SEED["departments"]),
            "rules": sum(len(units) for units in SEED["rules"].values()),
            "sample_boundaries": len(SHAPES),
        }
    ]


def test_the_sample_boundaries_are_labelled_plausible_and_do_not_overlap() -> None:
    assert SAMPLE["type"] == "FeatureCollection"
    assert "SAMPLE" in SAMPLE["name"] and "not official" in SAMPLE["name"]
    assert "NOT OFFICIAL" in SAMPLE["description"]
    official = {w.code: w.name for w in official_wards()}
    features = SAMPLE["features"]
    assert len(features) >= 6 and {PHU_MY, TAN_PHU} <= set(SHAPES)
    assert any(f["geometry"]["type"] == "MultiPolygon" for f in features)
    for f in features:
        props = f["properties"]
        assert props["sample"] is True and props["name"] == official[props["code"]]
        geom = SHAPES[props["code"]]
        assert geom.is_valid and geom.area > 0
        assert shapely.box(*CITY_BOX).contains(geom)
    codes = list(SHAPES)
    for i, a in enumerate(codes):
        for b in codes[:i]:
            assert SHAPES[a].intersection(SHAPES[b]).area == 0, (a, b)


# -- routing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", sorted(SHAPES))
def test_a_point_inside_each_sample_ward_routes_to_it(directory: Directory, code: int) -> None:
    route = directory.route(*inside(code), "crime")
    assert (route.ward_code, route.ward_unit) == (code, f"ward-{code}")
    assert not route.outside and not route.no_location and route.distance_m == 0


def test_phu_my(directory: Directory) -> None:
    route = directory.route(*inside(PHU_MY), "fire")
    assert route.ward_unit == "ward-26704" and route.ward_name == "Phường Phú Mỹ"
    assert route.units() == ["center", "ward-26704", "dept-fire"]
    assert json.loads(json.dumps(route.as_dict()))["units"] == route.units()


def test_a_point_outside_every_boundary_goes_to_the_nearest_ward(directory: Directory) -> None:
    # Due east of Phú Mỹ's easternmost vertex: that vertex is the nearest point of the ward.
    x, y = max(SHAPES[PHU_MY].exterior.coords)
    lat, lon = y, x + 0.02
    route = directory.route(lat, lon, "traffic")
    assert route.ward_code == PHU_MY and route.outside and not route.no_location
    expected = haversine_m(lon, lat, x, y)  # about 2.19 km at this latitude
    assert 2100 < expected < 2300
    assert route.distance_m == pytest.approx(expected, rel=0.01)
    assert route.units() == ["center", "ward-26704", "dept-traffic"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lat=st.floats(CITY_BOX[1], CITY_BOX[3]), lon=st.floats(CITY_BOX[0], CITY_BOX[2]))
def test_outside_points_go_to_the_ward_nearest_on_the_ground(
    shared: Directory, lat: float, lon: float
) -> None:
    point = Point(lon, lat)
    if any(g.covers(point) for g in SHAPES.values()):
        return
    distances = {}
    for code, geom in SHAPES.items():
        edge = nearest_points(geom, point)[0]
        distances[code] = haversine_m(lon, lat, edge.x, edge.y)
    best = min(distances.values())
    route = shared.route(lat, lon, "other")
    assert route.outside
    assert route.distance_m == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert distances[route.ward_code] == pytest.approx(best, rel=1e-6, abs=1e-6)


# Triangles that tile each sample ward: a point drawn in one of them is inside that ward.
TRIANGLES = [
    (code, tri.exterior.coords[:3])
    for code, geom in SHAPES.items()
    for tri in shapely.constrained_delaunay_triangles(geom).geoms
]


@settings(max_examples=300, deadline=None)
@given(
    which=st.integers(0, len(TRIANGLES) - 1),
    u=st.floats(0, 1),
    v=st.floats(0, 1),
)
def test_any_point_inside_a_sample_ward_routes_to_it(
    shared: Directory, which: int, u: float, v: float
) -> None:
    code, (a, b, c) = TRIANGLES[which]
    if u + v > 1:
        u, v = 1 - u, 1 - v
    lon = a[0] + u * (b[0] - a[0]) + v * (c[0] - a[0])
    lat = a[1] + u * (b[1] - a[1]) + v * (c[1] - a[1])
    route = shared.route(lat, lon, "crime")
    if route.ward_code != code:
        # Only a point on a shared edge (Sài Gòn / Bến Thành) may go to the neighbour, which
        # covers it as well: the smaller ward wins.
        point = Point(lon, lat)
        assert SHAPES[code].boundary.distance(point) < 1e-9
        assert SHAPES[route.ward_code].distance(point) < 1e-9
    assert route.distance_m is not None and route.distance_m < 0.01


@pytest.mark.parametrize(("lat", "lon"), [(None, None), (10.7, None), (None, 106.7)])
def test_no_location(directory: Directory, lat: float | None, lon: float | None) -> None:
    route = directory.route(lat, lon, "crime")
    assert route.no_location and route.outside
    assert route.ward_code is None and route.ward_unit is None and route.distance_m is None
    assert route.units() == ["center", "dept-crime", "dept-order"]


@pytest.mark.parametrize(
    ("category", "departments"),
    [
        ("crime", ("dept-crime", "dept-order")),
        ("traffic", ("dept-traffic",)),
        ("fire", ("dept-fire",)),
        ("other", ()),
    ],
)
def test_each_category_goes_to_its_departments_and_the_center(
    directory: Directory, category: str, departments: tuple[str, ...]
) -> None:
    route = directory.route(*inside(TAN_PHU), category)
    assert route.departments == departments and route.center == "center"
    assert route.units() == ["center", "ward-27031", *departments]


def test_units_are_listed_once() -> None:
    from app.directory.routing import Route

    route = Route(ward_unit="ward-1", departments=("dept-fire", "ward-1", "center"))
    assert route.units() == ["center", "ward-1", "dept-fire"]


def test_an_unknown_category_or_position_is_refused(directory: Directory) -> None:
    with pytest.raises(ValueError, match="unknown category"):
        directory.route(10.7, 106.7, "theft")
    with pytest.raises(ValueError, match="WGS84"):
        directory.route(106.7, 10.7, "crime")
    with pytest.raises(ValueError, match="WGS84"):
        directory.route(math.nan, 106.7, "crime")


def test_rules_come_from_the_table_and_change_after_reload(
    started: Services, directory: Directory
) -> None:
    write(started, "INSERT INTO category_departments VALUES ('other', 'dept-waterway')")
    write(
        started,
        "DELETE FROM category_departments WHERE category = 'crime' AND unit_code = 'dept-order'",
    )
    # Cached until a reload: routing reads no table per report.
    assert directory.route(*inside(PHU_MY), "other").departments == ()
    directory.load()
    assert directory.route(*inside(PHU_MY), "other").departments == ("dept-waterway",)
    assert directory.route(*inside(PHU_MY), "crime").departments == ("dept-crime",)


def test_a_deactivated_department_is_not_routed_to(started: Services, directory: Directory) -> None:
    write(started, "UPDATE units SET active = 0 WHERE code = 'dept-order'")
    directory.load()
    assert directory.route(*inside(PHU_MY), "crime").departments == ("dept-crime",)


def test_a_change_is_picked_up_once_the_check_interval_has_passed(
    started: Services, directory: Directory, dir_clock: FakeClock
) -> None:
    write(started, "INSERT INTO category_departments VALUES ('other', 'dept-waterway')")
    dir_clock.now += 1.9
    assert directory.route(*inside(PHU_MY), "other").departments == ()
    dir_clock.now += 0.2
    assert directory.route(*inside(PHU_MY), "other").departments == ("dept-waterway",)


def test_routing_reads_the_database_at_most_once_per_interval(
    started: Services, directory: Directory, dir_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    real = started.db.read_sync
    monkeypatch.setattr(started.db, "read_sync", lambda fn: reads.append(fn) or real(fn))
    for _ in range(1000):
        directory.route(*inside(SAI_GON), "crime")
    assert reads == []
    dir_clock.now += 2.5
    for _ in range(1000):
        directory.route(*inside(SAI_GON), "crime")
    assert len(reads) == 1  # the version check; unchanged, so no reload


def test_routing_goes_on_while_another_thread_reloads(
    started: Services, directory: Directory
) -> None:
    # The index is swapped whole: a router sees the old boundaries or the new, never a mix.
    lat, lon = inside(SAI_GON)
    square = shapely.to_geojson(shapely.box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001))
    seen: set[int | None] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def router() -> None:
        try:
            while not stop.is_set():
                seen.add(directory.route(lat, lon, "crime").ward_code)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=router) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            write(
                started,
                "UPDATE wards SET boundary = ? WHERE code = ?",
                square if i % 2 == 0 else None,
                CU_CHI,
            )
            directory.load()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert errors == []
    assert seen <= {SAI_GON, CU_CHI} and SAI_GON in seen


def test_without_any_boundary_there_is_no_ward(started: Services, directory: Directory) -> None:
    write(started, "UPDATE wards SET boundary = NULL")
    directory.load()
    route = directory.route(*inside(PHU_MY), "fire")
    assert route.ward_code is None and route.outside and not route.no_location
    assert route.units() == ["center", "dept-fire"]
    assert directory.boundaries_geojson()["features"] == []


def test_overlapping_boundaries_go_to_the_smallest_ward(
    started: Services, directory: Directory
) -> None:
    lat, lon = inside(SAI_GON)
    small = shapely.box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
    write(
        started, "UPDATE wards SET boundary = ? WHERE code = ?", shapely.to_geojson(small), CU_CHI
    )
    directory.load()
    assert directory.route(lat, lon, "crime").ward_code == CU_CHI
    assert directory.route(lat + 0.003, lon, "crime").ward_code == SAI_GON


def test_a_point_on_a_shared_edge_goes_to_one_ward_deterministically(directory: Directory) -> None:
    # A vertex of both polygons: exactly on the edge, which an interpolated point rarely is.
    shared = set(SHAPES[SAI_GON].exterior.coords) & set(SHAPES[BEN_THANH].exterior.coords)
    assert len(shared) >= 3
    point = Point(sorted(shared)[1])
    assert SHAPES[SAI_GON].covers(point) and SHAPES[BEN_THANH].covers(point)
    smaller = min((SAI_GON, BEN_THANH), key=lambda c: SHAPES[c].area)
    for _ in range(3):
        route = directory.route(point.y, point.x, "crime")
        assert route.ward_code == smaller and not route.outside


def test_boundaries_geojson_lists_the_wards_with_boundaries(directory: Directory) -> None:
    fc = directory.boundaries_geojson()
    assert fc["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    assert set(by_code) == set(SHAPES)
    props = by_code[PHU_MY]["properties"]
    assert props == {"code": PHU_MY, "name": "Phường Phú Mỹ", "unit": "ward-26704", "sample": True,
                     "approximate": False}
    assert shape(by_code[PHU_MY]["geometry"]).equals(SHAPES[PHU_MY])
    assert directory.boundaries_geojson() is fc  # cached until the next reload


# -- HTTP ------------------------------------------------------------------------------------------
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_route_for_a_dispatcher(client: TestClient, login) -> None:
    token = login("disp", "dispatcher")
    lat, lon = inside(PHU_MY)
    r = client.get(
        "/api/route", params={"lat": lat, "lon": lon, "category": "fire"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ward_unit"] == "ward-26704" and body["outside"] is False
    assert body["units"] == ["center", "ward-26704", "dept-fire"]


def test_api_route_is_not_for_officers(client: TestClient, login) -> None:
    token = login("off", "officer", "ward-26704")
    r = client.get("/api/route", params={"lat": 10.6, "lon": 107.05}, headers=bearer(token))
    assert r.status_code == 403
    client.cookies.clear()  # the login set a session cookie
    assert client.get("/api/route", params={"lat": 10.6, "lon": 107.05}).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 107.05},
        {"lat": "abc", "lon": 107.05},
        {"lat": 106.7, "lon": 10.7},
        {"lat": 10.6, "lon": 107.05, "category": "theft"},
    ],
)
def test_api_route_refuses_bad_input(client: TestClient, login, params: dict) -> None:
    r = client.get("/api/route", params=params, headers=bearer(login("disp", "dispatcher")))
    assert r.status_code == 422 and r.json()["error"] == "invalid"


def test_api_ward_boundaries(client: TestClient, login) -> None:
    assert client.get("/api/wards/boundaries").status_code == 401
    token = login("off", "officer", "ward-27031")
    client.cookies.clear()  # prove the bearer token alone is enough
    r = client.get("/api/wards/boundaries", headers=bearer(token))
    assert r.status_code == 200
    codes = {f["properties"]["code"] for f in r.json()["features"]}
    assert codes == set(SHAPES)
    # Megabytes with real boundaries: the second load is a 304 until the boundaries change.
    etag = r.headers["etag"]
    again = client.get("/api/wards/boundaries", headers={**bearer(token), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
