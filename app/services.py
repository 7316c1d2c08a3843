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

from app.directory.routing import Directory
from app.evidence.checkpoints import Checkpoints
from app.identity import importing as importing  # for cli
from app.identity.accounts import Accounts
from app.identity.auth import Authenticator, TokenIssuer
from app.identity.devices import Devices
from app.identity.lifecycle import CLI_ACTOR as CLI_ACTOR  # for cli
from app.identity.lifecycle import Lifecycle, RevocationWatch
from app.identity.partners import Partners
from app.identity.ratelimit import RateLimiter, SharedRateLimiter
from app.identity.second_factor import SecondFactor
from app.identity.signin import SignIn
from app.incidents.alerts import (
    warn_of_placeholder_contact as warn_of_placeholder_contact,  # for cli
)
from app.incidents.fanout import Fanout
from app.incidents.positions import PositionsHub, Retention
from app.incidents.timers import Timers
from app.schema import MIGRATIONS
from app.settings import Settings
from app.storage.base import Database
from app.storage.outbox import Worker
from app.storage.sqlite import SQLiteDatabase
from app.warnings.answers import Answers
from app.warnings.areas import Areas
from app.warnings.delivery import Delivery
from app.warnings.drafts import Warnings
from app.warnings.review import Review
from media import MediaConfig, MediaService
from push import PushService
from sync import SyncEngine
from sync.peers import NotifyPeers

