"""The push library's one entry point: subscriptions, planning a notification, delivering it.

    push = PushService(db, VapidKeys.load_or_create(path), subject="mailto:ops@police.gov.vn")
    await push.subscribe(Owner("user", "12", role="dispatcher"), subscription_json)
    # in the caller's transaction, once per notification (its key is unique):
    ids = push.plan(tx, Notification(key="new_report:42:center", payload={...}, ttl_s=3600),
                    owners=[("user", "12")])
    # later, one background job per delivery id:
    outcome = await push.deliver(ids[0], in_tx=lambda tx: mark_job_done(tx))

`deliver` is safe to run again for the same id: a delivery that reached a final state is not sent
twice, and its final state is written in the same transaction as `in_tx`, so a job system that
marks the job done in `in_tx` delivers each notification exactly once per subscription unless the
process dies between the push service's answer and that commit (then once more: at least once).
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .sender import Result, Sender
from .store import FINAL_STATES
from .subscriptions import EndpointPolicy, InvalidSubscription, Subscription, parse_subscription
from .vapid import VapidKeys

T = TypeVar("T")
URGENCIES = ("very-low", "low", "normal", "high")
TOPIC_MAX = 32
# The owners of a notification travel as one JSON parameter, unnested by each dialect's own function.
OWNERS_TABLE = {"sqlite": "json_each(?) o", "postgresql": "jsonb_array_elements(CAST(? AS jsonb)) o(value)"}


class Database(Protocol):
    """What push needs from the app's database (`app.storage.sqlite.SQLiteDatabase` fits)."""

    async def write(self, fn: Callable[[Any], T]) -> T: ...

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...


class NotAllowed(Exception):
    """The caller may not change this subscription."""


class Taken(Exception):
    """The endpoint is another owner's, and the caller did not show its current keys."""


@dataclass(frozen=True)
class Owner:
    """Who a subscription notifies: a user (with role and unit at the time) or a device."""

    kind: str  # user, device
    id: str
    role: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Notification:
    key: str  # unique: planning the same key twice plans nothing the second time
    payload: dict[str, Any]
    ttl_s: int
    urgency: str = "normal"
    topic: str | None = None  # ≤ 32 URL-safe base64 characters

    def __post_init__(self) -> None:
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}")
        if self.topic is not None and (
            len(self.topic) > TOPIC_MAX
            or not all(c.isascii() and (c.isalnum() or c in "-_") for c in self.topic)
        ):
            raise ValueError("a Topic is at most 32 characters of the URL-safe base64 alphabet")
        if self.ttl_s <= 0:
            raise ValueError("a push without a TTL is dropped by the push service when the device is offline")


