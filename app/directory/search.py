"""Address search: the ward of an address as people say it, before or after the 2025 merger.

    search("phường Bến Nghé, quận 1", directory)
    # [Match(code=26740, name="Phường Sài Gòn", lat=..., lon=..., approximate=True,
    #        matched="Phường Bến Nghé, Quận 1")]

The query and every name are folded the same way (`fold`): lowercase, no diacritics (đ → d),
punctuation to spaces, numbers without leading zeros, and the abbreviations expanded ("P." →
phường, "Q." → quận, "TP." → thành phố, "TX." → thị xã, "H." → huyện). A name is found when its
words appear in the query as consecutive whole words, so "quận 1" never matches "quận 10".

What can be found, from PyPI `vietnamadminunits` (app/directory/admin_units.py):
- the 168 wards since 2025, by full name ("phường Sài Gòn") or bare name ("Sài Gòn");
- the ~440 wards before 2025 in Ho Chi Minh City, Bình Dương and Bà Rịa–Vũng Tàu, answered with
  the new ward they became. A numbered ward ("phường 12") needs its district, as on an envelope;
- the districts before 2025 alone ("quận 1"): every new ward made from them, weaker matches.

Scores: a ward's full name 2, its bare name 1, the old ward's district also named +2, a new ward
lying in the district named +1. The best match per new ward is kept, best first.

The point answered is the old ward's centroid for an old ward that became one new ward whole, else
the new ward's point (inside its boundary when the directory has one); `approximate` is always true
here: a name gives an area, never a door.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from app.directory.admin_units import hcm_units

MAX_QUERY = 200
MAX_RESULTS = 10
DIVISION_WORDS = ("phuong", "xa", "thi tran", "dac khu")
DISTRICT_WORDS = ("quan", "huyen", "thanh pho", "thi xa")
# Abbreviations, applied to the folded text (longest first): "tp.hcm", "tp. thủ đức", "p.", "q.".
ABBREVIATIONS = (
    (r"\btp\s*\.?\s*hcm\b", " thanh pho ho chi minh "),
    (r"\btphcm\b", " thanh pho ho chi minh "),
    (r"\bhcmc?\b", " ho chi minh "),
    (r"\btp\s*\.", " thanh pho "),
    (r"\btp\b", " thanh pho "),
    (r"\btx\s*\.", " thi xa "),
    (r"\btt\s*\.", " thi tran "),
    (r"\bp\s*\.\s*", " phuong "),
    (r"\bq\s*\.\s*", " quan "),
    (r"\bh\s*\.\s*", " huyen "),
    (r"\bx\s*\.\s*", " xa "),
    (r"\bp(\d+)\b", r" phuong \1 "),
    (r"\bq(\d+)\b", r" quan \1 "),
    (r"\bdistrict\s+(\d+)\b", r" quan \1 "),
    (r"\bward\s+(\d+)\b", r" phuong \1 "),
)


def fold(text: str) -> str:
    """"P. Bến Nghé, Q.01, TP.HCM" → "phuong ben nghe quan 1 thanh pho ho chi minh"."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    for pattern, replacement in ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(w.lstrip("0") or "0" if w.isdigit() else w for w in words)


def _bare(folded: str, prefixes: tuple[str, ...]) -> str:
    return next((folded[len(p) + 1 :] for p in prefixes if folded.startswith(p + " ")), folded)


@dataclass(frozen=True)
class Match:
    code: int
    name: str
    lat: float
    lon: float
    approximate: bool
    matched: str
    score: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ward": {"code": self.code, "name": self.name},
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "approximate": self.approximate,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class _Name:
    full: str  # folded, with its division word
    bare: str  # folded, without it; "" when the bare name is a number (needs the division word)


def _name(name: str, prefixes: tuple[str, ...]) -> _Name:
    full = fold(name)
    bare = _bare(full, prefixes)
    return _Name(full, "" if bare.isdigit() else bare)


@functools.cache
def _index() -> tuple[list[Any], list[Any], dict[str, set[int]]]:
    new, old = hcm_units()
    new_entries = [(n, _name(n.name, DIVISION_WORDS)) for n in new]
    old_entries = [
        (o, _name(o.name, DIVISION_WORDS), _name(o.district, DISTRICT_WORDS))
        for o in old
        if o.name is not None
    ]
    districts: dict[str, tuple[str, set[int]]] = {}  # folded → (name, new ward codes)
    for o in old:
        d = _name(o.district, DISTRICT_WORDS)
        for key in (d.full, d.bare):
            if key:
                districts.setdefault(key, (o.district, set()))[1].add(o.new_code)
    return new_entries, old_entries, districts


def _has(query: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in query


def search(query: str, ward_point: Any = None) -> list[Match]:
    """The wards `query` names, best first. `ward_point(code)` → (lat, lon, radius) or None gives
    a point inside the ward's stored boundary (Directory.ward_point)."""
    q = f" {fold(query)} "
    new_entries, old_entries, districts = _index()
    new_by_code = {n.code: n for n, _ in new_entries}
    named_districts = {d for d in districts if _has(q, d)}
    in_named: set[int] = set().union(*(districts[d][1] for d in named_districts))
    found: dict[int, Match] = {}

    def offer(code: int, score: int, matched: str, point: tuple[float, float] | None) -> None:
        if code in found and found[code].score >= score:
            return
        ward = new_by_code[code]
        if point is None:
            inside = ward_point(code) if ward_point else None
            point = (inside[0], inside[1]) if inside else (ward.lat, ward.lon)
        found[code] = Match(code, ward.name, point[0], point[1], True, matched, score)

    for o, name, district in old_entries:
        score = 2 if _has(q, name.full) else 1 if _has(q, name.bare) else 0
        if score == 1 and name.bare == district.bare:  # "Xuyên Mộc" of "huyện Xuyên Mộc"
            score = 1 if _has(q.replace(f" {district.full} ", " | "), name.bare) else 0
        if not score:
            continue
        if _has(q, district.full) or _has(q, district.bare):
            score += 2
        elif not name.bare or named_districts:
            continue  # "phường 12" without its district, or in another district than the one named
        offer(o.new_code, score, f"{o.name}, {o.district}", None if o.split else (o.lat, o.lon))
    # A new ward's bare name inside the district named ("Thủ Đức" in "TP. Thủ Đức") is the district.
    rest = q
    for d in sorted(named_districts, key=len, reverse=True):
        if d.startswith(tuple(w + " " for w in DISTRICT_WORDS)):  # full, not the bare "thu duc"
            rest = rest.replace(f" {d} ", " | ")
    for n, name in new_entries:
        score = 2 if _has(rest, name.full) else 1 if _has(rest, name.bare) else 0
        if score:
            offer(n.code, score + (n.code in in_named), n.name, None)
    if not found:
        for d in sorted(named_districts, key=len, reverse=True)[:1]:
            for code in sorted(districts[d][1]):
                offer(code, 0, districts[d][0], None)
    return sorted(found.values(), key=lambda m: (-m.score, m.name))[:MAX_RESULTS]