# Push sends claimed at once by the push worker: one read and a few writes for all of them.
PUSH_BATCH = 256


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
    media: MediaService = field(init=False)
    media_workers: list[Worker] = field(init=False, default_factory=list)
    push: PushService = field(init=False)
    partners: Partners = field(init=False)
    push_worker: Worker | None = field(init=False, default=None)
    # The other web processes on the same database (PostgreSQL only): each commit and some app
    # events reach them through NOTIFY (sync/peers.py). None on SQLite: one process is the whole app.
    peers: NotifyPeers | None = field(init=False, default=None)
    # The consoles listening for officers' positions in this process (app/incidents/positions.py).
    positions: PositionsHub = field(init=False)
    # Public warnings (issue 24): drafts and approval, the wards devices follow, answers.
    warnings: Warnings = field(init=False)
    warning_areas: Areas = field(init=False)
    warning_answers: Answers = field(init=False)
    warning_delivery: Delivery | None = field(init=False, default=None)
    # Police sign-in (issue 25): the second factor, and the password step with its throttles.
    factors: SecondFactor = field(init=False)
    signin: SignIn = field(init=False)
    # Disable, enable, reset, end sessions (issue 25): the admin API and `sos user`.
    lifecycle: Lifecycle = field(init=False)
    revocations: RevocationWatch | None = field(init=False, default=None)
    # The audit log's daily signed checkpoint (issue 27), where background jobs run.
    checkpoints: Checkpoints | None = field(init=False, default=None)
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
        db = open_database(settings)
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
            limiter=SharedRateLimiter(db) if db.dialect == "postgresql" else RateLimiter(),
            worker=Worker(db, lease_s=settings.outbox_lease_s),
            clock=clock,
            role=role,
        )

    def __post_init__(self) -> None:
        from app.identity.auth import SERVER
        from app.incidents.kinds import kinds

        if self.db.dialect == "postgresql":
            self.peers = NotifyPeers(self.db)  # type: ignore[arg-type]
            self.peers.on("signed_out", self._end_streams)
        self.positions = PositionsHub(self.peers)
        peers = self.peers
        self.lifecycle = Lifecycle(
            self.db, self.clock, self.signed_out,
            announce_in=(lambda tx, sid: peers.publish_in(tx, "signed_out", sid)) if peers else None,
        )
        self.sync = SyncEngine(
            self.db, kinds(self), server_principal=SERVER,
            idle_unload_s=self.settings.sync_idle_unload_s, peers=self.peers,
            shadow_budget=self.settings.sync_shadow_budget_mib * 1024 * 1024,
        )
        from app.incidents.alerts import build_push

        self.push = build_push(self.settings, self.db)
        self.partners = Partners(self.db)
        self.factors = SecondFactor(self.db, self.settings.resolved_secret(), self.tokens.clock)
        self.signin = SignIn(self.db, self.settings, self.tokens, self.factors)
        # A forced password change leaves an "enrol" session when a second factor is still due.
        self.lifecycle.enrolment_due = self.signin.enrolment_due
        self.warnings = Warnings(self.db, self.clock, wake=self.worker.wake)
        self.warning_areas = Areas(self.db, self.clock, self.settings.warning_max_areas)
        self.warning_answers = Answers(self.db, self.clock)
        if self.role == "web":
            # Jobs that write documents run in the process that owns the documents' rooms, so
            # that live readers see the write (see docs/architecture.md).
            Fanout(self).register(self.worker)
            Timers(self).register(self.worker)
        self.media = _media_service(self.settings, self.db, self.clock)
        if self.role == "worker" or self.settings.inprocess_worker:
            self.register_background_jobs()

    def register_background_jobs(self) -> None:
        """Jobs that touch no document: web push and media processing (later issues)."""
        # Media jobs get two workers of their own on the same outbox: a one-minute transcode in
        # a shared batch would hold up inbox writes, timers and pushes, and a preview must not
        # wait behind a transcode either (photos and previews: fast; videos: slow).
        fast, slow = Worker(self.db, lease_s=600, batch=4), Worker(self.db, lease_s=7200, batch=1)
        self.media.attach(fast, slow)
        self.media_workers = [fast, slow]
        from app.incidents.alerts import Alerts

        # Sending waits on push services: it gets a worker of its own, so a slow push service
        # never holds up inbox writes and timers, nor the planning of a warning's next page of
        # phones while this page is sent. Its items are sent and recorded a claimed batch at a
        # time (push/service.py `deliver_many`): a large batch is few transactions per push.
        self.push_worker = Worker(self.db, batch=PUSH_BATCH, lease_s=self.settings.outbox_lease_s)
        Alerts(self).register(self.worker, self.push_worker)
        self.warning_delivery = Delivery(self.db, self.push, self.clock)
        self.warning_delivery.register(self.worker, self.push_worker)
        Review(self.db, self.push).register(self.worker, self.push_worker)
        Retention(self.db, self.settings.position_retention_s).register(self.worker)
        # Issue 27: a signed checkpoint of the audit log's head, daily (docs/evidence.md).
        self.checkpoints = Checkpoints(self.db, self.settings)
        self.checkpoints.register(self.worker)

    async def start_async(self) -> None:
        """The parts that need the event loop: the sync engine (idle unloading)."""
        self.loop = asyncio.get_running_loop()  # for threads that must hand work to the loop
        await self.sync.start()
        if self.peers is not None:
            self.peers.start(self.sync)
        elif self.role == "web":
            # Sessions ended from the command line (another process) end their connections too.
            self.revocations = RevocationWatch(self.db, self._end_streams)
            self.revocations.start()
        await self.media.start()  # its workers, when this process runs the media jobs
        if self.push_worker is not None:
            await self.push_worker.start()

    async def stop_async(self) -> None:
        if self.peers is not None:
            await self.peers.stop()
        if self.revocations is not None:
            await self.revocations.stop()
        await self.authenticator.seen.drain()  # the last minute's "last seen" notes
        await self.media.stop()
        await self.sync.stop()
        if self.push_worker is not None:
            await self.push_worker.stop()
        await self.push.aclose()

    async def signed_out(self, session_id: str) -> None:
        """Live sync connections opened with this session end now, in every process, not at
        their next reconnect."""
        self._end_streams(session_id)
        if self.peers is not None:
            await self.peers.publish("signed_out", session_id)

    def _end_streams(self, session_id: str) -> None:
        self.sync.disconnect(lambda p: getattr(p, "session_id", None) == session_id, "Signed out.")
        self.positions.end_session(session_id)

    def start(self) -> Services:
        self.db.open()
        self.directory.ensure_seeded()
        self.directory.load()
        if self.checkpoints is not None:
            self.checkpoints.schedule_current()
        return self

    def stop(self) -> None:
        self.db.close()


def _media_service(settings: Settings, db: Database, clock: Callable[[], float]) -> MediaService:
    from app.storage.outbox import enqueue

    config = MediaConfig(
        root=settings.media_root,
        photo_max_bytes=settings.media_photo_max_bytes,
        video_max_bytes=settings.media_video_max_bytes,
        preview_max_bytes=settings.media_preview_max_bytes,
        report_max_bytes=settings.media_report_max_bytes,
        report_max_items=settings.media_report_max_items,
        upload_expiry_s=settings.media_upload_expiry_s,
        x264_preset=settings.media_x264_preset,
    )
    return MediaService(db, config, enqueue, clock)


def open_database(settings: Settings) -> Database:
    """The backend the settings choose: PostgreSQL when `SOS_DATABASE_URL` is set, else SQLite."""
    if settings.database_url:
        if not settings.database_url.startswith(("postgresql://", "postgres://")):
            raise ValueError("SOS_DATABASE_URL must be a postgresql:// URL")
        from app.storage.postgres import PostgresDatabase

        return PostgresDatabase(settings.database_url, MIGRATIONS)
    return SQLiteDatabase(settings.db_path, MIGRATIONS, synchronous=settings.sqlite_synchronous)


def services(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]
