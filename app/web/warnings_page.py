"""Public warnings for everyone without the app: CAP 1.2 documents, their Atom feed, and a page
that reads with no script (issue 24; docs/warnings.md).

- `GET /warnings/cap.atom`: the messages in force, and the cancels of those that would still be,
  each entry holding its whole CAP `alert`.
- `GET /warnings/{id}.cap.xml`: one message that was published (a draft: 404).
- `GET /warnings/`: server-made HTML, Vietnamese with English where given, the emergency numbers
  as `tel:` links; `GET /warnings/warnings.css` its style (the CSP allows no inline style).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from app.errors import ApiError
from app.services import services
from app.warnings import cap, reads

CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
HEADERS = {"Cache-Control": "public, max-age=30", "X-Content-Type-Options": "nosniff"}


def _alert(conn: Any, message: dict[str, Any], sender: str, tz: str) -> Any:
    chain, areas = reads.cap_parts(conn, message)
    for ward in areas:
        ward["polygons"] = cap.polygons(ward.pop("boundary"))
    return cap.alert(message, chain, areas, sender, tz)


async def cap_alert(request: Request) -> Response:
    svc = services(request)
    warning_id = request.path_params["warning_id"]
    settings = svc.settings

    def read(conn: Any) -> bytes | None:
        message = reads.one(conn, warning_id) if len(warning_id) <= 64 else None
        if message is None or message["published_at"] is None:
            return None
        return cap.document(_alert(conn, message, settings.cap_sender, settings.city_timezone))

    body = await svc.db.read(read)
    if body is None:
        raise ApiError(404, "not_found", "No published warning with this id.")
    return Response(body, media_type=CAP_TYPE, headers=HEADERS)


async def cap_feed(request: Request) -> Response:
    svc = services(request)
    settings, now = svc.settings, svc.clock()
    base = str(request.base_url).rstrip("/")

    def read(conn: Any) -> bytes:
        messages = reads.feed_messages(conn, now)
        entries = [(m, _alert(conn, m, settings.cap_sender, settings.city_timezone)) for m in messages]
        updated = max((m["published_at"] for m in messages), default=now)
        return cap.atom(entries, base, settings.city_timezone, updated)

    return Response(await svc.db.read(read), media_type=ATOM_TYPE, headers=HEADERS)


WORDS = {
    "severity": {"Extreme": ("Cực kỳ nghiêm trọng", "Extreme"), "Severe": ("Nghiêm trọng", "Severe"),
                 "Moderate": ("Trung bình", "Moderate"), "Minor": ("Nhẹ", "Minor")},
    "urgency": {"Immediate": ("Hành động ngay", "Act now"), "Expected": ("Sắp xảy ra", "Expected soon"),
                "Future": ("Trong thời gian tới", "In the near future")},
}
SEVERITY_ORDER = ("Extreme", "Severe", "Moderate", "Minor")
NUMBERS = (("113", "Công an", "Police"), ("114", "Cứu hỏa", "Fire"), ("115", "Cấp cứu", "Ambulance"))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _when(at_ms: int, tz: str) -> str:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(tz)).strftime("%H:%M %d/%m/%Y")


def _warning_html(w: dict[str, Any], tz: str) -> str:
    sev_vi, sev_en = WORDS["severity"][w["severity"]]
    urg_vi, urg_en = WORDS["urgency"][w["urgency"]]
    area = "Toàn thành phố" if w["all_city"] else ", ".join(x["name"] for x in w["wards"])
    parts = [
        f'<article class="warning warning--{_e(w["severity"].lower())}" aria-labelledby="h-{_e(w["id"])}">',
        f'<p class="warning__level">{_e(sev_vi)} · {_e(urg_vi)}'
        f' <span lang="en">({_e(sev_en)}, {_e(urg_en)})</span></p>',
        f'<h2 id="h-{_e(w["id"])}">{"[Cập nhật] " if w["kind"] == "update" else ""}{_e(w["headline"])}</h2>',
        f'<p class="warning__area"><strong>Khu vực <span lang="en">/ Area</span>:</strong> {_e(area)}</p>',
        f"<p>{_e(w['description'])}</p>",
    ]
    if w["instruction"]:
        parts.append(f'<p class="warning__do"><strong>Cần làm:</strong> {_e(w["instruction"])}</p>')
    if w["headline_en"] or w["description_en"]:
        parts.append('<div class="warning__en" lang="en">')
        if w["headline_en"]:
            parts.append(f'<h3>{_e(w["headline_en"])}</h3>')
        if w["description_en"]:
            parts.append(f"<p>{_e(w['description_en'])}</p>")
        if w["instruction_en"]:
            parts.append(f'<p class="warning__do"><strong>What to do:</strong> {_e(w["instruction_en"])}</p>')
        parts.append("</div>")
    parts.append(
        f'<p class="warning__meta">Ban hành <span lang="en">/ Issued</span> {_e(_when(w["sent"], tz))} · '
        f'Hết hiệu lực <span lang="en">/ Expires</span> {_e(_when(w["expires"], tz))} · '
        f'<a href="{_e(w["cap"])}">CAP 1.2</a></p></article>'
    )
    return "".join(parts)


async def page(request: Request) -> Response:
    svc = services(request)
    tz, now = svc.settings.city_timezone, svc.clock()
    warnings = await svc.db.read(lambda c: reads.active(c, now))
    # The gravest first: a reader in a hurry reads the top one (the list is newest first within).
    warnings.sort(key=lambda w: SEVERITY_ORDER.index(w["severity"]))
    items = "".join(_warning_html(w, tz) for w in warnings) or (
        '<p class="none">Hiện không có cảnh báo nào. <span lang="en">There are no warnings in force.</span></p>')
    numbers = "".join(
        f'<li><a class="call" href="tel:{n}"><span class="call__number">{n}</span>'
        f' <span class="call__name">{_e(vi)}</span> <span class="call__name" lang="en">{_e(en)}</span></a></li>'
        for n, vi, en in NUMBERS
    )
    body = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cảnh báo công cộng — SOS ANTT</title>
<link rel="stylesheet" href="/warnings/warnings.css">
<link rel="alternate" type="{ATOM_TYPE}" title="CAP 1.2" href="/warnings/cap.atom">
</head><body>
<header><h1>Cảnh báo công cộng <span lang="en">/ Public warnings</span></h1>
<p>Công an Thành phố Hồ Chí Minh <span lang="en">/ Ho Chi Minh City Police</span></p></header>
<main>
<section aria-labelledby="numbers"><h2 id="numbers">Gọi khẩn cấp <span lang="en">/ Emergency calls</span></h2>
<ul class="numbers">{numbers}</ul></section>
<section aria-labelledby="in-force"><h2 id="in-force">Cảnh báo đang có hiệu lực
<span lang="en">/ Warnings in force</span></h2>{items}</section>
</main>
<footer><p><a href="/">Ứng dụng SOS ANTT <span lang="en">/ the SOS ANTT app</span></a> ·
<a href="/warnings/cap.atom">CAP 1.2 Atom</a></p></footer>
</body></html>"""
    headers = {"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


CSS = """
:root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 46rem; padding: 1rem; color: #111; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
header p { margin: 0 0 1rem; color: #333; }
.numbers { list-style: none; padding: 0; margin: .5rem 0; display: grid;
  grid-template-columns: repeat(3, 1fr); gap: .5rem; }
.call { display: flex; flex-direction: column; align-items: center; padding: .5rem .25rem; min-height: 44px;
  border-radius: .5rem; background: #a50e0e; color: #fff; font-weight: 700; text-decoration: none;
  text-align: center; line-height: 1.2; }
.call__number { font-size: 1.6rem; }
.call__name { font-size: .9rem; }
.call__name[lang="en"] { font-weight: 400; }
h2 { font-size: 1.25rem; }
.call:focus-visible, a:focus-visible { outline: 3px solid #1a4fb5; outline-offset: 2px; }
.warning { border: 2px solid #555; border-left-width: .6rem; border-radius: .5rem; padding: .75rem 1rem;
  margin: 1rem 0; }
.warning--extreme, .warning--severe { border-color: #a50e0e; }
.warning--moderate { border-color: #8a5300; }
.warning__level { font-weight: 700; margin: 0; color: #7a0b0b; }
.warning--moderate .warning__level, .warning--minor .warning__level { color: #5c3700; }
.warning h2 { margin: .25rem 0; font-size: 1.3rem; }
.warning__en { border-top: 1px solid #ccc; margin-top: .5rem; }
.warning__meta { font-size: .9rem; color: #333; }
a { color: #0b3d91; }
.none { font-size: 1.1rem; }
"""


async def stylesheet(request: Request) -> Response:
    return Response(CSS, media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})
