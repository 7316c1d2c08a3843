"""Point-in-time recovery of the PostgreSQL database with pgBackRest (docs/deploy.md,
"PostgreSQL: continuous archiving and point-in-time recovery").

A real server archiving its WAL with `pgbackrest archive-push`, a full backup, a real `sos serve`
taking reports A with a differential backup in their middle, then reports B; the moment T picked from the data as an operator would (the
first B report's arrival time); `pgbackrest check` (a WAL switch that returns once the segment
is in the archive). Then, as an operator would: `pgbackrest restore --type=time --target=T` into a new data
directory, a server started on it and promoted at T, and a `sos serve` on the restored database.
It holds every A report exactly once with its incident and no B report; the phone's token from
before T still works and its resent B report is stored once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from .cluster import Cluster, ServerProcess
from .pg import PostgresServer
from .server_checks import wait_for
from .test_fault import report_body

# Its own servers, whatever the pass: run once, in the PostgreSQL pass, as the other multi-process tests are.
pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]

STANZA = "sos"
REPORTS = 6  # in each of A and B


def _ram_disk() -> str | None:
    """pgBackRest fsyncs every file it writes: on a RAM disk the backups and the restore take a
    third of the time they take on this machine's disk (3 s instead of 13 s for the full backup).
    Used when it has room for the repository and a restored server (containers often give 64 MB)."""
    if os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > 1 << 30:
        return "/dev/shm"
    return None


FAST = _ram_disk()


class PgBackRest:
    """pgBackRest for one server: its configuration, repository, logs and locks in a directory of
    its own, every command run as the `postgres` user (as the server is) when the tests are root."""

    def __init__(self) -> None:
        if shutil.which("pgbackrest") is None:
            pytest.fail("pgbackrest is not installed (make servers installs Debian's pgbackrest)")
        self.root = Path(tempfile.mkdtemp(prefix="sos-pgbackrest-", dir=FAST))
        self.config = self.root / "pgbackrest.conf"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def configure(self, server: PostgresServer) -> None:
        # docs/deploy.md's settings, with every path in the test's directory and a server of its own.
        self.config.write_text(
            "[global]\n"
            f"repo1-path={self.root / 'repo'}\n"
            "repo1-retention-full=2\n"
            f"log-path={self.root / 'log'}\n"
            f"lock-path={self.root / 'lock'}\n"
            f"spool-path={self.root / 'spool'}\n"
            "log-level-console=warn\n"
            "start-fast=y\n"
            "compress-type=lz4\n"
            "archive-timeout=30\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={server.data}\n"
            f"pg1-port={server.port}\n"
            f"pg1-socket-path={server.root}\n"
            "pg1-user=sos\n"
        )

    def archive_command(self) -> str:
        return f"pgbackrest --config={self.config} --stanza={STANZA} archive-push %p"

    def run(self, *args: str) -> str:
        command = ["pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        out = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{' '.join(args)}: {out.stdout}{out.stderr}"
        return out.stdout

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def archived() -> Iterator[tuple[PostgresServer, PgBackRest]]:
    """A server whose every WAL segment goes to pgBackRest's repository, and a full backup of it."""
    backrest = PgBackRest()
    server = PostgresServer()
    backrest.configure(server)
    server.settings = {"archive_mode": "on", "archive_command": backrest.archive_command(),
                       "wal_level": "replica"}
    try:
        server.start()
        backrest.run("stanza-create")
        backrest.run("check")
        yield server, backrest
    finally:
        server.stop()
        backrest.remove()


_bodies: dict[str, bytes] = {}


