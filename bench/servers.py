"""Server processes for the benchmarks: started on a free loopback port, watched through /proc.

    with ServerProcess.app(data_dir) as server:      # `python -m app.cli serve`, like production
        server.rss_bytes(); server.cpu_seconds()

Every server gets the same uvicorn settings as `sos serve` (see `uvicorn_options`): one worker,
uvicorn's default loop/http/ws implementations, access log on. Its output goes to a log file in
its data directory, never to the benchmark's stdout.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from app.cli import WEBSOCKET_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def uvicorn_options(port: int) -> dict[str, Any]:
    """What `app.cli serve` passes to uvicorn.run (keep in step with it), so that the baseline
    and the engine-only app run the same server as the app."""
    return {
        "host": HOST,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": "127.0.0.1",
        **WEBSOCKET_OPTIONS,
        "log_level": "info",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit (10,000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class ServerProcess:
    """One server process on a free port; `stop()` (or the context manager) ends it."""

    def __init__(
        self, name: str, argv: list[str], data_dir: Path, env: dict[str, str], root: Path = ROOT
    ) -> None:
        self.name = name
        self.root = root  # the source tree the server runs from (another checkout, to compare)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.ws_url = f"ws://{HOST}:{self.port}"
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"{name}-{self.port}.log"
        self.argv = [sys.executable, *argv, "--port", str(self.port)]
        self.env = {**os.environ, **env, "PYTHONPATH": str(root)}
        self.proc: subprocess.Popen[bytes] | None = None

    # -- the three kinds of server ---------------------------------------------------------------
    @classmethod
    def app(cls, data_dir: Path, root: Path = ROOT) -> ServerProcess:
        """The real app, exactly as deployed: `python -m app.cli serve`. Rate limits off."""
        env = {
            "SOS_DATA_DIR": str(data_dir),
            "SOS_SECRET_KEY": "bench-secret-not-for-production",
            "SOS_REPORTS_PER_DEVICE_PER_HOUR": "100000000",
            "SOS_REPORTS_PER_IP_PER_HOUR": "100000000",
            "SOS_DEVICES_PER_IP_PER_HOUR": "100000000",
            # Long timers: no escalation job may fire inside a measurement.
            "SOS_TRIAGE_TIMEOUT_S": "86400",
            "SOS_ACK_TIMEOUT_S": "86400",
        }
        return cls("app", ["-m", "app.cli", "serve"], data_dir, env, root)

    @classmethod
    def echo(cls, data_dir: Path) -> ServerProcess:
        """The baseline: a bare Starlette JSON echo under the same uvicorn settings."""
        return cls("echo", ["-m", "bench.echo"], data_dir, {})

    @classmethod
    def floor(cls, data_dir: Path, without: str = "") -> ServerProcess:
        """The least a durable CRDT report ingest does on this stack (see bench/floor.py)."""
        argv = ["-m", "bench.floor", "--data", str(data_dir)]
        return cls("floor", argv + (["--without", without] if without else []), data_dir, {})

    @classmethod
    def toy(cls, data_dir: Path, idle_unload_s: float = 60.0) -> ServerProcess:
        """The sync engine alone (bench kinds, no domain), for fan-out and memory."""
        argv = ["-m", "bench.toyapp", "--data", str(data_dir), "--idle-unload", str(idle_unload_s)]
        return cls("toy", argv, data_dir, {})

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> ServerProcess:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

        def limits() -> None:  # in the child, before exec: room for 10,000 sockets
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=limits,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what it costs ---------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK
