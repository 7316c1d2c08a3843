"""Bad input never reaches a 500 (issue 18): the three families an outside tester found, on a
real server, each answered with a 4xx JSON `{error, message}` that names the field, and the
server still healthy after. Also the parsers of `app/inputs.py` on their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from app import inputs
from app.errors import ApiError

from .api_server import ApiServer, api_server

DEEP = 5000  # levels: the stdlib decoder's recursion gives out near 1,000
UNICODE_DIGITS = ["²", "٣", "５", "१२"]  # superscript two; Arabic-Indic, full-width, Devanagari


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with api_server(tmp_path_factory.mktemp("bad-input") / "data") as server:
        yield server


def refused(r: httpx.Response, field: str | None = None) -> dict[str, object]:
    """A 4xx with a JSON reason (and the field named, where one is given)."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert body.get("field") == field or field in body["message"], body
    return body


# -- deeply nested JSON --------------------------------------------------------------------------
JSON_ENDPOINTS = [
    ("POST", "/api/auth/login", None),
    ("PUT", "/api/citizen/devices/me", "citizen"),
    ("PUT", "/api/officers/me/availability", "officer"),
    ("POST", "/api/admin/users", "admin"),
    ("POST", "/api/push/subscriptions", "citizen"),
    ("DELETE", "/api/push/subscriptions", "citizen"),
    ("PUT", "/api/officers/me/position", "officer"),
    ("POST", "/api/incidents/phone", "dispatcher"),
]
NESTINGS = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "unclosed": b'{"username":' + b"[" * DEEP,
}


