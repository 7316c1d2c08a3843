"""Reading a draft's body: every field checked, every refusal a 422 naming the field.

The words of severity, urgency and certainty are CAP 1.2's own. `category` is one of the app's
four report categories (mapped to CAP's by `CAP_CATEGORY`) or a CAP category word itself, so that
a flood (`Met`) or a health warning (`Health`) need not pretend to be "other".
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import ApiError
from app.inputs import invalid, text

SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")
URGENCIES = ("Immediate", "Expected", "Future")
CERTAINTIES = ("Observed", "Likely", "Possible")
CAP_CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)
CAP_CATEGORY = {"crime": "Security", "traffic": "Transport", "fire": "Fire", "other": "Other"}
CATEGORIES = (*CAP_CATEGORY, *CAP_CATEGORIES)
HEADLINE_MAX = 160  # CAP recommends 160 characters: what a phone's notice and cell broadcast show
DESCRIPTION_MAX = 4000
INSTRUCTION_MAX = 2000
MAX_WARDS = 200  # the city has 168
MAX_LIFETIME_S = 30 * 86400


@dataclass(frozen=True)
class Draft:
    wards: tuple[int, ...]  # empty when all_city
    all_city: bool
    category: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str | None
    headline_en: str | None
    description_en: str | None
    instruction_en: str | None
    expires_at: float
    exercise: bool


def read_draft(body: Mapping[str, Any], known_wards: Collection[int], now: float | None = None) -> Draft:
    now = time.time() if now is None else now
    wards, all_city = _wards(body.get("wards"), known_wards)
    return Draft(
        wards=wards,
        all_city=all_city,
        category=_one_of(body, "category", CATEGORIES),
        severity=_one_of(body, "severity", SEVERITIES),
        urgency=_one_of(body, "urgency", URGENCIES),
        certainty=_one_of(body, "certainty", CERTAINTIES),
        headline=_words(body, "headline", HEADLINE_MAX, required=True) or "",
        description=_words(body, "description", DESCRIPTION_MAX, required=True) or "",
        instruction=_words(body, "instruction", INSTRUCTION_MAX),
        headline_en=_words(body, "headline_en", HEADLINE_MAX),
        description_en=_words(body, "description_en", DESCRIPTION_MAX),
        instruction_en=_words(body, "instruction_en", INSTRUCTION_MAX),
        expires_at=_expires(body.get("expires"), now),
        exercise=_flag(body, "exercise"),
    )


def _wards(value: Any, known: Collection[int]) -> tuple[tuple[int, ...], bool]:
    if value == "all":
        return (), True
    if value is None or value == []:
        raise invalid("wards", "Give the area: a list of ward codes, or \"all\" for the whole city.")
    if not isinstance(value, list) or len(value) > MAX_WARDS:
        raise invalid("wards", f"wards must be a list of at most {MAX_WARDS} ward codes, or \"all\".")
    codes = ward_codes(value, "wards")
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ApiError(422, "invalid", f"Unknown ward codes: {', '.join(map(str, unknown[:10]))}.",
                       field="wards", unknown=unknown[:10])
    return codes, False


def ward_codes(value: list[Any], field: str) -> tuple[int, ...]:
    """Ward codes as whole numbers (JSON numbers, or strings of digits), in order, each once."""
    codes: list[int] = []
    for item in value:
        if isinstance(item, str) and item.isascii() and item.isdigit() and len(item) <= 9:
            item = int(item)
        if not isinstance(item, int) or isinstance(item, bool) or not 0 < item < 10**9:
            raise invalid(field, f"{field} must hold ward codes (whole numbers); got {str(item)[:20]!r}.")
        if item not in codes:
            codes.append(item)
    return tuple(codes)


def _one_of(body: Mapping[str, Any], name: str, options: tuple[str, ...]) -> str:
    value = body.get(name)
    if value not in options:
        raise invalid(name, f"{name} must be one of {', '.join(options)}.")
    return str(value)


def _words(body: Mapping[str, Any], name: str, max_chars: int, required: bool = False) -> str | None:
    value = text(body, name, required=required, max_chars=max_chars)
    if value is not None:
        value = value.strip()
        if required and not value:
            raise invalid(name, f"{name} must not be blank.")
    return value or None


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise invalid(name, f"{name} must be true or false.")
    return value


def _expires(value: Any, now: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1e15:
        raise invalid("expires", "expires must be a time in milliseconds since 1970.")
    at = value / 1000
    if at <= now:
        raise invalid("expires", "expires is in the past: a warning must still be in force when it goes out.")
    if at > now + MAX_LIFETIME_S:
        raise invalid("expires", f"expires is more than {MAX_LIFETIME_S // 86400} days away.")
    return float(at)
