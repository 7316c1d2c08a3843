"""The inputs an outside probe (issue 25) still turned into a 500, each now a 4xx with a JSON
reason on a real server: a lone surrogate in any JSON string (pycrdt panics on one), numbers past
what any field holds (10^400), dates at the ends of the calendar, a non-ASCII byte in tus
metadata, a signed token whose payload is not what its salt promises, and Range refusals.
The schema fuzzer (tests/test_api_fuzz.py) sends the same families everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from app import inputs
from app.errors import ApiError

from .api_server import ApiServer, api_server
from .test_bad_input import open311_refused, refused

SURROGATE = "\ud800"  # half of a UTF-16 pair, alone: valid JSON (as \ud800), not valid text
HUGE = 10**400  # a JSON integer Python reads; no column or coordinate holds it
SECRET = "test-secret-key-not-for-production"  # tests/api_server.py's


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with api_server(tmp_path_factory.mktemp("probe") / "data") as server:
        yield server


def send_json(api: ApiServer, method: str, path: str, body: object, role: str | None) -> httpx.Response:
    """`body` as ASCII JSON: \\ud800 travels as the six characters a probe sends (httpx's own
    encoder would refuse to write a lone surrogate as UTF-8)."""
    return httpx.request(method, api.url + path, content=json.dumps(body).encode(),
                         headers={**api.headers(role), "Content-Type": "application/json"})


# -- lone surrogates -----------------------------------------------------------------------------
SURROGATE_BODIES = [
    ("POST", "/api/auth/login", None, {"username": SURROGATE, "password": "x"}),
    ("PUT", "/api/citizen/devices/me", "citizen", {"name": "An" + SURROGATE, "phone": "0901234567"}),
    ("DELETE", "/api/push/subscriptions", "citizen", {"endpoint": "https://push.example/" + SURROGATE}),
    ("POST", "/api/incidents/phone", "dispatcher",
     {"category": "traffic", "description": "Kẹt xe " + SURROGATE, "lat": 10.8, "lon": 106.6}),
    ("POST", "/api/incidents/phone", "dispatcher",
     {"category": "traffic", "description": "Kẹt xe", "lat": 10.8, "lon": 106.6,
      "caller": {"name": SURROGATE, "phone": "113"}}),
    ("POST", "/api/admin/users", "admin", {"username": "u" + SURROGATE, "password": "x" * 20, "role": "officer"}),
    ("POST", "/api/push/subscriptions", "citizen",
     {"endpoint": "https://push.example/a", "keys": {"p256dh": SURROGATE, "auth": "x"}}),
    ("PUT", "/api/citizen/devices/me", "citizen", {SURROGATE: "key, not value"}),
]


@pytest.mark.parametrize(("method", "path", "role", "body"), SURROGATE_BODIES,
                         ids=[f"{m} {p} {i}" for i, (m, p, _, _) in enumerate(SURROGATE_BODIES)])
def test_a_lone_surrogate_in_a_json_body_is_refused_with_a_reason(
    api: ApiServer, method: str, path: str, role: str | None, body: object
) -> None:
    r = send_json(api, method, path, body, role)
    assert r.status_code == 422
    assert "surrogate" in refused(r, "body")["message"]
    assert api.healthy()


def test_a_lone_surrogate_as_raw_bytes_is_refused_too(api: ApiServer) -> None:
    """json.loads decodes bytes with 'surrogatepass': the UTF-8-like bytes ED A0 80 become \\ud800."""
    body = b'{"username": "\xed\xa0\x80", "password": "x"}'
    r = httpx.post(api.url + "/api/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    refused(r, "body")


def test_open311_refuses_a_lone_surrogate_in_json_and_in_its_form(api: ApiServer) -> None:
    url = api.url + "/open311/v2/requests.json"
    fields = {"api_key": api.partner_key, "service_code": "traffic", "lat": "10.8", "long": "106.6",
              "description": "Kẹt xe " + SURROGATE}
    r = httpx.post(url, content=json.dumps(fields).encode(), headers={"Content-Type": "application/json"})
    assert "surrogate" in open311_refused(r, 400)
    # A form body is percent-encoded bytes: %ED%A0%80 is not UTF-8 and must not become \ud800.
    form = "&".join(f"{k}={v}" for k, v in {**fields, "description": "x%ED%A0%80"}.items())
    r = httpx.post(url, content=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code in (201, 400), r.text
    if r.status_code == 400:
        open311_refused(r, 400)
    assert api.healthy()


def test_a_lone_surrogate_in_a_query_string_is_not_a_500(api: ApiServer) -> None:
    for path in ("/open311/v2/requests.json?service_code=%ED%A0%80&api_key=" + api.partner_key,
                 "/api/stats/overview?category=%ED%A0%80", "/api/admin/users?q=%ED%A0%80"):
        r = httpx.get(api.url + path, headers=api.headers("admin"))
        assert r.status_code < 500, (path, r.text)
    assert api.healthy()


# -- numbers past any field ----------------------------------------------------------------------
@pytest.mark.parametrize("raw", [b"1" + b"0" * 400, b"-1" + b"0" * 400, b"1e400", b"-1e400", b"1.5e999"])
def test_a_number_no_field_can_hold_is_refused_when_the_body_is_read(raw: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        inputs.parse_json(b'{"lat": ' + raw + b"}")
    assert caught.value.status_code == 422 and caught.value.extra["field"] == "body"


def test_ordinary_numbers_still_decode() -> None:
    body = b'{"a": 9223372036854775807, "b": -9223372036854775808, "c": 1e308, "d": 10.8}'
    assert inputs.parse_json(body) == {"a": 2**63 - 1, "b": -(2**63), "c": 1e308, "d": 10.8}


@pytest.mark.parametrize("name", ["lat", "lon", "accuracy", "at"])
def test_a_position_of_10_to_the_400_is_refused(api: ApiServer, name: str) -> None:
    officer = api.headers("officer")
    r = httpx.put(api.url + "/api/officers/me/availability", json={"status": "available"}, headers=officer)
    assert r.status_code == 200, r.text
    good = {"lat": 10.8, "lon": 106.6, "accuracy": 12, "at": 1_700_000_000_000}
    r = send_json(api, "PUT", "/api/officers/me/position", {**good, name: HUGE}, "officer")
    assert r.status_code == 422
    refused(r, "body")
    assert api.healthy()


@pytest.mark.parametrize("body", [{"ward": HUGE}, {"lat": HUGE, "lon": 106.6}, {"lat": 10.8, "lon": -HUGE}])
def test_phone_intake_refuses_10_to_the_400(api: ApiServer, body: dict[str, object]) -> None:
    r = send_json(api, "POST", "/api/incidents/phone",
                  {"category": "traffic", "description": "Gọi 113", **body}, "dispatcher")
    assert r.status_code == 422
    refused(r, "body")


# -- dates at the ends of the calendar -----------------------------------------------------------
@pytest.mark.parametrize("params", [{"to": "9999-12-31"}, {"to": "0001-01-01"}, {"from": "0001-01-01"},
                                    {"from": "9999-12-31"}, {"from": "9999-12-24", "to": "9999-12-31"},
                                    {"from": "0001-01-01", "to": "0001-01-02"}])
@pytest.mark.parametrize("path", ["/api/stats/overview", "/api/stats/series", "/api/stats/series.csv",
                                  "/api/stats/charts/series.svg"])
def test_statistics_refuse_the_ends_of_the_calendar(api: ApiServer, path: str, params: dict[str, str]) -> None:
    r = httpx.get(api.url + path, params=params, headers=api.headers("supervisor"))
    assert r.status_code == 422, (r.status_code, r.text[:200])
    refused(r)


# -- tus metadata --------------------------------------------------------------------------------
@pytest.mark.parametrize("metadata", [b"filename \xff\xfe", "filename é".encode(), b"\xc3\xa9 YQ=="])
def test_a_non_ascii_byte_in_tus_metadata_is_refused(api: ApiServer, metadata: bytes) -> None:
    r = httpx.post(api.url + "/media/uploads/", headers={
        **api.headers("citizen"), "Tus-Resumable": "1.0.0", "Upload-Length": "10",
        "Upload-Metadata": metadata})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    refused(r)
    assert api.healthy()


# -- tokens whose payload does not fit their salt ------------------------------------------------
@pytest.mark.parametrize("payload", [{"x": 1}, {"u": 1}, {"s": "a"}, {"u": "abc", "s": "a"}, {"u": 1, "s": []},
                                     {"u": 10**30, "s": "a"}, {"u": True, "s": "a"}, [1, 2], "text", None])
@pytest.mark.parametrize("salt", ["sos.user", "sos.device"])
def test_a_signed_token_of_the_wrong_shape_is_no_token(api: ApiServer, salt: str, payload: object) -> None:
    token = URLSafeTimedSerializer(SECRET, salt=salt).dumps(payload)
    for path in ("/api/auth/me", "/api/push/subscriptions"):
        r = httpx.get(api.url + path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (r.status_code, r.text[:200])
        refused(r)
    assert api.healthy()
