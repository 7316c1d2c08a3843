"""A real PostgreSQL server for the tests: Debian's `postgresql`, started by the tests themselves.

`initdb` into a temporary directory and `pg_ctl` on a free port, as the `postgres` user when the
tests run as root (PostgreSQL refuses to run as root). One server per test session; each test gets
a database of its own (`fresh_url()`), dropped when the test ends.

    server = PostgresServer().start()
    url = server.create_database()     # postgresql://sos@127.0.0.1:PORT/t_1
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

BACKEND_ENV = "SOS_TEST_BACKEND"  # "postgresql": the suite runs on PostgreSQL instead of SQLite


def backend() -> str:
    return os.environ.get(BACKEND_ENV, "sqlite")


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test does)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, fsync: bool = False, synchronous_standby: str | None = None, name: str = "",
                 settings: dict[str, str] | None = None, under: str | None = None) -> None:
        """`synchronous_standby`: a commit waits until the standby of that name has it (a primary
        for the fail-over test); commits are then synchronous even without fsync. `settings`: more
        server settings (`-c name=value`), e.g. WAL archiving for the point-in-time recovery test.
        `under`: the directory to make its own in (default: the system's temporary directory)."""
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="sos-pg-", dir=under))
        self.data = self.root / "data"
        self.port = _free_port()
        self.fsync = fsync
        self.synchronous_standby = synchronous_standby
        self.name = name
        self.settings = dict(settings or {})
        self._names = itertools.count(1)
        self._template: str | None = None
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "sos", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self._start()
        return self

    def _start(self) -> None:
        options = [
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.root}",
            "-c max_connections=400", "-c shared_buffers=64MB",
        ]
        if self.name:  # also the name a standby's WAL receiver gives the primary
            options.append(f"-c cluster_name={self.name}")
        if self.synchronous_standby:
            options.append(f"-c synchronous_standby_names={self.synchronous_standby}")
        options += [f"-c {key}={shlex.quote(value)}" for key, value in self.settings.items()]
        if not self.fsync:  # a test server: nothing here must survive a power cut
            options += ["-c fsync=off", "-c full_page_writes=off"]
            if not self.synchronous_standby:
                options.append("-c synchronous_commit=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30",
                  "-o", " ".join(options), "start")

    def start_on_existing_data(self) -> PostgresServer:
        """Start on a data directory put there by other means (a restored backup) instead of initdb."""
        self._start()
        return self

    def start_standby(self, name: str) -> PostgresServer:
        """A hot standby of this server, streaming its WAL: a base backup (`pg_basebackup -R`,
        which also writes the connection to the primary), started on a port of its own."""
        standby = PostgresServer(fsync=self.fsync, name=name)
        if standby.as_root:
            shutil.chown(standby.root, "postgres", "postgres")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "sos",
                  "-D", str(standby.data), "-R", "-X", "stream", "--no-sync")
        standby._start()
        return standby

    def crash(self) -> None:
        """Stop at once, as a machine that dies would (`-m immediate`: no shutdown checkpoint);
        its directory stays until `stop()`."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def promote(self) -> None:
        """Make this standby a primary (`pg_ctl promote`), returning when it accepts writes."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "promote")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://sos@127.0.0.1:{self.port}/{database}"

    def create_database(self, migrated: bool = False) -> str:
        """A new empty database; `migrated`: a copy of one with the application's schema already in
        place (made once per process), which spares each test the ~0.25 s of running the migrations.
        The application still checks the schema version on open and finds nothing to do."""
        name = f"t_{os.getpid()}_{next(self._names)}"
        template = f' TEMPLATE "{self._migrated_template()}"' if migrated else ""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{template}')
        return self.url(name)

    def _migrated_template(self) -> str:
        if self._template is None:
            from app.schema import MIGRATIONS
            from app.storage.postgres import PostgresDatabase

            name = f"template_{os.getpid()}"
            with psycopg.connect(self.url(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            PostgresDatabase(self.url(name), MIGRATIONS).open().close()  # nobody may stay connected
            self._template = name
        return self._template

    def clone(self, template_url: str, url: str) -> None:
        """Make the database of `url` a copy of the one at `template_url` (which nobody may use)."""
        name, template = url.rsplit("/", 1)[1], template_url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            with contextlib.suppress(subprocess.CalledProcessError):  # crashed already
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


_shared: PostgresServer | None = None
_by_path: dict[str, str] = {}


def shared_server() -> PostgresServer:
    """The session's server, started on first use and stopped when the test process exits."""
    global _shared
    if _shared is None:
        _shared = PostgresServer().start()
        atexit.register(_shared.stop)
    return _shared


def url_for(path: object) -> str:
    """A database standing for a SQLite file path: the same path, the same database (a test that
    reopens its file reopens its database)."""
    key = str(path)
    if key not in _by_path:
        _by_path[key] = shared_server().create_database()
    return _by_path[key]
