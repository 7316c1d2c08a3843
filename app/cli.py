"""The `sos` command: serve, worker, seed-demo, wards import, user add/disable/enable/reset-password/
import/sessions, partner add/revoke, backup / backup verify / restore, audit verify / checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from app.services import CLI_ACTOR, Services, importing, warn_of_placeholder_contact
from app.settings import Settings

DEMO_PASSWORD_ENV = "SOS_DEMO_PASSWORD"
# Demo data only: `sos seed-demo` prints these. Never run seed-demo on a real deployment.
DEMO_USERS = [
    ("dispatcher", "dispatcher", None, "Điều phối viên TTTTCH"),
    ("supervisor", "supervisor", None, "Lãnh đạo chỉ huy"),
    ("admin", "admin", None, "Quản trị hệ thống"),
    ("phumy1", "officer", "ward-26704", "CBCS Công an phường Phú Mỹ"),
    ("tanphu1", "officer", "ward-27031", "CBCS Công an phường Tân Phú"),
    ("traffic1", "officer", "dept-traffic", "CBCS Cảnh sát giao thông"),
    ("fire1", "officer", "dept-fire", "CBCS Cảnh sát PCCC và CNCH"),
]


def _services(role: str = "web") -> Services:
    return Services.build(Settings.from_env(), role=role).start()


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """SOS ANTT: emergency incident reporting and dispatch. Data directory: $SOS_DATA_DIR (./data)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# uvicorn's WebSocket settings, also used by the benchmarks' servers (bench/servers.py); the
# Procfile runs `sos serve`, so it has them (and the header deadline) too.
WEBSOCKET_OPTIONS: dict[str, Any] = {
    # The sync engine refuses updates far smaller than this; a lower frame cap stops a client
    # from making the server buffer 16 MiB (uvicorn's default) before refusing it.
    "ws_max_size": 2 * 1024 * 1024,
    # Yjs updates are small binary messages: deflate halves neither their size nor the wait, but
    # doubles fan-out CPU and the memory of every idle connection (bench/RESULTS.md).
    "ws_per_message_deflate": False,
}
# uvicorn's own WebSocket protocol plus pre-framed broadcasts: one frame per broadcast, the same
# bytes to every reader (sync/preframed.py). Apart from WEBSOCKET_OPTIONS, which the benchmark's
# peers run with too.
WEBSOCKET_PROTOCOL = "sync.preframed:PreframedWebSockets"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and the sync endpoints."""
    import uvicorn

    from app.main import serving

    settings = Settings.from_env()
    warn_of_placeholder_contact(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        **WEBSOCKET_OPTIONS,
        ws=WEBSOCKET_PROTOCOL,
        # Slow request headers close the connection (slowloris, issue 25); idle ones too.
        http=serving.with_header_deadline(settings.header_timeout_s),
        timeout_keep_alive=settings.keep_alive_s,
        # The consoles' server-sent position streams (app/web/positions.py) never end by
        # themselves, and uvicorn waits for every open response before it stops: without a limit
        # a restart would hang as long as a console stays open. EventSource reconnects by itself.
        timeout_graceful_shutdown=10,
        log_level="info",
    )


@main.command()
@click.option("--metrics-port", default=0, show_default=True, type=int,
              help="Serve this process's metrics (Prometheus text) on 127.0.0.1:PORT; 0: none.")
def worker(metrics_port: int) -> None:
    """Run the background jobs that touch no document (push, media) as their own process."""
    svc = _services(role="worker")
    warn_of_placeholder_contact(svc.settings)
    metrics = None
    if metrics_port:
        from app.main import metrics_web

        metrics = metrics_web.serve_for_worker(svc, metrics_port)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await svc.start_async()  # starts the media and push workers of this role
        await svc.worker.start()
        click.echo("worker running; Ctrl-C to stop")
        await stopping.wait()
        await svc.worker.stop()
        await svc.stop_async()

    try:
        asyncio.run(run())
    finally:
        if metrics is not None:
            metrics.shutdown()
        svc.stop()


@main.group()
def user() -> None:
    """Police accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["officer", "dispatcher", "supervisor", "admin"]))
