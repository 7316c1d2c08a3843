"""The app's long-lived parts, built once per app and reached from a request by `services(request)`.

One lifecycle shape: `Services.build(settings)` makes them, `start()` opens the database and loads
what must be in memory, `stop()` closes in reverse order. The CLI uses the same object without a
web server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from sync import SyncEngine

from .accounts import Accounts
from .auth import Authenticator, TokenIssuer
from .db import Database
from .devices import Devices
from .directory import Directory
from .fanout import Fanout
from .migrations import MIGRATIONS
from .outbox import Worker
from .ratelimit import RateLimiter
from .settings import Settings
from .timers import Timers


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
    sync: SyncEngine = field(init=False)
    clock: Callable[[], float] = field(default=time.time)
    role: str = "web"
    loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)

    @classmethod
    def build(
        cls, settings: Settings, clock: Callable[[], float] = time.time, role: str = "web"
    ) -> Services:
        """`role`: "web" runs the HTTP app and the document-writing jobs; "worker" runs the jobs
        that touch no document (push, media), which the web process also runs unless
        `SOS_INPROCESS_WORKER=0` says a separate `sos worker` does."""
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
            role=role,
        )

    def __post_init__(self) -> None:
        from .auth import SERVER
        from .kinds import kinds

        self.sync = SyncEngine(self.db, kinds(self), server_principal=SERVER)
        if self.role == "web":
            # Jobs that write documents run in the process that owns the documents' rooms, so
            # that live readers see the write (see docs/architecture.md).
            Fanout(self).register(self.worker)
            Timers(self).register(self.worker)
        if self.role == "worker" or self.settings.inprocess_worker:
            self.register_background_jobs()

    def register_background_jobs(self) -> None:
        """Jobs that touch no document: web push and media processing (later issues)."""

    async def start_async(self) -> None:
        """The parts that need the event loop: the sync engine (idle unloading)."""
        self.loop = asyncio.get_running_loop()  # for threads that must hand work to the loop
        await self.sync.start()

    async def stop_async(self) -> None:
        await self.sync.stop()

    def start(self) -> Services:
        self.db.open()
        self.directory.ensure_seeded()
        self.directory.load()
        return self

    def stop(self) -> None:
        self.db.close()


def services(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]
