"""Several real `sos serve` processes on one PostgreSQL database, for the scale-out tests.

Each process is the installed command line in a process of its own (not a thread of the test), so
that one can be SIGKILLed; they share the database, the signing key and the media directory, as
the processes of a real deployment do (docs/deploy.md).

    cluster = Cluster(postgres, tmp_path)
    a, b = cluster.start(2)
    token = cluster.login("dp", "dispatcher", via=a)
    a.kill()                      # SIGKILL, mid-stream
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.pg import PostgresServer

PASSWORD = "correct horse battery"
SOS = Path(sys.executable).with_name("sos")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """One `sos serve` on a free port; its output goes to a log file the failures show."""

    def __init__(self, env: dict[str, str], log: Path, name: str) -> None:
        self.env = env
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(SOS), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not come up in 30 s:\n{self.log.read_text()[-3000:]}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever was in flight is cut."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Cluster:
    """N web processes sharing one fresh PostgreSQL database, a key and a media directory."""

    def __init__(self, postgres: PostgresServer, root: Path, **settings: Any) -> None:
        self.postgres = postgres
        self.root = root
        self.database_url = postgres.create_database()
        self.env = {
            **os.environ,
            "SOS_DATABASE_URL": self.database_url,
            "SOS_DATA_DIR": str(root / "data"),
            "SOS_MEDIA_DIR": str(root / "shared-media"),
            "SOS_SECRET_KEY": "cluster-test-key-not-for-production",
            "SOS_LOGIN_SLOWDOWN_MS": "1",
            "SOS_TRIAGE_TIMEOUT_S": "3600",
            "SOS_ACK_TIMEOUT_S": "3600",
        }
        self.env.pop("SOS_TEST_BACKEND", None)
        for key, value in settings.items():
            self.env[f"SOS_{key.upper()}"] = str(value)
        self.servers: list[ServerProcess] = []

    def start(self, n: int) -> list[ServerProcess]:
        # The first one migrates and seeds; the others start side by side on the finished schema.
        first = len(self.servers)
        for i in range(n):
            name = chr(ord("A") + first + i)
            server = ServerProcess(self.env, self.root / f"{name}.log", name)
            self.servers.append(server)
            if i == 0:
                server.start()
        for server in self.servers[first + 1 :]:
            server.start()
        return self.servers[first:]

    def sos(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [str(SOS), *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=60,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def login(self, role: str, unit: str | None = None, via: ServerProcess | None = None) -> tuple[str, str]:
        """A new account of `role` made with `sos user add`; (bearer token, user id) from `via`."""
        username = f"{role[:2]}-{uuid.uuid4().hex[:8]}"
        args = ["user", "add", username, "--role", role, "--password-stdin"]
        if unit:
            args += ["--unit", unit]
        self.sos(*args, stdin=PASSWORD + "\n")
        server = via or self.servers[0]
        r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["token"]), str(r.json()["user"]["id"])

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        from app.storage.postgres import translate

        with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
            return list(conn.execute(translate(sql) if args else sql, args or None).fetchall())

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.postgres.drop_database(self.database_url)

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.log.read_text()[-4000:]}" for s in self.servers if s.log.exists())


@contextlib.contextmanager
def running(postgres: PostgresServer, root: Path, **settings: Any) -> Iterator[Cluster]:
    """A cluster for one test: its processes' logs printed if the test fails, everything stopped."""
    cluster = Cluster(postgres, root, **settings)
    try:
        yield cluster
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        cluster.stop()