def send(server: ServerProcess, token: str, report_id: str) -> httpx.Response:
    """A phone sends a report; sent again, it is the same bytes (the phone's stored document)."""
    body = _bodies.setdefault(report_id, report_body(report_id))
    return httpx.post(f"{server.url}/sync/report/{report_id}", content=body,
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/octet-stream"}, timeout=10)


def test_a_restore_to_a_chosen_moment_has_the_reports_before_it_and_none_after(
    archived: tuple[PostgresServer, PgBackRest], tmp_path: Path
) -> None:
    primary, backrest = archived
    started = time.monotonic()
    cluster = Cluster(primary, tmp_path, reports_per_device_per_hour=1000)
    database = cluster.database_url.rsplit("/", 1)[1]
    (web,) = cluster.start(1)
    restored: PostgresServer | None = None
    try:
        backrest.run("backup", "--type=full")  # the nightly full backup, taken while serving
        token = httpx.post(f"{web.url}/api/citizen/devices").json()["token"]

        a = [str(uuid.uuid4()) for _ in range(REPORTS)]
        for i, report_id in enumerate(a):
            if i == REPORTS // 2:  # the next night's differential backup, in the middle of A
                backrest.run("backup", "--type=diff")
                # pgBackRest keeps a backup's stop time in whole seconds and restores to T from the
                # latest backup that stopped before T: on a quiet machine the rest of A and the
                # first B fit in the diff's last second, and the full backup alone was chosen.
                stop = json.loads(backrest.run("info", "--output=json"))[0]["backup"][-1]["timestamp"]["stop"]
                wait_for(lambda stop=stop: time.time() >= stop + 1, what="the diff backup's stop second to pass")
            assert send(web, token, report_id).status_code == 200
        b = [str(uuid.uuid4()) for _ in range(REPORTS)]
        for report_id in b:
            assert send(web, token, report_id).status_code == 200
        # T picked as docs/deploy.md says: the arrival of the first report to be undone (it commits
        # after it arrives; every A report was acknowledged, so committed, before it arrived).
        with psycopg.connect(cluster.database_url) as conn:
            (moment,) = conn.execute("SELECT to_timestamp(arrived_at)::text FROM reports WHERE id = %s",
                                     (b[0],)).fetchone() or ("",)
        backrest.run("check")  # switches to a new WAL segment and waits until it is archived
        web.stop()

        # The restore, as docs/deploy.md tells it: a new, empty data directory, recovery to T.
        restored = PostgresServer(under=FAST)
        if restored.as_root:
            shutil.chown(restored.root, "postgres", "postgres")
        diff = json.loads(backrest.run("info", "--output=json"))[0]["backup"][-1]
        assert diff["type"] == "diff", diff
        log = backrest.run("restore", f"--pg1-path={restored.data}", "--type=time", f"--target={moment}",
                           "--target-action=promote", "--log-level-console=info")
        assert f"restore backup set {diff['label']}" in log, log  # the latest before T: full + diff
        restored.start_on_existing_data()
        url = restored.url(database)

        def promoted() -> bool:
            with psycopg.connect(url) as conn:
                return (conn.execute("SELECT pg_is_in_recovery()").fetchone() or (True,))[0] is False

        wait_for(promoted, timeout=30, what="the restored server to reach T and accept writes")

        def counts(sql: str) -> Counter[str]:
            with psycopg.connect(url) as conn:
                return Counter(str(r[0]) for r in conn.execute(sql))

        reports, incidents = counts("SELECT id FROM reports"), counts("SELECT id FROM incidents")
        assert reports == Counter(a), f"restored to {moment}: {reports}"
        assert incidents == Counter(a)
        assert not set(b) & set(reports)

        # The application runs on the restored database: the phone's token from before T works,
        # and a B report sent again (lost by the restore) is stored once.
        cluster.env["SOS_DATABASE_URL"] = url
        (again,) = cluster.start(1)
        assert send(again, token, b[0]).status_code == 200
        assert send(again, token, b[0]).status_code == 200
        assert counts("SELECT id FROM reports") == Counter([*a, b[0]])
        elapsed = time.monotonic() - started
        print(f"restored to {moment}: {len(a)} reports before, {len(b)} after; {elapsed:.1f} s")
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        for server in cluster.servers:
            server.stop()
        if restored is not None:
            restored.stop()
