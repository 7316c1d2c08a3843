"""The OpenAPI document (app/web/openapi.py) is served and stays true to the routes: a route added
without documentation, or documentation of a route that is gone, fails here."""

from __future__ import annotations

import json

from starlette.routing import Route
from starlette.testclient import TestClient

from app.settings import Settings
from app.web import openapi, pwa


def app_operations(client: TestClient, settings: Settings) -> set[tuple[str, str]]:
    """(method, path) of every HTTP route of the app but the PWA's pages and assets."""
    pages = {route.path for route in pwa.routes(settings) if isinstance(route, Route)}
    found = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or route.path in pages:
            continue  # WebSocket routes: not HTTP; /sync/{kind}/{id}'s POST is a Route
        methods = set(route.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette adds HEAD to every GET by itself
        found |= {(method, route.path) for method in methods}
    return found


def documented_operations(doc: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def test_every_route_is_documented_and_every_documented_route_exists(
    client: TestClient, settings: Settings
) -> None:
    routes = app_operations(client, settings)
    documented = documented_operations(openapi.document())
    assert routes - documented == set(), "routes without an entry in app/web/openapi.py"
    assert documented - routes == set(), "documented operations the app does not have"
    assert ("POST", "/api/auth/login") in routes and ("GET", "/api/stats/{figure}.csv") in routes


def test_the_document_is_served_as_openapi_3_1(client: TestClient) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"] == "3.1.0" and doc == json.loads(json.dumps(openapi.document()))
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            assert op["summary"] and op["description"].startswith("Who: "), (method, path)
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    assert "{" + param["name"] + "}" in path, (method, path, param["name"])


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    validate(json.loads(json.dumps(openapi.document())))  # raises with the first error found


def test_every_refusal_with_a_body_shares_the_error_schema() -> None:
    doc = openapi.document()
    responses = doc["components"]["responses"]
    for path, ops in doc["paths"].items():
        # Open311 answers in the spec's own form, [{code, description}], and only in it.
        form = "Open311Error" if path.startswith("/open311/") else "Error"
        for op in ops.values():
            for status, answer in op["responses"].items():
                if int(status) >= 400 and status != "416":  # Starlette's 416 has no body
                    name = answer["$ref"].rsplit("/", 1)[-1]
                    if name == "LitePage":  # the script-less form's: the form again, in HTML
                        assert path == "/" or path.startswith("/lite/"), (path, status)
                        continue
                    schema = responses[name]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": f"#/components/schemas/{form}"}, (path, status)