@click.option("--unit", default=None, help="Unit code, e.g. ward-26704 (required for officers).")
@click.option("--name", "display_name", default=None, help="Name shown in the apps.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--replace", is_flag=True, help="Reset the password, role and unit of an existing user.")
def user_add(
    username: str, role: str, unit: str | None, display_name: str | None, password_stdin: bool, replace: bool
) -> None:
    """Create a police account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    svc = _services()
    try:
        user_id = svc.accounts.create_sync(username, password, role, unit, display_name, replace=replace)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        svc.stop()
    click.echo(f"user {username} ({role}{', ' + unit if unit else ''}) saved as #{user_id}")


def _lifecycle(action: Any) -> Any:
    """Run a lifecycle operation with a fresh Services; refusals become a clear message."""
    from starlette.exceptions import HTTPException  # the app's refusals (ApiError) are these

    svc = _services()
    try:
        return action(svc)
    except HTTPException as exc:
        raise click.ClickException(str(exc.detail)) from exc
    finally:
        svc.stop()


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account: refused at once, every session ended (open connections too)."""
    _, ended = _lifecycle(lambda svc: svc.lifecycle.disable_sync(CLI_ACTOR, username))
    click.echo(f"user {username}: disabled; {len(ended)} session(s) ended")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable a disabled account again (its old sessions stay ended)."""
    _lifecycle(lambda svc: svc.lifecycle.enable_sync(CLI_ACTOR, username))
    click.echo(f"user {username}: enabled")


@user.command("reset-password")
@click.argument("username")
def user_reset_password(username: str) -> None:
    """Give USERNAME a one-time password (printed once) to change at the next sign-in."""
    password, ended = _lifecycle(lambda svc: svc.lifecycle.reset_password_sync(CLI_ACTOR, username))
    click.echo(f"user {username}: {len(ended)} session(s) ended; one-time password (shown once, "
               "to be changed at the next sign-in):")
    click.echo(password)


@user.command("sessions")
@click.argument("username")
@click.option("--end", is_flag=True, help="End all of them.")
def user_sessions(username: str, end: bool) -> None:
    """List USERNAME's live sessions (or end them all with --end)."""
    def run(svc: Services) -> Any:
        if end:
            return svc.lifecycle.end_sessions_sync(CLI_ACTOR, username)
        return svc.lifecycle.sessions_sync(username)

    result = _lifecycle(run)
    if end:
        click.echo(f"user {username}: {len(result)} session(s) ended")
        return
    for s in result:
        click.echo(f"{s['id']}  {s['device'] or '?':<24} {s['ip'] or '-':<15} since "
                   f"{_when(s['created_at'])}, last {_when(s['last_seen_at'])}")
    click.echo(f"{len(result)} live session(s)")


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


@user.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the set-up links to this file (mode 0600) instead of printing them.")
@click.option("--origin", default=None, envvar="SOS_PUBLIC_URL",
              help="The address people open, e.g. https://sos.example.vn ($SOS_PUBLIC_URL).")
