"""The app's long-lived parts, built once per app and reached from a request by `services(request)`.

One lifecycle shape: `Services.build(settings)` makes them, `start()` opens the database and loads
what must be in memory, `stop()` closes in reverse order. The CLI uses the same object without a
web server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from .accounts import Accounts
from .auth import Authenticator, TokenIssuer
from .db import Database
from .devices import Devices
from .directory import Directory
from .migrations import MIGRATIONS
from .outbox import Worker
from .ratelimit import RateLimiter
from .settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    tokens: TokenIssuer
    authenticator: Authenticator
    accounts: Accounts
    devices: Devices
    directory: Directory
    limiter: RateLimiter
    worker: Worker
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def build(cls, settings: Settings, clock: Callable[[], float] = time.time) -> Services:
        db = Database(settings.db_path, MIGRATIONS, synchronous=settings.sqlite_synchronous)
        tokens = TokenIssuer(settings.resolved_secret(), clock=clock)
        return cls(
            settings=settings,
            db=db,
            tokens=tokens,
            authenticator=Authenticator(
                db, tokens, settings.token_ttl_s, settings.device_token_ttl_s
            ),
            accounts=Accounts(db, settings, tokens),
            devices=Devices(db, tokens),
            directory=Directory(db),
            limiter=RateLimiter(),
            worker=Worker(db),
            clock=clock,
        )

    def start(self) -> Services:
        self.db.open()
        self.directory.ensure_seeded()
        self.directory.load()
        return self

    def stop(self) -> None:
        self.db.close()


def services(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]