@pytest.mark.parametrize("nesting", list(NESTINGS))
@pytest.mark.parametrize(("method", "path", "role"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_refused_with_a_reason(
    api: ApiServer, method: str, path: str, role: str | None, nesting: str
) -> None:
    r = httpx.request(method, api.url + path, content=NESTINGS[nesting],
                      headers={**api.headers(role), "Content-Type": "application/json"})
    assert r.status_code == 400
    assert refused(r, "body")["error"] == "too_deep"
    assert api.healthy()


def test_brackets_inside_strings_do_not_count(api: ApiServer) -> None:
    username = "[" * DEEP  # a (wrong) username full of brackets is still just a string
    r = httpx.post(api.url + "/api/auth/login", json={"username": username, "password": "x"})
    assert r.status_code == 401


# -- digits of other scripts in query parameters -------------------------------------------------
STATS_PATHS = [
    "/api/stats/overview", "/api/stats/series", "/api/stats/response-times",
    "/api/stats/histogram", "/api/stats/wards", "/api/stats/map",
    "/api/stats/series.csv", "/api/stats/wards.csv",
    "/api/stats/charts/series.svg", "/api/stats/charts/wards.svg",
    "/api/stats/charts/histogram.svg",
    "/api/stats/incidents.geojson",
]
OWN_PARAMS = {"histogram": "bins", "wards": "top", "map": "max_points"}


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
@pytest.mark.parametrize("path", STATS_PATHS)
def test_statistics_refuse_digits_of_other_scripts(api: ApiServer, path: str, digit: str) -> None:
    params = [("ward", digit)]
    own = next((p for name, p in OWN_PARAMS.items() if f"/{name}" in path), None)
    if own is not None and not path.endswith(".svg"):
        params.append((own, "1"))
    r = httpx.get(api.url + path, params=params, headers=api.headers("supervisor"))
    refused(r, "ward")
    assert api.healthy()


@pytest.mark.parametrize(("figure", "param"), list(OWN_PARAMS.items()))
@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_a_figures_own_whole_numbers_take_ascii_digits_only(
    api: ApiServer, figure: str, param: str, digit: str
) -> None:
    for path in (f"/api/stats/{figure}", f"/api/stats/{figure}.csv"):
        r = httpx.get(f"{api.url}{path}?{param}={quote(digit)}", headers=api.headers("supervisor"))
        refused(r, param)
    assert api.healthy()


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit.csv"])
@pytest.mark.parametrize("param", ["limit", "before"])
@pytest.mark.parametrize("value", [*UNICODE_DIGITS, "1²", str(2**64), "9" * 40, "-1", "0x10"])
def test_audit_paging_takes_ascii_whole_numbers_within_64_bits(
    api: ApiServer, path: str, param: str, value: str
) -> None:
    r = httpx.get(api.url + path, params={param: value}, headers=api.headers("supervisor"))
    assert r.status_code == 422
    refused(r, param)
    assert api.healthy()


def test_the_largest_64_bit_before_is_a_page_not_an_error(api: ApiServer) -> None:
    r = httpx.get(api.url + "/api/audit", params={"before": str(inputs.INT64_MAX), "limit": "5"},
                  headers=api.headers("supervisor"))
    assert r.status_code == 200 and len(r.json()["entries"]) == 5


# -- tus headers ---------------------------------------------------------------------------------
TUS = {"Tus-Resumable": "1.0.0"}
# A header travels as bytes; Starlette reads them as Latin-1, where ² ³ ¹ are one byte each.
BAD_LENGTHS = ["²".encode("latin-1"), "1³".encode("latin-1"), b"1" * 40, b"-5", b"1e3", b"1 2"]


@pytest.mark.parametrize("value", BAD_LENGTHS)
def test_tus_upload_length_refuses_what_is_not_ascii_digits(api: ApiServer, value: bytes) -> None:
    headers = {**api.headers("citizen"), **TUS, "Upload-Metadata": _meta(api.report_id)}
    r = httpx.post(api.url + "/media/uploads/", headers=[*headers.items(), ("Upload-Length", value)])
    assert r.status_code == 400
    assert "Upload-Length" in str(refused(r)["message"])
    assert r.headers["tus-resumable"] == "1.0.0"
    assert api.healthy()


@pytest.mark.parametrize("value", BAD_LENGTHS)
def test_tus_upload_offset_refuses_what_is_not_ascii_digits(api: ApiServer, value: bytes) -> None:
    headers = {**api.headers("citizen"), **TUS, "Upload-Metadata": _meta(api.report_id),
               "Upload-Length": "10"}
    created = httpx.post(api.url + "/media/uploads/", headers=headers)
    assert created.status_code == 201, created.text
    patch = [*api.headers("citizen").items(), *TUS.items(),
             ("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", value)]
    r = httpx.patch(api.url + created.headers["location"], content=b"0123456789", headers=patch)
    assert r.status_code == 400
    assert "Upload-Offset" in str(refused(r)["message"])
    assert api.healthy()


def _meta(report_id: str) -> str:
    from media.tus import encode_metadata

    return encode_metadata({"report": report_id, "filename": "a.jpg"})


# -- sync: deep values in a Yjs update -----------------------------------------------------------
def test_a_report_update_nested_30000_deep_is_a_400_not_a_dead_server(api: ApiServer) -> None:
    # 60 KB, inside a report update's 64 KB: before the shape check, pycrdt's Rust decoder
    # overflowed the native stack on it and the whole server died of a segmentation fault.
    from sync import protocol

    # One struct of client 1: an Any in root map "report" under key "x" (see tests/sync).
    update = b"\x01\x01\x01\x00\x28\x01\x06report\x01x\x01" + b"\x75\x01" * 30_000 + b"\x7e\x00"
    r = httpx.post(f"{api.url}/sync/report/{uuid.uuid4()}", content=protocol.sync_update(update),
                   headers={**api.headers("citizen"), "Content-Type": "application/octet-stream"})
    assert r.status_code == 400 and "nested" in refused(r)["message"]
    assert api.healthy()


# -- NUL characters: PostgreSQL text cannot hold one (psycopg raised: a 500 on that backend) ------
NUL_BODIES = [
    ("POST", "/api/auth/login", None, {"username": "a\u0000b", "password": "x"}),
    ("PUT", "/api/citizen/devices/me", "citizen", {"name": "An\u0000"}),
    ("POST", "/api/admin/users", "admin",
     {"username": "x\u0000", "password": "correct horse battery", "role": "officer"}),
    ("POST", "/api/push/subscriptions", "citizen", {"endpoint": "https://x/\u0000", "keys": {}}),
    ("DELETE", "/api/push/subscriptions", "citizen", {"endpoint": "https://x/\u0000"}),
    ("POST", "/api/incidents/phone", "dispatcher",
     {"category": "traffic", "description": "Kẹt xe\u0000", "lat": 10.8, "lon": 106.6}),
    ("POST", "/api/incidents/phone", "dispatcher",
     {"category": "traffic", "description": "Kẹt xe", "ward": 27031, "caller": {"name": "\u0000"}}),
]


@pytest.mark.parametrize(("method", "path", "role", "body"), NUL_BODIES)
def test_a_nul_in_a_json_body_is_refused(
    api: ApiServer, method: str, path: str, role: str | None, body: dict[str, object]
) -> None:
    r = httpx.request(method, api.url + path, json=body, headers=api.headers(role))
    assert r.status_code == 422 and "NUL" in str(refused(r, "body")["message"])
    assert api.healthy()


@pytest.mark.parametrize(
    "address", ["/api/audit?actor=a%00b", "/api/audit.csv?target=%00", "/api/stats/overview?unit=%00",
                "/api/officers?unit=ward-1%00", "/api/incidents/a%00b/candidates",
                "/api/incidents/x/track?officer=a%00", "/api/stats/incidents.geojson?unit=%00"],
)
def test_a_nul_in_the_address_is_refused(api: ApiServer, address: str) -> None:
    r = httpx.get(api.url + address, headers=api.headers("admin"))
    assert r.status_code == 400 and "NUL" in str(refused(r)["message"])
    assert api.healthy()


def test_a_nul_in_a_report_or_an_upload_name_is_refused(api: ApiServer) -> None:
    from media.tus import encode_metadata

    from .sync_client import SyncClient

    client = SyncClient(api.url, api.tokens["citizen"])
    try:
        report_id = client.new_report("crime", description="cướp\x00giật")
        r = client.sync(f"report/{report_id}")
        assert r.status_code == 422 and "NUL" in str(refused(r)["message"])
    finally:
        client.close()
    meta = encode_metadata({"report": api.report_id, "filename": "a\x00.jpg"})
    r = httpx.post(api.url + "/media/uploads/", headers={
        **api.headers("citizen"), **TUS, "Upload-Length": "10", "Upload-Metadata": meta})
    assert r.status_code == 400 and "NUL" in str(refused(r)["message"])
    assert api.healthy()


@pytest.mark.parametrize("path", ["/assets/" + "a" * 5000, "/assets/" + "a/" * 3000 + "x"])
def test_a_file_name_too_long_for_the_file_system_is_a_404(api: ApiServer, path: str) -> None:
    r = httpx.get(api.url + path)
    assert r.status_code == 404 and refused(r)["error"] == "not_found"
    assert api.healthy()


# -- the parsers on their own --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "depth"),
    [(b"{}", 1), (b"[[1],[2,[3]]]", 3), (b'{"a": "[[[{{{"}', 1), (b'["\\"[", [[]]]', 3),
     (b"1", 0), (b"[" * 100_000, inputs.MAX_JSON_DEPTH + 1)],
)
def test_json_depth_counts_brackets_outside_strings(body: bytes, depth: int) -> None:
    assert inputs.json_depth(body) == depth


def test_a_body_at_the_depth_limit_decodes_and_one_deeper_does_not() -> None:
    limit = inputs.MAX_JSON_DEPTH
    assert inputs.parse_json(b"[" * limit + b"]" * limit) is not None
    with pytest.raises(ApiError) as caught:
        inputs.parse_json(b"[" * (limit + 1) + b"]" * (limit + 1))
    assert caught.value.status_code == 400 and caught.value.code == "too_deep"


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"a": -Infinity}', "\xff", "{"])
def test_what_is_not_json_is_a_400(raw: str) -> None:
    with pytest.raises(ApiError) as caught:
        inputs.parse_json(raw.encode("latin-1"))
    assert caught.value.status_code == 400 and caught.value.code == "bad_json"


