"""The HTML of the script-less citizen pages (issue 23): the form of `/` as built by the PWA build
(pwa/tools/build/lite.mjs), filled in per response, and the report's status page.

The build leaves placeholders in `dist/index.html` (a form id, the ward options, a refusal, what
was typed) and writes `dist/lite.json`: the first-paint CSS, its CSP hash, the Vietnamese strings
(from pwa/src/i18n, so the words live in the translation files like every other string) and the
top of the page (the emergency numbers). Both are read when they change, so a rebuild is picked up
without a restart, as the rest of the PWA is.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from app.directory.routing import official_wards
from app.errors import ApiError

LITE_JSON = "lite.json"
FORM_ID = "__SOS_FORM_ID__"
DESCRIPTION = "__SOS_DESCRIPTION__"
NOTICE = "<!--sos:notice-->"
WARDS = "<!--sos:wards-->"
NOT_BUILT = "PWA not built: run make pwa"


def new_form_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits: nobody guesses another page's form


@dataclass
class Typed:
    """What a person typed into the form, kept when a refusal shows the form again."""

    category: str = ""
    description: str = ""
    ward: str = ""
    form_id: str = field(default_factory=new_form_id)


class _Cached:
    """A file of dist, read again when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._text = ""

    def text(self) -> str:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError as exc:
            raise ApiError(503, "pwa_not_built", NOT_BUILT) from exc
        if stamp != self._stamp:
            self._text, self._stamp = self.path.read_text("utf-8"), stamp
        return self._text


class LitePages:
    def __init__(self, dist: Path) -> None:
        self._shell = _Cached(dist / "index.html")
        self._data = _Cached(dist / LITE_JSON)
        self._parsed: tuple[str, dict[str, Any]] = ("", {})
        self._options: tuple[tuple[int, ...], list[tuple[int, str]]] = ((), [])

    def data(self) -> dict[str, Any]:
        text = self._data.text()
        if text != self._parsed[0]:
            self._parsed = (text, json.loads(text))
        return self._parsed[1]

    def style_hash(self) -> str:
        """The CSP source of the inlined first-paint CSS ('' before a build that has it)."""
        try:
            return str(self.data().get("style_hash", ""))
        except (ApiError, ValueError):
            return ""

    # -- the form ---------------------------------------------------------------------------------
    def form(self, mapped: tuple[int, ...], typed: Typed, notice: str | None = None) -> str:
        """`/` with a fresh form id (or the one being resubmitted) and what was typed."""
        page = self._shell.text()
        if FORM_ID not in page:
            return page  # a build from before the form: its shell as it is
        page = page.replace(FORM_ID, escape(typed.form_id), 1)
        page = page.replace(DESCRIPTION, escape(typed.description), 1)
        page = page.replace(WARDS, self._ward_options(mapped, typed.ward), 1)
        if typed.category:
            mark = f'value="{escape(typed.category)}"'
            page = page.replace(mark, f"{mark} checked", 1)
        box = ""
        if notice:
            heading = escape(self.data()["errors"]["heading"])
            box = f'<div class="lite-notice" role="alert"><h2>{heading}</h2><p>{escape(notice)}</p></div>'
        return page.replace(NOTICE, box, 1)

    def _ward_options(self, mapped: tuple[int, ...], chosen: str) -> str:
        # Only wards with a boundary: a report "in this ward" is placed at a point inside it.
        if self._options[0] != mapped:
            wards = {w.code: w for w in official_wards()}
            known = [wards[c] for c in mapped if c in wards]
            # By the name people say ("Tân Phú", not "Phường Tân Phú"), as a Vietnamese reads it.
            listed = [(w.code, w.name) for w in sorted(known, key=lambda w: _collation_key(w.short_name))]
            self._options = (mapped, listed)
        return "".join(
            f'<option value="{code}"{" selected" if str(code) == chosen else ""}>{escape(name)}</option>'
            for code, name in self._options[1]
        )

    # -- the status page --------------------------------------------------------------------------
    def status(self, report: dict[str, Any], sent_at: str) -> str:
        d = self.data()
        words = d["status"]
        state = citizen_state(report["status"])
        line = words[state]
        if report["status"] == "rejected":
            reason = d["reasons"].get(report.get("rejected_reason") or "other", d["reasons"]["other"])
            line = f"{line} {d['reason'].replace('{reason}', reason)}"
        category = d["categories"].get(report["category"], report["category"])
        body = f"""<h2>{escape(words["title"])}</h2>
<p class="lite-state" role="status">{escape(line)}</p>
<dl><dt>{escape(category)}</dt><dd>{escape(words["sent_at"].replace("{time}", sent_at))}</dd>
<dt>{escape(words["code"])}</dt><dd>{escape(report["id"][:8].upper())}</dd></dl>
<p>{escape(words["keep"])}</p>
<p class="lite-links"><a href="">{escape(words["refresh"])}</a><a href="/">{escape(words["again"])}</a></p>"""
        return self._page(words["title"], body)

    def not_found(self) -> str:
        words = self.data()["status"]
        body = f"""<h2>{escape(words["title"])}</h2>
<p class="lite-state" role="status">{escape(words["not_found"])}</p>
<p class="lite-links"><a href="/">{escape(words["again"])}</a></p>"""
        return self._page(words["title"], body)

    def message(self, key: str, **values: Any) -> str:
        text = str(self.data()["errors"][key])
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def _page(self, title: str, body: str) -> str:
        d = self.data()
        return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} – {escape(d["app_name"])}</title>
<style>{d["css"]}</style>
</head>
<body>
<div class="lite">
{d["top"]}
{body}
</main>
</div>
</body>
</html>
"""


def _collation_key(name: str) -> tuple[str, str]:
    """Compared without their marks first (đ as d), then with them: "Đông Hòa" sits among the
    D's, where code-point order would put it after Z."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
                   if not unicodedata.combining(c))
    return bare.casefold(), name


def citizen_state(status: str) -> str:
    """The few plain states a citizen reads (DESIGN.md: received, in progress, done, not handled);
    "new" says only that it arrived: nobody has looked at it yet."""
    if status == "new":
        return "new"
    if status in ("triaged", "dispatched"):
        return "received"
    if status in ("acknowledged", "en_route", "on_scene"):
        return "in_progress"
    if status in ("resolved", "closed"):
        return "done"
    if status == "merged":
        return "merged"
    return "not_handled"
