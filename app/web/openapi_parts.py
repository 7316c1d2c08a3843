"""The building blocks of the OpenAPI document (`app/web/openapi.py`): schema shorthands, one
operation with its roles and refusals, and the shared components (the `Error` schema, the
refusals by status, the security schemes)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object"}
POLICE = ("officer", "dispatcher", "supervisor", "admin")
CENTER = ("dispatcher", "supervisor", "admin")
STATS = ("supervisor", "dispatcher", "admin")


def obj(required: tuple[str, ...] = (), **props: Schema) -> Schema:
    """An object with these properties; more may come (answers grow without breaking clients)."""
    return {"type": "object", "properties": props, "required": list(required)}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(description: str, schema: Schema, headers: dict[str, Any] | None = None) -> Schema:
    answer: Schema = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def file_answer(description: str, media_type: str, schema: Schema | None = None) -> Schema:
    return {"description": description,
            "content": {media_type: {"schema": schema or {"type": "string"}}}}


def empty(description: str, headers: dict[str, Any] | None = None) -> Schema:
    return {"description": description, **({"headers": headers} if headers else {})}


def refusals(*codes: int) -> dict[str, Schema]:
    return {str(code): {"$ref": f"#/components/responses/{REFUSALS[code][0]}"} for code in codes}


def open311_refusals(*codes: int) -> dict[str, Schema]:
    """Open311's refusals: the spec's `[{code, description}]`, not the app's Error."""
    return {str(code): {"$ref": "#/components/responses/Open311Refusal"} for code in codes}


def param(name: str, where: str = "query", schema: Schema = STRING, description: str = "",
          required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": description}


def operation(
    summary: str,
    answers: dict[str, Schema],
    *,
    roles: tuple[str, ...] | None = POLICE,
    citizen: bool = False,
    params: list[Schema] | None = None,
    body: Schema | None = None,
    body_type: str = "application/json",
    tag: str = "api",
) -> Schema:
    """One operation. `roles` None: no sign-in needed; `citizen`: a citizen device may call it."""
    who = "anyone" if roles is None else ", ".join(("citizen device", *roles) if citizen else roles)
    op: Schema = {"summary": summary, "description": f"Who: {who}.", "tags": [tag],
                  "x-roles": ([] if roles is None else [*(["citizen"] if citizen else []), *roles]),
                  "responses": {**answers}}
    if roles is not None:
        op["security"] = [{"bearer": []}, {"cookie": []}]
        op["responses"].update(refusals(401, 403))
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
        if body_type == "application/json":
            op["responses"].update(refusals(400, 413, 422))
    return op


# name, status: the refusals every operation may name; all share the Error schema.
REFUSALS = {
    400: ("BadRequest", "Malformed: not JSON, nested too deep, a bad header."),
    401: ("Unauthenticated", "No credential, or one that expired or was revoked."),
    403: ("Forbidden", "Signed in, but this is not for your role or unit."),
    404: ("NotFound", "No such thing (or not one you may know of)."),
    405: ("MethodNotAllowed", "Not with this method."),
    409: ("Conflict", "Not now: e.g. a report whose media come before it."),
    410: ("Gone", "The upload expired or was terminated."),
    412: ("PreconditionFailed", "tus: another protocol version."),
    413: ("TooLarge", "Over a size limit."),
    415: ("UnsupportedMediaType", "Another Content-Type was expected."),
    422: ("Invalid", "Well-formed but not acceptable: the message says why, `field` names it."),
    429: ("RateLimited", "Too many; Retry-After says when to try again."),
    460: ("ChecksumMismatch", "tus checksum: the body differs from its Upload-Checksum; nothing stored."),
}
ERROR: Schema = obj(("error", "message"),
                    error={"type": "string", "description": "A machine code: invalid, too_deep, ..."},
                    code={"type": "string", "description": "The stable code the apps translate "
                          "(description_too_long, ...; docs/sync.md); `error` where none is finer."},
                    params={"type": "object", "description": "Values for the code's sentence."},
                    message={"type": "string", "description": "The reason, for a person (English)."},
                    field={"type": "string", "description": "The input that was refused."},
                    retry_after={"type": "number"})
# GeoReport v2's error form; `code` repeats the HTTP status.
OPEN311_ERROR: Schema = {**array(obj(("code", "description"), code=INTEGER, description=STRING)),
                         "minItems": 1}


def components() -> dict[str, Any]:
    return {
        "schemas": {"Error": ERROR, "Open311Error": OPEN311_ERROR},
        "responses": {
            **{name: json_answer(text, ref("Error")) for name, text in REFUSALS.values()},
            "Open311Refusal": json_answer(
                "Open311: 400 bad input, 401 no api_key, 403 a wrong or revoked one, 404, 413, "
                "429 over the key's rate; the reason in description.", ref("Open311Error")),
            "Unavailable": json_answer("Not now: e.g. the PWA is not built (`make pwa`).", ref("Error")),
            # The script-less form of "/" (issue 23) is read by a person in a browser, no script.
            "LitePage": {"description": "The form again, in Vietnamese HTML: the reason in a "
                         "role=alert box, what was typed kept (or the page saying no such report).",
                         "content": {"text/html": {"schema": {"type": "string"}}}},
        },
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "POST /api/auth/login's token, or a citizen device's."},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "sos_session",
                       "description": "The browser session (writes must come from our origin)."},
        },
    }