@pytest.mark.parametrize("raw", ["²", "٣", "١٢", "1_000", " 1", "+1", str(2**63)])
def test_whole_numbers_are_ascii_digits_within_64_bits(raw: str) -> None:
    with pytest.raises(ApiError) as caught:
        inputs.whole_value(raw, "limit")
    assert caught.value.status_code == 422 and caught.value.extra == {"field": "limit"}
    assert inputs.whole_value(str(2**63 - 1), "limit") == 2**63 - 1


# -- the other channels and the units' positions (issues 16 and 17) -------------------------------
HUGE = [2**64, 10**40, -(2**63) - 1]  # past SQLite's and PostgreSQL's 64-bit integers


@pytest.mark.parametrize("ward", [*UNICODE_DIGITS, "1²", "9" * 40, str(2**64), *HUGE, "-1", "0x10", True, 1.5])
def test_phone_intake_reads_the_ward_in_ascii_digits_within_range(api: ApiServer, ward: object) -> None:
    """'²'.isdigit() is true and int('²') raises: this was a 500; '٣' was read as ward 3."""
    body = {"category": "traffic", "description": "Gọi 113: kẹt xe", "ward": ward}
    r = httpx.post(api.url + "/api/incidents/phone", json=body, headers=api.headers("dispatcher"))
    assert r.status_code == 422
    # A JSON number past 64 bits is refused as the body is read, before any field (issue 25).
    past_64_bits = isinstance(ward, int) and not -(2**63) <= ward < 2**63
    refused(r, "body" if past_64_bits else "ward")
    assert api.healthy()


@pytest.mark.parametrize("name", ["lat", "lon"])
@pytest.mark.parametrize("value", [*HUGE, "١٢", "10", None, [10]])
def test_phone_intake_coordinates_are_numbers_within_range(api: ApiServer, name: str, value: object) -> None:
    body = {"category": "traffic", "description": "Gọi 113", "lat": 10.8, "lon": 106.6, name: value}
    r = httpx.post(api.url + "/api/incidents/phone", json=body, headers=api.headers("dispatcher"))
    assert r.status_code == 422
    refused(r)
    assert api.healthy()


