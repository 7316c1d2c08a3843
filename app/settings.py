"""The one place for settings: the environment, then `.env`, then defaults.

Every setting has an `SOS_` variable. Secrets are never defaults: the signing key is made on first
start and kept in the data directory unless `SOS_SECRET_KEY` gives one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from dotenv import dotenv_values


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    # PostgreSQL for several web processes (app/storage/postgres.py), as
    # postgresql://user:pass@host:port/db; unset: the embedded SQLite file in `data_dir`.
    database_url: str | None = None
    # Media originals and derivatives: on storage every web process and worker reaches
    # (a shared directory) when there are several; unset: `data_dir`/media.
    media_dir: Path | None = None
    secret_key: str | None = None
    # Tokens: a police login lasts a shift; a citizen device keeps its identity for a long time.
    token_ttl_s: int = 12 * 3600
    device_token_ttl_s: int = 5 * 365 * 86400
    # "auto": Secure cookies when the request arrived over HTTPS (directly or via a trusted proxy).
    cookie_secure: str = "auto"
    # Logins (app/identity/throttle.py, docs/security.md): slow the guesser, not the owner.
    # Per source address: after `login_slowdown_after` failures within `login_window_s` each wrong
    # answer is held back (doubling from `login_slowdown_ms`), after `login_address_max_failures`
    # the address is refused (429) for `login_lockout_s`. Per account: after `login_max_failures`
    # (from any addresses) a correct password alone is not enough from an unknown device (it needs
    # a second factor or a known device); after `login_hard_lock_failures` only a known device
    # signs in, and admins see the alert `user.login_locked`.
    login_slowdown_after: int = 3
    login_slowdown_ms: int = 500
    login_address_max_failures: int = 20
    login_max_failures: int = 6
    login_hard_lock_failures: int = 50
    login_window_s: int = 900
    login_lockout_s: int = 900
    login_per_ip_per_hour: int = 100
    # A browser that completed a full sign-in is remembered for this long (HttpOnly signed cookie
    # `sos_known_device`): its owner gets through an account under attack.
    known_device_ttl_s: int = 90 * 86400
    # Second factor (issue 25, docs/security.md): the roles that must have one (comma-separated;
    # add "officer" where the deployment says so). An account of such a role without one may sign
    # in fully for `second_factor_grace_s` after it was created (enrolment time); after that its
    # sign-in opens only an enrolment session.
    second_factor_roles: str = "admin,supervisor,dispatcher"
    second_factor_grace_s: int = 7 * 86400
    # Passkeys (WebAuthn): the relying party id is the request's host name unless set here (a
    # registrable domain, never an IP address); the accepted origins are the request's own origin
    # unless listed here (comma-separated, e.g. "https://sos.example,https://m.sos.example").
    webauthn_rp_id: str = ""
    webauthn_origins: str = ""
    # Citizen abuse limits. Per device is the real limit; per address is only a backstop, set high
    # because mobile carriers put many phones behind one address (carrier-grade NAT).
    devices_per_ip_per_hour: int = 300
    reports_per_device_per_hour: int = 10
    reports_per_ip_per_hour: int = 600
    # A partner system (Open311) per key: every call, reads included.
    partner_calls_per_minute: int = 120
    # Dispatch timers (DESIGN §2).
    triage_timeout_s: int = 60
    ack_timeout_s: int = 120
    # The city's time zone (IANA): every app shows times on its clock, whatever the device's.
    city_timezone: str = "Asia/Ho_Chi_Minh"
    # Front end.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    pwa_dist: Path = Path(__file__).resolve().parent.parent / "pwa" / "dist"
    # Durability: NORMAL in WAL survives a killed process; FULL also survives power loss.
    sqlite_synchronous: str = "NORMAL"
    # Jobs that touch no document (push, media) run inside the web process too, so that one
    # process is a whole deployment; set 0 when `sos worker` runs them (see the Procfile).
    # Jobs that write documents always run in the web process, which owns the documents' rooms.
    inprocess_worker: bool = True
    # How long a process may hold a claimed outbox item before another may take it: what a dead
    # process's work waits, on PostgreSQL, before a survivor runs it.
    outbox_lease_s: int = 60
    # A document nobody uses or watches is unloaded after this long (a reconnecting reader finds
    # it warm before that). Every loaded document is ~15 objects the garbage collector walks in
    # each full collection, which stops the event loop: under a surge of new reports each one
    # leaves three documents loaded (report, incident, reply); reloading a small one costs ~50 µs.
    sync_idle_unload_s: int = 15
    # Every loaded document keeps a shadow copy between changes, so that judging a change costs
    # O(change) (issue 28); all of them stay within this many MiB of estimated memory, the least
    # recently used dropped first (and rebuilt, O(document), on their next change).
    sync_shadow_budget_mib: int = 64
    # Media (media/): limits per file and per report, refused up front (413) and enforced again on
    # the decoded kind; an unfinished upload is discarded after `media_upload_expiry_s`.
    media_photo_max_bytes: int = 20 * 1024 * 1024
    media_video_max_bytes: int = 200 * 1024 * 1024
    media_preview_max_bytes: int = 2 * 1024 * 1024
    media_report_max_bytes: int = 500 * 1024 * 1024
    media_report_max_items: int = 40
    media_upload_expiry_s: int = 7 * 86400
    media_x264_preset: str = "veryfast"
    # Addresses whose X-Forwarded-For/-Proto are believed (the TLS proxy); uvicorn's format.
    trusted_proxies: str = "127.0.0.1"
    # `sos serve` (app/web/serving.py): a client has this long from opening a connection (or from
    # its last answer) to the end of its request's headers, then it is closed (slowloris); an
    # idle keep-alive connection is closed after keep_alive_s (uvicorn's timeout_keep_alive).
    header_timeout_s: int = 10
    keep_alive_s: int = 5
    vapid_subject: str = "mailto:ops@sos-antt.example"
    # Web push (push/, app/incidents/alerts.py). The VAPID key: PEM or raw base64url; when unset it is made
    # on first start and kept in the data directory as vapid_private_key.pem.
    vapid_private_key: str | None = None
    # Evidence (app/evidence/keys.py): the Ed25519 key that signs audit checkpoints and case bundles.
    # PEM (PKCS#8); when unset it is made on first use and kept as evidence_signing_key.pem.
    evidence_private_key: str | None = None
    # The worker signs a checkpoint of the audit log's head this often (app/evidence/checkpoints.py).
    audit_checkpoint_s: int = 24 * 3600
    # Push service hosts the server will POST to (comma-separated, a host covers its subdomains;
    # empty: the browsers' services; "*": any https host). Loopback http only when allowed (tests).
    push_hosts: str = ""
    push_allow_loopback: bool = False
    push_timeout_s: int = 5
    push_ttl_police_s: int = 3600
    push_ttl_citizen_s: int = 86400
    # Officers' positions (issue 16, docs/positions.md). Kept at most this long, then deleted by
    # the `positions.prune` job; the phone sends a fix at most every `position_interval_s` and
    # only after a move of `position_move_m`; the console greys a fix older than `position_stale_s`.
    position_retention_s: int = 24 * 3600
    position_interval_s: int = 15
    position_move_m: int = 25
    position_stale_s: int = 120
    # The console's arrival estimate: straight-line distance at this speed. 20 km/h is a
    # motorbike's average through Ho Chi Minh City's inner wards at busy hours (lights, traffic,
    # one-way streets), and the straight line is shorter than the road; a rough but honest guess.
    city_speed_kmh: int = 20
    # Public warnings (issue 24, docs/warnings.md): the CAP `sender` (a deployment sets its own
    # address or domain), and how many wards one citizen device may follow.
    cap_sender: str = "sos-antt@example.invalid"
    warning_max_areas: int = 10

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: str | Path | None = ".env"
    ) -> Settings:
        values: dict[str, str] = {}
        if dotenv and Path(dotenv).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = values.get("SOS_" + f.name.upper())
            if raw is None:
                continue
            kwargs[f.name] = _parse(f.type, raw, f.name)
        return cls(**kwargs)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sos.db"

    @property
    def media_root(self) -> Path:
        return self.media_dir if self.media_dir is not None else self.data_dir / "media"

    def resolved_secret(self) -> str:
        """The signing key: from the environment, or kept in the data directory (made once)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            write_key_once(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip()


def write_key_once(path: Path, data: bytes) -> None:
    """Keep a newly made key at `path` (mode 0600) unless one is there already. O_EXCL: two
    processes starting at once must not each write a different key; the loser reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _parse(kind: object, raw: str, name: str) -> object:
    text = str(kind)
    try:
        if "bool" in text:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if "int" in text:
            return int(raw)
        if "Path" in text:
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"SOS_{name.upper()}: cannot read {raw!r} as {text}") from exc
    return raw
