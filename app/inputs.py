"""One way to read input: JSON bodies, query parameters and headers, checked before they are used.

Every refusal is an `ApiError` (a 4xx JSON `{error, message, field}`) naming the field, so bad
input never becomes a 500 further down. Three traps this module exists for:

- `json.loads` recurses once per `[` or `{`: a body of a few thousand brackets raises
  `RecursionError`. The nesting depth is measured by a flat scan first, and a body deeper than
  `MAX_JSON_DEPTH` never reaches the decoder.
- `str.isdigit()` is true for '²' and for the digits of other scripts, which `int()` then
  refuses (or, for '٣', accepts): only ASCII digits are read here (`re.ASCII`).
- SQLite's INTEGER is 64 bits: a whole number is bounded before it can reach a query.
- PostgreSQL's text cannot hold a NUL character (psycopg raises): a JSON body or a query string
  holding one is refused here (`RefuseNul` for the query string and the path, before routing).
- JSON may spell half of a UTF-16 pair alone (`"\ud800"`), and `json.loads` decodes bytes with
  'surrogatepass': such a string cannot be encoded as UTF-8, so pycrdt panics and the drivers
  raise on it. A body holding one is refused (issue 25).
- `json.loads` reads `1` followed by 400 zeros as a Python int and `1e400` as infinity: no field
  holds either, so a number past 64 bits (or not finite) is refused while the body is read.

    limit = whole(request.query_params, "limit", default=100, lo=1, hi=1000)
    body = parse_json_object(raw_bytes)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ApiError, error_body

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1

_WHOLE = re.compile(r"[0-9]{1,19}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?", re.ASCII)
# A JSON string with its escapes; what is inside never counts towards the depth.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_NUL = re.compile(rb"%00|\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The longest integer literal a 64-bit field can hold, with its sign.
_MAX_INT_CHARS = len(str(-(2**63)))


def invalid(field: str, message: str, status: int = 422, code: str = "invalid") -> ApiError:
    return ApiError(status, code, message, field=field)


# -- JSON bodies ---------------------------------------------------------------------------------
def json_depth(body: bytes, stop_above: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `body`, brackets in strings not counted.

    Stops counting once past `stop_above`: the answer is then only "too deep"."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def parse_json(
    body: bytes, field: str = "body", max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Decode a JSON document; size and depth are checked before the decoder runs."""
    if len(body) > max_bytes:
        raise invalid(field, f"The {field} is over {max_bytes // 1024} KB.", 413, "too_large")
    if json_depth(body, max_depth) > max_depth:
        raise invalid(field, f"The {field} is nested more than {max_depth} levels deep.", 400, "too_deep")
    try:
        # NaN and Infinity are Python's, not JSON's: no other client would send or read them.
        value = json.loads(body, parse_constant=_no_constant, parse_int=_bounded_int,
                           parse_float=_finite_float)
    except _NumberTooBig as exc:
        raise invalid(field, f"The {field} holds a number no field can hold ({exc}): whole numbers "
                      "must fit in 64 bits and decimals be finite.") from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid(field, f"The {field} is not valid JSON.", 400, "bad_json") from exc
    # Both can only arrive escaped (or, for a surrogate, as the bytes ED A0..BF): skip the walk
    # for the bodies that hold neither.
    if (b"\\u" in body or b"\xed" in body) and (reason := _bad_text(value)):
        raise invalid(field, f"The {field} {reason}.")
    return value


class _NumberTooBig(ValueError):
    pass


def _bounded_int(raw: str) -> int:
    if len(raw) > _MAX_INT_CHARS or not -(2**63) <= (value := int(raw)) <= INT64_MAX:
        raise _NumberTooBig(f"{raw[:12]}… has {len(raw.lstrip('-'))} digits")
    return value


def _finite_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise _NumberTooBig(f"{raw[:24]} is past the largest decimal")
    return value


def _bad_text(value: Any) -> str | None:
    """Why a string (or key) of a decoded value can be stored nowhere, or None; its depth is
    bounded already."""
    if isinstance(value, str):
        if "\x00" in value:
            return "holds a NUL character (\\u0000), which no text may"
        if _SURROGATE.search(value):
            return ("holds a lone surrogate (such as \\ud800: half of a UTF-16 pair), "
                    "which is not text")
        return None
    if isinstance(value, dict):
        return next((r for k, v in value.items() if (r := _bad_text(k) or _bad_text(v))), None)
    if isinstance(value, list):
        return next((r for v in value if (r := _bad_text(v))), None)
    return None


def parse_json_object(body: bytes, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """A JSON object; an empty body is an empty object (so `{}` need not be sent)."""
    if not body.strip():
        return {}
    value = parse_json(body, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise invalid("body", "The request body must be a JSON object.")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# -- fields of a decoded body --------------------------------------------------------------------
def text(
    body: Mapping[str, Any], name: str, *, required: bool = True, max_chars: int = 1000
) -> str | None:
    """A string field (None when absent or null and not required)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise invalid(name, f"{name} must be {'a non-empty' if required else 'a'} string.")
    if len(value) > max_chars:
        raise invalid(name, f"{name} must be at most {max_chars} characters.")
    return value


# -- query parameters and headers ----------------------------------------------------------------
def whole_value(
    raw: str, name: str, lo: int = 0, hi: int = INT64_MAX, status: int = 422, code: str = "invalid"
) -> int:
    """A whole number written in ASCII digits, within [lo, hi] (at most 64 bits)."""
    value = int(raw) if _WHOLE.fullmatch(raw) else None
    if value is None or not lo <= value <= min(hi, INT64_MAX):
        raise invalid(
            name, f"{name} must be from {lo} to {min(hi, INT64_MAX)}, a whole number in digits 0-9.",
            status, code,
        )
    return value


def whole(
    params: Mapping[str, str], name: str, default: int | None, lo: int = 0, hi: int = INT64_MAX
) -> int | None:
    """An optional whole-number parameter; absent or empty gives `default`."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return whole_value(raw, name, lo, hi)


def decimal_value(raw: str, name: str, lo: float, hi: float) -> float:
    """A decimal number in ASCII digits (an exponent allowed; no NaN or infinity), within [lo, hi]."""
    value = float(raw) if _DECIMAL.fullmatch(raw.strip()) else math.nan
    if not lo <= value <= hi:  # NaN fails too
        raise invalid(name, f"{name} must be a number from {lo:g} to {hi:g}; got {raw[:40]!r}.")
    return value


def decimal(
    params: Mapping[str, str], name: str, default: float | None, lo: float, hi: float
) -> float | None:
    raw = params.get(name)
    if not raw:
        return default
    return decimal_value(raw, name, lo, hi)


class RefuseNul:
    """Pure ASGI: a request whose path or query string holds a NUL character is a 400 before
    any endpoint reads it (PostgreSQL refuses NUL in text, so it would be a 500 deep inside)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or _NUL.search(scope.get("query_string", b""))
        ):
            message = "The address holds a NUL character."
            body: Any = error_body("bad_request", message, field="query")
            if scope["path"].startswith("/open311/"):  # partners read GeoReport v2's error form
                body = [{"code": 400, "description": message}]
            await JSONResponse(body, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def choice(params: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in options:
        raise invalid(name, f"{name} must be one of {', '.join(options)}; got {value[:40]!r}.")
    return value
