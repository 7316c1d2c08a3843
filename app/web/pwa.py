"""Serving the built PWA (`pwa/dist`, made by `make pwa`): three app shells, the service worker,
the manifests and the content-hashed assets.

Files are looked up at request time, so a rebuild is picked up without a restart, and a server
started before the first build answers 503 with the fix instead of failing. The build writes .br
and .gz copies of every text file; the one the client accepts is sent as it is, so no CPU goes
into compressing the same bytes on every request.

`/` itself is the citizen's script-less first paint, filled in per response (app/web/lite.py);
only its app shell file comes from here. Only the paths below are claimed: a few root files, `/assets/…`, and everything under
`/officer/` and `/center/` (client-side routes of those apps). `/api`, `/sync`, `/media` and
`/healthz` are never shadowed.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.errors import ApiError
from app.settings import Settings
from app.web.lite_pages import LitePages

NOT_BUILT = "PWA not built: run make pwa"
POLICE_APPS = ("officer", "center")  # the citizen app is the one at "/"

# Hashed names never change content: cache for a year. Everything else is revalidated on each use
# (a cheap 304), so a deploy reaches every phone on its next load.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# Preference order when the client accepts both.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
COMPRESSIBLE = frozenset({".html", ".js", ".css", ".webmanifest", ".json", ".svg"})
# What may appear in a Host header we echo into the CSP; anything else is left out of it.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def content_security_policy(tile_url: str) -> str:
    """Scripts and styles from this origin only (no inline code), images also from the tile host.

    A template: `{ws}` is filled per request with the WebSocket origins of the host asked for,
    `{style}` with the hash of the one inline style the build made (the citizen's first paint).
    """
    parts = urlsplit(tile_url)
    tile_origin = ""
    if parts.scheme in ("http", "https") and parts.netloc:
        # "{s}.tile.example.org" style subdomain templates become a wildcard.
        host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
        tile_origin = f" {parts.scheme}://{host}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'{style}; "
        f"img-src 'self' data: blob:{tile_origin}; media-src 'self' blob:; "
        "connect-src 'self'{ws}; worker-src 'self'; manifest-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class PwaFiles:
    """The endpoints that serve `dist`, made once by `routes()`."""

    def __init__(self, dist: Path, csp_template: str) -> None:
        self.dist = dist
        self.csp_template = csp_template
        self.lite = lite_pages(dist)

    # -- endpoints --------------------------------------------------------------------------------
    def page(self, relative: str) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint for one HTML file: an app shell or the offline page."""

        async def endpoint(request: Request) -> Response:
            return self._html(request, relative)

        return endpoint

    async def service_worker(self, request: Request) -> Response:
        # Scope "/" covers all three apps; the header makes that explicit for any future move of
        # the script, and no-cache makes browsers see a new worker on their next check.
        return self._file(request, "sw.js", REVALIDATE, {"Service-Worker-Allowed": "/"})

    async def manifest(self, request: Request) -> Response:
        # "/manifest.webmanifest" or "/officer/manifest.webmanifest": the URL path is the file path.
        return self._file(request, request.url.path.lstrip("/"), REVALIDATE)

    async def asset(self, request: Request) -> Response:
        return self._file(request, request.path_params["path"], IMMUTABLE, within="assets")

    # -- responses --------------------------------------------------------------------------------
    def html_headers(self, request: Request) -> dict[str, str]:
        """The security headers of every HTML page."""
        # Browsers that predate CSP3 do not let 'self' cover WebSocket URLs: name them outright.
        host = request.headers.get("host", "")
        ws = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
        style = self.lite.style_hash()
        csp = self.csp_template.replace("{ws}", ws).replace("{style}", f" {style}" if style else "")
        return {
            "Content-Security-Policy": csp,
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
        }

    def _html(self, request: Request, relative: str) -> Response:
        return self._file(request, relative, REVALIDATE, self.html_headers(request))

    def _file(
        self,
        request: Request,
        relative: str,
        cache: str,
        extra: dict[str, str] | None = None,
        within: str = "",
    ) -> Response:
        if not (self.dist / "index.html").is_file():
            raise ApiError(503, "pwa_not_built", NOT_BUILT)
        path = self._resolve(relative, within)
        suffix = path.suffix
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff", **(extra or {})}
        chosen, encoding = path, None
        if suffix in COMPRESSIBLE:
            headers["Vary"] = "Accept-Encoding"
            accepted = _accepted_encodings(request.headers.get("accept-encoding", ""))
            for name, ext in ENCODINGS:
                candidate = path.with_name(path.name + ext)
                if name in accepted and candidate.is_file():
                    chosen, encoding = candidate, name
                    headers["Content-Encoding"] = name
                    break
        stat = chosen.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}{"-" + encoding if encoding else ""}"'
        headers["ETag"] = etag
        if etag in _etags(request.headers.get("if-none-match", "")):
            headers.pop("Content-Encoding", None)
            return Response(status_code=304, headers=headers)
        media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
        return FileResponse(chosen, headers=headers, media_type=media_type, stat_result=stat)

    def _resolve(self, relative: str, within: str) -> Path:
        """The file `relative` to `dist/within`, refusing anything outside it and compressed copies.

        Starlette hands over the decoded path, so "%2e%2e/" arrives as "../": resolve, then check.
        """
        root = (self.dist / within).resolve()
        try:
            path = (root / relative).resolve()
            found = path.is_relative_to(root) and path.is_file()
        except (OSError, ValueError):  # a name too long for the file system, a NUL byte
            found = False
        if not found or path.suffix in (".br", ".gz"):
            raise ApiError(404, "not_found", "No such file in the app.")
        return path


def _accepted_encodings(header: str) -> set[str]:
    accepted = set()
    for item in header.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            accepted.add(name.lower())
    return accepted


def _etags(header: str) -> set[str]:
    # Weak comparison is what If-None-Match asks for: W/"x" matches "x".
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _police_app(app: str, files: PwaFiles) -> list[BaseRoute]:
    async def add_slash(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/{app}/{query}", status_code=301)

    return [
        Route(f"/{app}", add_slash),
        Route(f"/{app}/manifest.webmanifest", files.manifest),
        # "/officer/" and every deep link below it: client-side routes of that app.
        Route(f"/{app}/{{rest:path}}", files.page(f"{app}/index.html")),
    ]


@functools.cache
def lite_pages(dist: Path) -> LitePages:
    return LitePages(dist)


@functools.cache
def files_for(dist: Path, tile_url: str) -> PwaFiles:
    """One per deployment: the lite endpoints and the routes below share it."""
    return PwaFiles(dist, content_security_policy(tile_url))


def routes(settings: Settings) -> list[BaseRoute]:
    files = files_for(settings.pwa_dist, settings.tile_url)
    return [
        Route("/sw.js", files.service_worker),
        Route("/manifest.webmanifest", files.manifest),
        Route("/offline.html", files.page("offline.html")),
        Route("/assets/{path:path}", files.asset),
        *(route for app in POLICE_APPS for route in _police_app(app, files)),
    ]