@pytest.mark.parametrize("fix", [{"lat": 2**64}, {"lon": 10**40}, {"accuracy": 2**63}, {"at": 10**40},
                                 {"at": -(2**64)}, {"lat": "١٢"}, {"at": "1e3"}])
def test_a_position_fix_takes_numbers_within_range(api: ApiServer, fix: dict[str, object]) -> None:
    officer = api.headers("officer")
    r = httpx.put(api.url + "/api/officers/me/availability", json={"status": "available"}, headers=officer)
    assert r.status_code == 200, r.text  # on duty: the fix itself is what is refused
    good = {"lat": 10.8, "lon": 106.6, "accuracy": 12, "at": 1_700_000_000_000}
    for body in ({**good, **fix}, [good, {**good, **fix}]):
        r = httpx.put(api.url + "/api/officers/me/position", json=body, headers=officer)
        assert r.status_code == 422
        refused(r, "body")
    assert api.healthy()


@pytest.mark.parametrize(("officer", "status"), [("a" * 5000, 422), ("", 422), ("²", 404), ("9" * 40, 404)])
def test_the_track_names_an_officer_of_bounded_length(api: ApiServer, officer: str, status: int) -> None:
    r = httpx.get(f"{api.url}/api/incidents/{api.report_id}/track", params={"officer": officer},
                  headers=api.headers("supervisor"))
    assert r.status_code == status
    refused(r, "officer" if status == 422 else None)
    assert api.healthy()


def open311_refused(r: httpx.Response, status: int = 400, names: str | None = None) -> str:
    """Open311's own refusal: `[{code, description}]`, the code the HTTP status."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"], body
    if names is not None:
        assert names in body[0]["description"], body
    return str(body[0]["description"])


def _request(api: ApiServer, **fields: object) -> dict[str, object]:
    return {"api_key": api.partner_key, "service_code": "traffic", "lat": "10.8", "long": "106.6",
            "description": "Kẹt xe", **fields}


@pytest.mark.parametrize("name", ["lat", "long"])
@pytest.mark.parametrize("value", [*UNICODE_DIGITS, "١٢", "1_0", "nan", "inf", "1e309", "9" * 400,
                                   str(2**64), "0x10"])
def test_open311_coordinates_take_ascii_digits_within_range(api: ApiServer, name: str, value: str) -> None:
    """float() read '١٢' as 12 and '1_0' as 10: a report placed where nobody said."""
    url = api.url + "/open311/v2/requests.json"
    open311_refused(httpx.post(url, data=_request(api, **{name: value})), 400, name)
    open311_refused(httpx.post(url, json=_request(api, **{name: value})), 400, name)
    assert api.healthy()


@pytest.mark.parametrize("nesting", list(NESTINGS))
def test_open311_refuses_deep_json_in_its_own_form(api: ApiServer, nesting: str) -> None:
    """json.loads ran on the raw body here: a few thousand brackets raised RecursionError (a 500)."""
    r = httpx.post(api.url + "/open311/v2/requests.json", content=NESTINGS[nesting],
                   headers={"Content-Type": "application/json"})
    assert "nested" in open311_refused(r, 400)
    assert api.healthy()


def test_open311_refuses_nul_and_oversized_input_in_its_own_form(api: ApiServer) -> None:
    url = api.url + "/open311/v2/requests.json"
    for sent in ({"data": _request(api, description="a\x00b")},  # form-encoded %00
                 {"json": _request(api, description="a\x00b")},
                 {"json": _request(api, first_name={"a": "\x00"})}):
        assert "NUL" in open311_refused(httpx.post(url, **sent), 400)  # type: ignore[arg-type]
    r = httpx.get(f"{url}?api_key={api.partner_key}&service_code=%00")
    assert "NUL" in open311_refused(r, 400)  # refused before routing, still in Open311's form
    open311_refused(httpx.post(url, data=_request(api, description="x" * 70_000)), 413)
    open311_refused(httpx.get(url, params={"api_key": "k" * 5000}), 403)
    open311_refused(httpx.get(f"{api.url}/open311/v2/requests/{api.request_id}.json",
                              params={"api_key": api.partner_key + "²"}), 403)
    assert api.healthy()


def test_open311_takes_a_good_request_after_all_that(api: ApiServer) -> None:
    r = httpx.post(api.url + "/open311/v2/requests.json", data=_request(api, lat="10.80", long="1.066e2"))
    assert r.status_code == 201, r.text
    assert r.json()[0]["service_request_id"]


@pytest.mark.parametrize("value", ["２０２４-01-01", "2024-٠1-01", "9" * 40, str(2**64), "nan"])
def test_open311_dates_take_ascii_digits(api: ApiServer, value: str) -> None:
    for name in ("start_date", "end_date"):
        r = httpx.get(api.url + "/open311/v2/requests.json", params={"api_key": api.partner_key, name: value})
        open311_refused(r, 400, name)
    assert api.healthy()
