"""What the incident jobs and document kinds need from the app: a few long-lived parts.

`app.services.Services` has them all; naming them here, instead of importing `Services`, keeps
the dependency one way (services builds incidents' parts; incidents never imports services).
"""

from __future__ import annotations

from typing import Protocol

from app.directory.routing import Directory
from app.identity.ratelimit import RateLimiter
from app.settings import Settings
from app.storage.base import Database
from app.storage.outbox import Worker
from push import PushService
from sync import SyncEngine


class Parts(Protocol):
    settings: Settings
    db: Database
    sync: SyncEngine
    worker: Worker
    limiter: RateLimiter
    directory: Directory
    push: PushService
