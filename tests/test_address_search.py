"""Address search (app/directory/search.py, GET /api/directory/search, issue 30): addresses as
people say them, before and after the 2025 merger, find the ward they are in now."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from vietnamadminunits import convert_address

from app.directory import approximate
from app.directory.admin_units import hcm_units
from app.directory.search import fold, search
from app.services import Services

SAI_GON, BEN_THANH, TAN_DINH = 26740, 26743, 26734
COMMUNES = {"Xã", "Thị trấn"}


def top(query: str) -> str:
    found = search(query)
    assert found, f"nothing found for {query!r}"
    return found[0].name


def old_addresses() -> list[tuple[str, str]]:
    """36 pre-2025 wards that became one new ward whole, spread over every former district of the
    three provinces (one in every twelve, in the package's order), as full addresses."""
    _, old = hcm_units()
    chosen = [o for o in old if o.name and not o.split][::12]
    return [(f"{o.name}, {o.district}, {o.province}", o.province) for o in chosen]


def test_the_sample_covers_the_former_districts_thu_duc_binh_duong_and_ba_ria_vung_tau() -> None:
    sample = old_addresses()
    assert len(sample) >= 30
    text = " ".join(a for a, _ in sample)
    assert {"Tỉnh Bình Dương", "Tỉnh Bà Rịa - Vũng Tàu"} <= {p for _, p in sample}
    assert "Thành phố Thủ Đức" in text and "Quận" in text and "Huyện" in text


@pytest.mark.parametrize("address", [a for a, _ in old_addresses()])
def test_an_old_address_finds_the_ward_the_2025_resolution_made_of_it(address: str) -> None:
    # The oracle is the package's own converter; the hand-checked cases are below.
    assert top(address) == convert_address(address).ward


@pytest.mark.parametrize(
    ("query", "ward"),
    [
        ("phường Bến Nghé, quận 1", "Phường Sài Gòn"),  # the famous one
        ("P. Ben Nghe, Q.1, TP.HCM", "Phường Sài Gòn"),  # no diacritics, abbreviated
        ("p ben nghe q1 tphcm", "Phường Sài Gòn"),
        ("12 Lê Lợi, Phường Bến Thành, Quận 1", "Phường Bến Thành"),
        ("Phường Sài Gòn", "Phường Sài Gòn"),  # the new name
        ("sai gon", "Phường Sài Gòn"),
        ("Phường 12, Quận Gò Vấp", "Phường An Hội Tây"),  # a numbered ward needs its district
        ("P.12, Q. Go Vap", "Phường An Hội Tây"),
        ("Phường Linh Trung, TP. Thủ Đức", "Phường Linh Xuân"),
        ("Tam Bình, Thủ Đức", "Phường Tam Bình"),
        ("Phường Phú Lợi, TP Thủ Dầu Một, Bình Dương", "Phường Phú Lợi"),
        ("Phường Thắng Tam, TP. Vũng Tàu", "Phường Vũng Tàu"),
        ("xa binh chau, huyen xuyen moc", "Xã Bình Châu"),
        ("Côn Đảo", "Đặc khu Côn Đảo"),
    ],
)
def test_names_old_and_new_with_or_without_diacritics_and_abbreviations(query: str, ward: str) -> None:
    assert top(query) == ward


def test_a_number_never_matches_a_longer_one_and_a_lone_numbered_ward_is_not_guessed() -> None:
    assert fold("P. 01, Q.10, TP. HCM") == "phuong 1 quan 10 thanh pho ho chi minh"
    assert all(m.matched != "Phường 1, Quận 1" for m in search("Phường 1, Quận 10"))
    assert search("phường 12") == []  # twenty districts had a Phường 12
    assert search("xyz qwerty") == []


def test_a_district_alone_lists_the_wards_made_from_it() -> None:
    found = {m.name for m in search("Quận 1")}
    assert {"Phường Sài Gòn", "Phường Bến Thành", "Phường Tân Định"} <= found


def test_the_point_is_inside_the_ward_it_names(svc: Services) -> None:
    svc.start()
    try:
        approximate.load(svc.directory)
        for query in ("phường Bến Nghé, quận 1", "Phường Sài Gòn", "Phường 12, Quận Gò Vấp", "Côn Đảo"):
            match = search(query, svc.directory.ward_point)[0]
            assert svc.directory.route(match.lat, match.lon, "crime").ward_code == match.code, query
    finally:
        svc.stop()


# -- the API ----------------------------------------------------------------------------------
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_police_search_and_get_ward_point_and_what_matched(client: TestClient, login) -> None:
    r = client.get("/api/directory/search", params={"q": "phường Bến Nghé, quận 1"},
                   headers=bearer(login("disp", "dispatcher")))
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first["ward"] == {"code": SAI_GON, "name": "Phường Sài Gòn"}
    assert first["approximate"] is True and first["matched"] == "Phường Bến Nghé, Quận 1"
    assert 10.7 < first["lat"] < 10.9 and 106.6 < first["lon"] < 106.8
    officer = login("off", "officer", f"ward-{SAI_GON}")
    assert client.get("/api/directory/search", params={"q": "Sài Gòn"}, headers=bearer(officer)).status_code == 200


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "phường Bến Nghé " * 125])
def test_an_empty_or_overlong_query_is_refused(client: TestClient, login, q: str) -> None:
    r = client.get("/api/directory/search", params={"q": q}, headers=bearer(login("disp", "dispatcher")))
    assert r.status_code == 422 and r.json()["error"] == "invalid", r.text


def test_a_citizen_cannot_search_and_nobody_anonymous(client: TestClient) -> None:
    device = client.post("/api/citizen/devices").json()["token"]
    r = client.get("/api/directory/search", params={"q": "Sài Gòn"}, headers=bearer(device))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    client.cookies.clear()
    assert client.get("/api/directory/search", params={"q": "Sài Gòn"}).status_code == 401


def test_a_nul_in_the_query_is_a_4xx_with_a_reason(client: TestClient, login) -> None:
    r = client.get("/api/directory/search", params={"q": "Sài\x00Gòn"}, headers=bearer(login("disp", "dispatcher")))
    assert r.status_code == 400 and r.json()["error"], r.text


@pytest.mark.parametrize("q", ["🚓🚓", "...,,,", "P.", "Q. ", "phường\u0301 ", "%00", "٣"])
def test_odd_queries_answer_an_empty_list_not_a_500(client: TestClient, login, q: str) -> None:
    r = client.get("/api/directory/search", params={"q": q}, headers=bearer(login("disp", "dispatcher")))
    assert r.status_code == 200 and r.json() == [], r.text


def test_a_phone_intake_at_a_searched_point_is_marked_approximate(client: TestClient, login) -> None:
    token = login("disp", "dispatcher")
    found = client.get("/api/directory/search", params={"q": "P. Bến Nghé, Q.1"}, headers=bearer(token)).json()[0]
    body = {"category": "crime", "description": "Giật túi", "caller": {"name": "", "phone": ""},
            "lat": found["lat"], "lon": found["lon"]}
    r = client.post("/api/incidents/phone", json={**body, "approximate": True}, headers=bearer(token))
    assert r.status_code == 201 and r.json()["approximate"] is True, r.text
    r = client.post("/api/incidents/phone", json=body, headers=bearer(token))
    assert r.status_code == 201 and r.json()["approximate"] is False, r.text
