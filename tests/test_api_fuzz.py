"""The schema-driven fuzzer (issue 18): schemathesis generates requests from the published
OpenAPI document (app/web/openapi.py) — valid ones and ones that break the schema — and sends
them to a real uvicorn server as each role: a citizen device, an officer, a dispatcher, a
supervisor, an admin, and nobody. Every answer must be no 5xx (`not_a_server_error`) and must
match the document (`response_schema_conformance`: a refusal is the Error schema, a figure the
figure's shape). Beside it, a fixed list of hostile values (other scripts' digits, integers
past 64 bits, NUL, names too long for a file system, ...) goes into every parameter and JSON
field of every documented operation in turn: values schemathesis seldom makes.

Bounded: a few examples per operation and role (`EXAMPLES`, `NEGATIVE_EXAMPLES`), no deadline,
one server for the module; under a minute on a quiet 2-core machine (46 s measured). Runs once, in the SQLite pass
(marked `fuzz`, which the Makefile's PostgreSQL pass leaves out: it is about input, not
storage; the regression tests of tests/test_bad_input.py run on both backends). `SOS_FUZZ_EXAMPLES=200` searches harder by hand.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.web import openapi

from .api_server import ROLES, ApiServer, api_server

EXAMPLES = int(os.environ.get("SOS_FUZZ_EXAMPLES", "10"))
NEGATIVE_EXAMPLES = max(2, EXAMPLES // 2)
CHECKS = [not_a_server_error, response_schema_conformance]
# Logging out would end the session the other operations of that role still use. The live
# positions are a server-sent stream that never ends by itself (schemathesis would read it until
# its timeout, for every example): it has no input to fuzz, and
# test_the_live_positions_stream_answers_each_role checks its refusals and its first event instead.
LIVE = ("GET", "/api/units/positions/live")
# Disabling, resetting or cutting the sessions of an account (issue 25) would cut off the very
# accounts the fuzzer signs in as (user ids 1-4): tests/test_accounts.py covers their refusals.
CUTTING = {("POST", f"/api/admin/users/{{user_id}}/{action}")
           for action in ("disable", "reset-password", "sessions/end", "second-factor/reset")}
SKIPPED = {("POST", "/api/auth/logout"), LIVE, *CUTTING}

# tus PATCH bodies are raw bytes under their own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
SCHEMA = schemathesis.openapi.from_dict(openapi.document())
OPERATIONS = [
    result.ok() for result in SCHEMA.get_all_operations()
    if (result.ok().method.upper(), result.ok().path) not in SKIPPED
]

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    # Generous rate limits: the fuzzer signs in and makes devices far faster than any person.
    with api_server(tmp_path_factory.mktemp("fuzz") / "data", login_per_ip_per_hour=100_000,
                    devices_per_ip_per_hour=100_000, login_max_failures=100_000,
                    login_address_max_failures=100_000, login_hard_lock_failures=100_000,
                    login_slowdown_after=100_000,
                    partner_calls_per_minute=100_000) as server:
        yield server


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def roles_for(operation: Any) -> list[str | None]:
    """Every role the operation names, plus one it refuses (or nobody) for the refusals."""
    allowed = operation.definition.raw.get("x-roles", [])
    others = [r for r in ROLES if r not in allowed]
    return [*allowed, others[0] if others else None] if allowed else [None, "citizen"]


def fuzz(api: ApiServer, session: requests.Session, operation: Any, role: str | None,
         mode: GenerationMode, examples: int) -> None:
    headers = api.headers(role)

    open311 = operation.path.startswith("/open311/")
    strategy = operation.as_strategy(generation_mode=mode)
    known = {name: value for name, value in api.known_ids().items()
             if name in {p.name for p in operation.path_parameters}}
    if known and mode == GenerationMode.POSITIVE:
        # Half the time a report or incident that exists, so that the code behind the 404 runs.
        strategy = strategy | operation.as_strategy(generation_mode=mode, path_parameters=known)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        if role is not None:
            case.headers = {**(case.headers or {}), **headers}
        if open311 and mode == GenerationMode.POSITIVE:
            with_key(case, api.partner_key)
        response = case.call(base_url=api.url, session=session, timeout=30)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Negative cases of an operation with no parameter and no body: nothing to break.
        assert mode == GenerationMode.NEGATIVE


def with_key(case: Any, key: str) -> None:
    """A valid case of Open311 carries the partner's real api_key, so that it reaches the handler
    (a made-up key stops at the 403); the negative cases keep what schemathesis made."""
    if isinstance(case.query, dict) and "api_key" in case.query:
        case.query["api_key"] = key
    if isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = key


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_input_gets_a_5xx_or_an_answer_outside_the_schema(
    api: ApiServer, session: requests.Session, operation: Any
) -> None:
    if operation.path == "/api/officers/me/position":
        # Positions are taken only on duty: without this, every valid fix stops at the 409.
        r = httpx.put(f"{api.url}/api/officers/me/availability", json={"status": "available"},
                      headers=api.headers("officer"))
        assert r.status_code == 200, r.text
    for role in roles_for(operation):
        fuzz(api, session, operation, role, GenerationMode.POSITIVE, EXAMPLES)
        fuzz(api, session, operation, role, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    assert api.healthy()


# Values schemathesis seldom makes, each of which made a 5xx somewhere once (issues 18 and 25):
# other scripts' digits, integers past 64 bits (as text, and 10^400 as a JSON number), names too
# long for the file system, NUL, lone surrogates (pycrdt panics on one), the ends of the calendar,
# and company. Path and query carry them as text (a surrogate as the bytes %ED%A0%80), a JSON
# body as they are (a surrogate as the escape \ud800).
HOSTILE: list[Any] = [
    "²", "٣", "9" * 40, "-1", "a" * 1500, "../../etc/passwd", "%", "%ff", "\u202e", "😀",
    "1e309", "nan", "inf", "0x10", " ", "null", "[]", "{}", "\x00",
    "\ud800", "a\udfffb", 10**400, -(10**400), "1e400",
    "0001-01-01", "9999-12-31", "9999-12-31T23:59:59",
]
# Header values as bytes past ASCII (latin-1 to Starlette, not UTF-8), in every header an
# operation documents and in Authorization.
HOSTILE_HEADERS = [b"\xff\xfe", "é".encode(), b"1\xb2", b"bytes=0-\xff", b"\xc3\xa9 YQ=="]


def _request_parts(operation: Any, where: str, name: str, value: Any, known: dict[str, str],
                   key: dict[str, str]) -> tuple[str, str, bytes | None]:
    """The path, the query string and the JSON body of one hostile request."""
    definition = operation.definition.raw
    params = definition.get("parameters", [])
    has_body = bool(definition.get("requestBody", {}).get("content", {}).get("application/json"))
    path = operation.path
    for p in params:
        if p["in"] == "path":
            given = str(value) if p["name"] == name and where == "path" else known.get(p["name"], "x")
            path = path.replace("{" + p["name"] + "}", quote(given, safe="", errors="surrogatepass") or "x")
    query = urlencode({**key, name: str(value)} if where == "query" else key, errors="surrogatepass")
    body = None
    if has_body:
        # ensure_ascii: a lone surrogate travels as its escape, as a probe would send it.
        body = json.dumps({**key, name: value} if where == "body" else key).encode()
    return path, query, body


def test_every_documented_operation_takes_hostile_values_without_a_5xx(api: ApiServer) -> None:
    """Each hostile value in each path parameter, query parameter, JSON field and header in turn
    (the others left out, or naming the real report), as the first role the operation names."""
    failures = []
    known = api.known_ids()
    with httpx.Client(base_url=api.url, timeout=30) as http:
        for operation in OPERATIONS:
            definition = operation.definition.raw
            params = definition.get("parameters", [])
            content = definition.get("requestBody", {}).get("content", {})
            fields = content.get("application/json", {}).get("schema", {}).get("properties", {})
            role = (definition.get("x-roles") or [None])[0]
            slots = [(p["in"], p["name"]) for p in params if p["in"] in ("path", "query")]
            slots += [("body", name) for name in fields]
            tries = list(itertools.product(slots, HOSTILE))
            headers = [p["name"] for p in params if p["in"] == "header"] + ["Authorization"]
            tries += list(itertools.product([("header", h) for h in headers], HOSTILE_HEADERS))
            # Open311's fields reach its handler only with a real partner key.
            key = {"api_key": api.partner_key} if operation.path.startswith("/open311/") else {}
            for (where, name), value in tries:
                path, query, body = _request_parts(operation, where, name, value, known, key)
                sent = {**api.headers(role), "Tus-Resumable": "1.0.0"}
                if body is not None:
                    sent["Content-Type"] = "application/json"
                if where == "header":
                    sent[name] = value
                try:
                    r = http.request(operation.method.upper(), f"{path}?{query}" if query else path,
                                     content=body, headers=sent)
                except httpx.TransportError as exc:  # how a 500 mid-answer looked: a reset
                    failures.append((operation.method, operation.path, name, repr(value)[:12], repr(exc)))
                    continue
                if r.status_code >= 500:
                    failures.append((operation.method, operation.path, name, repr(value)[:12], r.text[:80]))
    assert failures == []
    assert api.healthy()


def test_the_live_positions_stream_answers_each_role(api: ApiServer) -> None:
    """The operation the schema fuzzer leaves out: refused as JSON Error for those it is not for,
    and for the center a text/event-stream whose first event is the snapshot (a list)."""
    path = LIVE[1]
    with httpx.Client(base_url=api.url, timeout=10) as http:
        for role in (None, "citizen", "officer"):
            r = http.get(path, headers=api.headers(role), params={"x": "²" * 3})
            assert r.status_code in (401, 403) and set(r.json()) >= {"error", "message"}, (role, r.text)
        for role in ("dispatcher", "supervisor", "admin"):
            with http.stream("GET", path, headers=api.headers(role), params={"n": "9" * 40}) as r:
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
                lines = r.iter_lines()
                event = [next(lines) for _ in range(3)]
                assert event[1] == "event: snapshot", event
                assert isinstance(json.loads(event[2].removeprefix("data: ")), list)
    assert api.healthy()