@dataclass(frozen=True)
class Outcome:
    state: str  # pending (try again later), delivered, gone, failed, expired
    retry_after_s: float | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class PushService:
    def __init__(
        self,
        db: Database,
        keys: VapidKeys,
        subject: str,
        policy: EndpointPolicy | None = None,
        timeout_s: float = 10.0,
        max_per_owner: int = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.keys = keys
        self.policy = policy or EndpointPolicy()
        self.max_per_owner = max_per_owner
        self.clock = clock
        self.sender = Sender(keys, subject, timeout_s)
        # Attempts this process made, by the push service's answer (delivered, retry, gone,
        # failed, expired): read by the app's /metrics when scraped.
        self.attempts: collections.Counter[str] = collections.Counter()

    @property
    def public_key(self) -> str:
        return self.keys.public_key

    async def aclose(self) -> None:
        await self.sender.aclose()

    # -- subscriptions -----------------------------------------------------------------------------
    async def subscribe(
        self,
        owner: Owner | None,
        data: Any,
        lang: str | None = None,
        replaces: Any = None,
    ) -> tuple[int, bool]:
        """Store a browser's subscription for `owner`; returns (id, created). Idempotent per
        endpoint: the same endpoint again updates it (and moves it to `owner`: one browser, whoever
        signed in last; from another owner only with the stored keys, else `Taken`). `replaces` `{endpoint, auth}` names the subscription the browser rotated
        away from; its auth secret proves the caller held it, so a service worker with no
        credential (`owner` None) may carry the old owner over to the new endpoint."""
        sub = parse_subscription(data, self.policy)
        old = _old(replaces)
        now = self.clock()

        def save(tx: Any) -> tuple[int, bool]:
            conn = tx
            heir, language = owner, lang
            if old is not None:
                row = conn.execute(
                    "SELECT * FROM push_subscriptions WHERE endpoint = ?", (old[0],)
                ).fetchone()
                if row is not None and row["endpoint"] != sub.endpoint and _same_secret(row["auth"], old[1]):
                    if heir is None:
                        heir = Owner(row["owner_kind"], row["owner_id"], row["role"], row["unit"])
                    language = language or row["lang"]
                    conn.execute("DELETE FROM push_subscriptions WHERE id = ?", (row["id"],))
            if heir is None:
                raise NotAllowed("Sign in, or name the subscription this one replaces.")
            existing = conn.execute(
                "SELECT owner_kind, owner_id, p256dh, auth FROM push_subscriptions WHERE endpoint = ?",
                (sub.endpoint,),
            ).fetchone()
            if existing is not None and not _may_move(existing, heir, sub):
                raise Taken(
                    "This push endpoint is another user's or device's; only the browser that holds "
                    "it (with its current keys) can subscribe it again."
                )
            row = conn.execute(
                """INSERT INTO push_subscriptions
                   (endpoint, p256dh, auth, owner_kind, owner_id, role, unit, lang, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
                       owner_kind = excluded.owner_kind, owner_id = excluded.owner_id,
                       role = excluded.role, unit = excluded.unit, lang = excluded.lang,
                       updated_at = excluded.updated_at
                   RETURNING id""",
                (sub.endpoint, sub.p256dh, sub.auth, heir.kind, heir.id, heir.role, heir.unit,
                 language or "vi", now, now),
            ).fetchone()
            # A person has a few devices; a browser that rotated its subscription many times
            # leaves dead ones behind. Keep the most recent few.
            conn.execute(
                """DELETE FROM push_subscriptions WHERE owner_kind = ? AND owner_id = ? AND id NOT IN
                   (SELECT id FROM push_subscriptions WHERE owner_kind = ? AND owner_id = ?
                    ORDER BY updated_at DESC, id DESC LIMIT ?)""",
                (heir.kind, heir.id, heir.kind, heir.id, self.max_per_owner),
            )
            return int(row[0]), existing is None

        return await self.db.write(save)

    async def unsubscribe(self, owner: Owner, endpoint: str) -> bool:
        def delete(tx: Any) -> bool:
            cursor = tx.execute(
                "DELETE FROM push_subscriptions WHERE endpoint = ? AND owner_kind = ? AND owner_id = ?",
                (endpoint, owner.kind, owner.id),
            )
            return cursor.rowcount > 0

        return await self.db.write(delete)

    async def subscriptions_of(self, owner: Owner) -> list[dict[str, Any]]:
        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                """SELECT id, endpoint, lang, created_at, updated_at, last_delivered_at
                   FROM push_subscriptions WHERE owner_kind = ? AND owner_id = ? ORDER BY id""",
                (owner.kind, owner.id),
            )
            return [dict(r) for r in rows]

        return await self.db.read(read)

    # -- planning (in the caller's transaction) ----------------------------------------------------
    def plan(
        self, tx: Any, notification: Notification, owners: Sequence[tuple[str, str]], lang: str | None = None,
        extend: bool = False,
    ) -> list[int]:
        """Record `notification` and one pending delivery per subscription of `owners` (those in
        `lang` only, when given). Returns the new delivery ids; [] if this key was planned before,
        unless `extend`: then the deliveries of `owners` not yet planned are added to it (a large
        fan-out planned page by page, so the first page is sent while the rest is planned)."""
        conn = tx
        now = self.clock()
        row = conn.execute(
            """INSERT INTO push_notifications (key, payload, ttl_s, urgency, topic, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING id""",
            (notification.key, json.dumps(notification.payload, ensure_ascii=False),
             notification.ttl_s, notification.urgency, notification.topic, now),
        ).fetchone()
        if row is None and extend:
            row = conn.execute("SELECT id FROM push_notifications WHERE key = ?", (notification.key,)).fetchone()
        if row is None or not owners:
            return []
        owners_table = OWNERS_TABLE[getattr(conn, "dialect", "sqlite")]
        rows = conn.execute(
            f"""INSERT INTO push_deliveries (notification_id, subscription_id, endpoint, updated_at)
               SELECT ?, s.id, s.endpoint, ? FROM push_subscriptions s
               JOIN {owners_table} ON s.owner_kind = o.value ->> 0 AND s.owner_id = o.value ->> 1
               WHERE CAST(? AS TEXT) IS NULL OR s.lang = ?
               ORDER BY s.id
               ON CONFLICT (notification_id, subscription_id) DO NOTHING
               RETURNING id""",
            (int(row[0]), now, json.dumps([[k, str(i)] for k, i in owners]), lang, lang),
        ).fetchall()
        return sorted(int(r[0]) for r in rows)

    # -- delivery ----------------------------------------------------------------------------------
    async def deliver(
        self,
        delivery_id: int,
        in_tx: Callable[[Any], Any] | None = None,
        give_up: bool = False,
    ) -> Outcome:
        """Send one delivery unless it is already final. `in_tx` runs in the transaction that
        records a final state; `give_up` (the last allowed attempt) turns a retry into `failed`."""
        return (await self.deliver_many([(delivery_id, in_tx, give_up)]))[0]

    async def deliver_many(
        self, jobs: Sequence[tuple[int, Callable[[Any], Any] | None, bool]]
    ) -> list[Outcome]:
        """`deliver` for many (delivery id, in_tx, give_up) at once: one read of them all, their
        requests in flight together, and one transaction recording the outcomes (running each
        `in_tx` there) per group of answers. A fan-out to 100,000 phones costs a few hundred
        transactions, not 200,000 (a commit per push is what bounded the rate on PostgreSQL)."""
        ids = [job[0] for job in jobs]
        found = await self.db.read(lambda c: _deliveries(c, ids))
        now = self.clock()
        outcomes: list[Outcome | None] = [None] * len(jobs)
        finals_only: list[Callable[[Any], Any]] = []
        running: dict[asyncio.Future[Result], int] = {}
        for k, delivery_id in enumerate(ids):
            job = found.get(delivery_id)
            if job is None or job["state"] in FINAL_STATES:  # missing or already final: nothing sent
                in_tx = jobs[k][1]
                if in_tx is not None:
                    finals_only.append(in_tx)
                outcomes[k] = Outcome(job["state"] if job else "gone")
            else:
                running[asyncio.ensure_future(self._attempt(job, now))] = k
        if finals_only and not running:
            await self.db.write(lambda tx: [fn(tx) for fn in finals_only])
        waiting = set(running)
        while waiting:
            # Record what has answered, in one transaction; whatever answers meanwhile goes in the
            # next. A slow push service holds up the records of nobody but its own subscribers.
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            recorded = []
            for task in done:
                k = running[task]
                delivery_id, in_tx, give_up = jobs[k]
                job, result = found[delivery_id], task.result()
                state = self._state(job, result, give_up, now)
                recorded.append((job, result, state, in_tx))
                outcomes[k] = Outcome(state, result.retry_after_s)
            extra, finals_only = finals_only, []
            await self.db.write(lambda tx, r=recorded, e=extra: self._record(tx, r, e))
            self.attempts.update(result.outcome for _, result, _, _ in recorded)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _state(job: dict[str, Any], result: Result, give_up: bool, now: float) -> str:
        remaining = job["ttl_s"] - (now - job["created_at"])
        state = {"delivered": "delivered", "gone": "gone", "failed": "failed", "expired": "expired"}.get(
            result.outcome, "pending"
        )
        if state == "pending" and (give_up or (result.retry_after_s or 0) >= remaining):
            state = "expired" if (result.retry_after_s or 0) >= remaining else "failed"
        return state

    async def _attempt(self, job: dict[str, Any], now: float) -> Result:
        """The push service's answer for one delivery (or what stands for it)."""
        remaining = job["ttl_s"] - (now - job["created_at"])
        if job["p256dh"] is None:  # the subscription was removed since (unsubscribed, 410)
            return Result("gone", None, None, 0.0, "subscription removed before delivery")
        if remaining < 1:
            return Result("expired", None, None, 0.0, "the TTL ran out before delivery")
        sub = Subscription(job["endpoint"], job["p256dh"], job["auth"])
        return await self.sender.send(sub, job["payload"].encode(), int(remaining), job["urgency"], job["topic"])

    def _record(
        self, tx: Any, recorded: list[tuple[dict[str, Any], Result, str, Callable[[Any], Any] | None]],
        finals_only: list[Callable[[Any], Any]],
    ) -> None:
        conn, now = tx, self.clock()
        if recorded:
            conn.executemany(
                """INSERT INTO push_attempts (delivery_id, at, duration_ms, status, outcome, retry_after_s, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [(job["id"], now, round(result.duration_ms, 2), result.status, result.outcome,
                  result.retry_after_s, result.detail or None) for job, result, _, _ in recorded],
            )
            conn.executemany(
                "UPDATE push_deliveries SET state = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(state, now, job["id"]) for job, _, state, _ in recorded],
            )
        delivered = [(now, job["subscription_id"]) for job, _, state, _ in recorded if state == "delivered"]
        if delivered:
            conn.executemany("UPDATE push_subscriptions SET last_delivered_at = ? WHERE id = ?", delivered)
        gone = [(job["subscription_id"], job["endpoint"]) for job, result, state, _ in recorded
                if state == "gone" and result.status is not None]
        if gone:
            conn.executemany("DELETE FROM push_subscriptions WHERE id = ? AND endpoint = ?", gone)
        for _, _, state, in_tx in recorded:
            if state in FINAL_STATES and in_tx is not None:
                in_tx(tx)
        for in_tx in finals_only:
            in_tx(tx)


def _deliveries(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"""SELECT d.id, d.state, d.subscription_id, d.endpoint, n.payload, n.ttl_s, n.urgency, n.topic,
                  n.created_at, s.p256dh, s.auth
           FROM push_deliveries d JOIN push_notifications n ON n.id = d.notification_id
           LEFT JOIN push_subscriptions s ON s.id = d.subscription_id AND s.endpoint = d.endpoint
           WHERE d.id IN ({marks})""",
        list(ids),
    )
    return {int(r["id"]): dict(r) for r in rows}


def _old(replaces: Any) -> tuple[str, str] | None:
    if replaces is None:
        return None
    if not isinstance(replaces, dict) or not isinstance(replaces.get("endpoint"), str) or not isinstance(
        replaces.get("auth"), str
    ):
        raise InvalidSubscription("`replaces` is {endpoint, auth} of the previous subscription.")
    return replaces["endpoint"], replaces["auth"]


def _may_move(row: Any, heir: Owner, sub: Subscription) -> bool:
    """An endpoint is a capability only the browser (and its push service) knows in full with its
    keys; but endpoints leak (logs, screenshots, a shared device's history). So it moves to
    another owner (another person signed in on the same browser: the same subscription) only with
    the same keys as stored, p256dh and the auth secret; its owner may change them (issue 25)."""
    if (row["owner_kind"], str(row["owner_id"])) == (heir.kind, str(heir.id)):
        return True
    return _same_secret(row["auth"], sub.auth) and _same_secret(row["p256dh"], sub.p256dh)


def _same_secret(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.rstrip("="), given.rstrip("="))
