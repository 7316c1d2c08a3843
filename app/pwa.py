"""Serving the built PWA. PLACEHOLDER: being written (issue 2)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from .settings import Settings


def routes(settings: Settings) -> list[BaseRoute]:
    return []