def user_import(file: str, out: str | None, origin: str | None) -> None:
    """Create the accounts of a CSV file (username,display_name,role,unit,phone; a header row;
    UTF-8), all or none, each with a one-time set-up link valid 7 days. The server keeps only
    the links' hashes: this output is the only copy."""
    data = Path(file).read_bytes()
    svc = _services()
    try:
        # The number of accounts is known once the file is read: the bar starts with it.
        with contextlib.ExitStack() as stack:
            bars: list[Any] = []

            def progress(done: int, total: int) -> None:
                if not bars:
                    bars.append(stack.enter_context(
                        click.progressbar(length=total, label="creating accounts", file=sys.stderr)
                    ))
                bars[0].update(done - bars[0].pos)

            created = svc.lifecycle.import_users_sync(data, CLI_ACTOR, progress)
    except importing.ImportRefused as exc:
        for problem in exc.problems:
            click.echo(f"line {problem.line}, {problem.field}: {problem.message}", err=True)
        raise click.ClickException(str(exc)) from exc
    finally:
        svc.stop()
    base = origin or "https://<server>"
    lines = ["username,role,setup_url,expires"]
    for c in created:
        expires = datetime.datetime.fromtimestamp(c.expires, datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")
        lines.append(f"{c.username},{c.role},{importing.setup_url(base, c.role, c.token)},{expires}")
    text = "\n".join(lines) + "\n"
    if out:
        # Created with 0600 from the start: never readable by others, not even for a moment.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"{len(created)} account(s) created; set-up links (valid 7 days, one use) in {out}")
    else:
        click.echo(text, nl=False)
        click.echo(f"{len(created)} account(s) created; set-up links valid 7 days, one use each", err=True)


@main.group()
def wards() -> None:
    """Wards and their boundaries."""


@wards.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def wards_import(file: str) -> None:
    """Import ward boundaries from a GeoJSON FeatureCollection (properties.code = official code)."""
    from tqdm import tqdm

    from app.directory.routing import BoundaryImportError

    svc = _services()
    try:
        with tqdm(unit=" wards", desc="importing", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            result = svc.directory.import_geojson(file, progress=progress)
    except BoundaryImportError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        svc.stop()
    click.echo(result.summary())


@wards.command("approximate")
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write (default: the shipped file).")
def wards_approximate(out: str | None) -> None:
    """Generate the APPROXIMATE boundaries of all 168 wards (app/directory/approximate.py)."""
    from app.directory import approximate

    started = time.monotonic()
    path = Path(out) if out else approximate.OUTPUT
    features, size = approximate.write(path)
    click.echo(f"{path}: {features} approximate ward boundaries, {size} bytes, "
               f"{time.monotonic() - started:.1f} s")


@main.group()
def partner() -> None:
    """Partner systems that send reports over Open311 (docs/channels.md)."""


@partner.command("add")
@click.argument("name")
def partner_add(name: str) -> None:
    """Make an API key for NAME and print it, once: only its hash is kept."""
    svc = _services()
    try:
        key = svc.partners.add_sync(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        svc.stop()
    click.echo(f"partner {name}: API key (shown once, keep it safe):")
    click.echo(key)


@partner.command("revoke")
@click.argument("name")
def partner_revoke(name: str) -> None:
    """Refuse NAME's key from now on; its reports stay."""
    svc = _services()
    try:
        svc.partners.revoke_sync(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        svc.stop()
    click.echo(f"partner {name}: key revoked")


@main.command("seed-demo")
def seed_demo() -> None:
    """Seed the directory and demo accounts, and print the demo logins."""
    password = os.environ.get(DEMO_PASSWORD_ENV, "sos-demo-2026")
    svc = _services()
    try:
        for username, role, unit, name in DEMO_USERS:
            svc.accounts.create_sync(username, password, role, unit, name, replace=True)
        grace_ends = _demo_second_factor_grace(svc)
        from app.directory import approximate

        approximate.load(svc.directory)
    finally:
        svc.stop()
    click.echo(
        "Demo data ready (directory, APPROXIMATE boundaries of the 168 wards - import the official"
        " ones with `sos wards import` -, demo accounts)."
    )
    roles = svc.settings.second_factor_roles or "none"
    click.echo(
        f"Second factor (required for: {roles}): the demo accounts sign in with the password alone "
        f"until {time.strftime('%Y-%m-%d %H:%M', time.localtime(grace_ends))} (enrolment grace; "
        "seed-demo again restarts it). SOS_SECOND_FACTOR_ROLES= (empty) turns the requirement off, "
        "SOS_SECOND_FACTOR_ROLES=admin,supervisor,dispatcher,officer turns it on for those roles."
    )
    click.echo(f"Demo logins (password for all: {password}):")
    for username, role, unit, _ in DEMO_USERS:
        where = {"officer": "/officer/"}.get(role, "/center/")
        click.echo(f"  {username:<12} {role:<11} {unit or '':<13} -> {where}")
    click.echo("Citizen app: / (no login needed)")


def _demo_second_factor_grace(svc: Services) -> float:
    """Demo accounts are new again: inside the second factor's enrolment grace, with no factor
    (so the printed logins work), whatever was enrolled before. Returns when the grace ends."""
    now = time.time()

    def refresh(tx: Any) -> None:
        for username, *_ in DEMO_USERS:
            user_id = tx.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0]
            tx.execute("UPDATE users SET created_at = ? WHERE id = ?", (now, user_id))
            svc.factors.reset(tx, int(user_id))

    svc.db.write_sync(refresh)
    return now + svc.settings.second_factor_grace_s


def _bar(label: str, total: int) -> Any:
    return click.progressbar(length=max(total, 1), label=label, file=sys.stderr)


@main.command("backup")
@click.argument("args", nargs=-1, required=True, metavar="DIR | verify DIR")
@click.option("--since", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="An earlier backup to take unchanged media from (default: the newest beside DIR).")
def backup(args: tuple[str, ...], since: Path | None) -> None:
    """Back up the deployment into a new DIR, or check a backup (verify DIR).

    `sos backup DIR`: the database (online, while the server runs), the keys and the media into a
    new or empty DIR, with a manifest of SHA-256 sums; unchanged media is hard-linked from an
    earlier backup. `sos backup verify DIR`: exit 0 when every file matches the manifest, else 1
    naming the first that does not. docs/deploy.md, "Backups (embedded)"."""
    from app import backup as backups

    try:
        if args[0] == "verify":
            if len(args) != 2:
                raise click.UsageError("sos backup verify DIR")
            manifest = backups.verify(Path(args[1]), _bar)
            click.echo(f"{args[1]}: {len(manifest['files'])} file(s) match the manifest "
                       f"(made {manifest['created']})")
            return
        if len(args) != 1:
            raise click.UsageError("sos backup DIR  or  sos backup verify DIR")
        summary = backups.make_backup(Settings.from_env(), Path(args[0]), since, _bar)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    linked = f", {summary.linked} unchanged linked from {summary.since}" if summary.since else ""
    click.echo(f"backup in {args[0]}: {summary.files} file(s); {summary.copied} copied "
               f"({summary.bytes_copied / 1e6:.1f} MB){linked}")
    if summary.database_at:
        click.echo(f"database as it was at {summary.database_at}")


@main.group()
def audit() -> None:
    """The audit log's hash chain and its signed checkpoints (docs/evidence.md)."""


@audit.command("verify")
@click.option("--checkpoints", "checkpoint_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="The checkpoint files to check (default: $SOS_DATA_DIR/audit/checkpoints).")
def audit_verify(checkpoint_dir: Path | None) -> None:
    """Walk the whole chain, then check every checkpoint. Exit 0 when whole, else 1 naming the
    first broken entry and what is wrong with it."""
    from app.evidence import audit_cli
    from app.services import open_database

    settings = Settings.from_env()
    audit_cli.verify(settings, open_database(settings).open(), checkpoint_dir, _bar)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the chain's head now (the worker makes one daily)."""
    from app.evidence import audit_cli
    from app.services import open_database

    settings = Settings.from_env()
    audit_cli.checkpoint(settings, open_database(settings).open())


@main.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore(directory: Path) -> None:
    """Fill an empty (or absent) $SOS_DATA_DIR from the backup DIRECTORY, after verifying it.
    Stop the server first; start it on the restored directory afterwards."""
    from app import backup as backups

    settings = Settings.from_env()
    try:
        manifest = backups.restore(settings, directory, _bar)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {len(manifest['files'])} file(s) from {directory} (made "
               f"{manifest['created']}, schema version {manifest['schema_version']}) into "
               f"{settings.data_dir}")


@main.group()
def evidence() -> None:
    """Evidence (issue 27, docs/evidence.md): check a case bundle."""


@evidence.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The public key published at /api/evidence/key (PEM); else the bundle's own.")
def evidence_verify(bundle: Path, key: Path | None) -> None:
    """Check BUNDLE (an evidence.zip) offline: exit 0 when intact, else 1 naming the first bad file."""
    from app.evidence.verify import say, verify_bundle

    sys.exit(say(verify_bundle(bundle, key.read_bytes() if key else None)))


if __name__ == "__main__":
    main()
