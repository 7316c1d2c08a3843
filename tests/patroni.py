"""A real Patroni cluster for the fail-over test: Debian's `etcd-server` and `patroni`, started
by the test itself (docs/deploy.md, "Automatic fail-over"; the deployed configuration is
ops/patroni.yml, which `node_config` follows).

One etcd member and two Patroni nodes, each in a temporary directory on free loopback ports, the
nodes running as the `postgres` user when the tests run as root (PostgreSQL refuses root). The
first node to take the leader key bootstraps (initdb); the other clones it with pg_basebackup and
becomes its synchronous standby (`synchronous_mode: true`).

    with PatroniCluster() as pc:
        pc.wait_healthy()                 # a leader and a streaming synchronous standby
        url = pc.create_database()        # on the leader
        pc.leader().kill_postgres()       # SIGKILL the postmaster: Patroni fails over by itself
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from .cluster import free_port
from .pg import _bindir

SCOPE = "sos-test"
# Short timings for a test (the deployed ones are in ops/patroni.yml): the leader key lives 10 s,
# each node looks every second.
DCS = {
    "ttl": 10,
    "loop_wait": 1,
    "retry_timeout": 4,
    "maximum_lag_on_failover": 1048576,
    "synchronous_mode": True,
    # A crashed primary is not restarted in place: its synchronous standby takes over at once.
    "primary_start_timeout": 0,
    "postgresql": {
        "use_pg_rewind": True,
        "parameters": {
            "max_connections": 400,
            "shared_buffers": "64MB",
            "wal_log_hints": "on",
            # A test server: nothing here must survive a power cut (commits still wait for the
            # synchronous standby, which is what the test is about). full_page_writes stays on:
            # pg_rewind, which brings a dead primary back as a standby, refuses without it.
            "fsync": "off",
        },
    },
}


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Etcd:
    """One etcd member (the DCS): a single point of failure here, three members in production."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client_port, self.peer_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def start(self) -> Etcd:
        peer = f"http://127.0.0.1:{self.peer_port}"
        client = f"http://{self.host}"
        with (self.root / "etcd.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["etcd", "--name", "e1", "--data-dir", str(self.root / "etcd"),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", f"e1={peer}", "--initial-cluster-state", "new"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        _wait(lambda: _get_json(f"{client}/health").get("health") == "true", 30, "etcd healthy",
              self.root / "etcd.log")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class PatroniNode:
    def __init__(self, root: Path, name: str, etcd: Etcd) -> None:
        self.root = root / name
        self.name = name
        self.data = self.root / "data"
        self.port = free_port()
        self.api_port = free_port()
        self.etcd = etcd
        self.config = self.root / "patroni.yml"
        self.log = self.root / "patroni.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def node_config(self) -> dict[str, Any]:
        trust = ["local all all trust", "host all all 127.0.0.1/32 trust",
                 "host replication all 127.0.0.1/32 trust"]
        return {
            "scope": SCOPE,
            "name": self.name,
            "restapi": {"listen": f"127.0.0.1:{self.api_port}",
                        "connect_address": f"127.0.0.1:{self.api_port}"},
            "etcd3": {"hosts": [self.etcd.host]},
            "bootstrap": {"dcs": DCS, "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}],
                          "pg_hba": trust},
            "postgresql": {
                "listen": f"127.0.0.1:{self.port}",
                "connect_address": f"127.0.0.1:{self.port}",
                "data_dir": str(self.data),
                "bin_dir": str(_bindir()),
                "pgpass": str(self.root / "pgpass"),
                "pg_hba": trust,
                "authentication": {
                    "superuser": {"username": "sos", "password": "unused-trust-auth"},
                    "replication": {"username": "replicator", "password": "unused-trust-auth"},
                    "rewind": {"username": "sos", "password": "unused-trust-auth"},
                },
                "parameters": {"unix_socket_directories": str(self.root)},
            },
        }

    def start(self) -> PatroniNode:
        self.root.mkdir(parents=True)
        # YAML is a superset of JSON: the file is written as JSON to need no YAML library here.
        self.config.write_text(json.dumps(self.node_config(), indent=2))
        if os.geteuid() == 0:
            for path in (self.root, self.config):
                shutil.chown(path, "postgres", "postgres")
        return self.restart()

    def restart(self) -> PatroniNode:
        """Start Patroni (again) on this node's directory, as a rebooted machine would."""
        # Debian's patroni runs on the system Python: not the tests' virtualenv.
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": str(self.root)}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(_as_postgres(["patroni", str(self.config)]), env=env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def status(self) -> dict[str, Any]:
        """Patroni's own view (GET /patroni); {} when its REST API does not answer."""
        return _get_json(f"http://127.0.0.1:{self.api_port}/patroni")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill_postgres(self) -> int:
        """SIGKILL the postmaster, as the kernel's OOM killer or a crash would: no shutdown.
        Its backends exit when they see it gone; Patroni stays and sees it too."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_node(self) -> None:
        """Everything on the node dies at once, as with a machine that loses power: Patroni
        (SIGKILL, so it cannot give the leader key back: the key must expire, `ttl`) and then
        its PostgreSQL, which runs in a session of its own."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            self.kill_postgres()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://sos@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # Patroni stops its PostgreSQL on SIGTERM (sent to runuser and Patroni, one group).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(self.postmaster_pid(), signal.SIGKILL)  # if Patroni left it running


class PatroniCluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sos-patroni-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.etcd = Etcd(self.root)
        self.nodes = [PatroniNode(self.root, f"pg{i}", self.etcd) for i in (1, 2)]

    def __enter__(self) -> PatroniCluster:
        self.etcd.start()
        self.nodes[0].start()
        _wait(lambda: self.nodes[0].status().get("role") == "master", 60, "the first node leading",
              self.nodes[0].log)
        self.nodes[1].start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            with contextlib.ExitStack() as stack:  # each one stopped even if another fails to
                stack.callback(self.etcd.stop)
                for node in self.nodes:
                    stack.callback(node.stop)
        finally:
            if not os.environ.get("SOS_KEEP_PATRONI"):  # to read every log after a failure
                shutil.rmtree(self.root, ignore_errors=True)

    def members(self) -> list[dict[str, Any]]:
        for node in self.nodes:
            found = _get_json(f"http://127.0.0.1:{node.api_port}/cluster").get("members")
            if found:
                return list(found)
        return []

    def role_of(self, role: str) -> PatroniNode | None:
        """The node the DCS names `role` ("leader", "sync_standby") with PostgreSQL running."""
        for m in self.members():
            if m.get("role") == role and m.get("state") in ("running", "streaming"):
                return next(n for n in self.nodes if n.name == m["name"])
        return None

    def wait_healthy(self, timeout: float = 90) -> tuple[PatroniNode, PatroniNode]:
        """A leader and a synchronous standby that the leader's PostgreSQL itself sees as "sync"."""
        def ready() -> tuple[PatroniNode, PatroniNode] | None:
            leader, standby = self.role_of("leader"), self.role_of("sync_standby")
            if leader is None or standby is None:
                return None
            with psycopg.connect(leader.url(), autocommit=True, connect_timeout=3) as conn:
                row = conn.execute("SELECT sync_state FROM pg_stat_replication"
                                   " WHERE application_name = %s", (standby.name,)).fetchone()
            return (leader, standby) if row is not None and row[0] == "sync" else None

        return _wait(ready, timeout, "a leader and a synchronous standby", *[n.log for n in self.nodes])

    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def create_database(self) -> str:
        leader = self.role_of("leader")
        assert leader is not None
        with psycopg.connect(leader.url(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "sos"')
        return leader.url("sos")

    def drop_database(self, url: str) -> None:
        """The whole cluster goes with the test: nothing to drop."""

    def logs(self) -> str:
        return "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-5000:]}"
                         for p in [self.root / "etcd.log", *(n.log for n in self.nodes)] if p.exists())


def _get_json(url: str) -> dict[str, Any]:
    try:
        r = httpx.get(url, timeout=2)
        return dict(r.json())
    except (httpx.HTTPError, ValueError):
        return {}


def _wait(predicate: Any, timeout: float, what: str, *logs: Path) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.1)
