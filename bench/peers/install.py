"""The peers' pinned installs, in a cache directory outside git (`.bench-peers/`, reused).

npm: bench/peers/package.json + package-lock.json, copied to .bench-peers/node and installed with
`npm ci` (exact versions from the lock). PyPI: pycrdt-websocket in its own virtual environment
(.bench-peers/pyvenv): it may want another pycrdt than ours and must never enter the project's.
Installed only when the cache does not hold these exact files / versions yet.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent.parent / ".bench-peers"
NODE = CACHE / "node"
PYVENV = CACHE / "pyvenv"
# pycrdt-websocket served by the same uvicorn/websockets/uvloop/httptools versions as ours.
PIP_PINS = ["pycrdt-websocket==0.16.5", "uvicorn==0.55.0", "websockets==17.4", "uvloop==0.23.0",
            "httptools==0.9.0"]


def _run(argv: list[str], cwd: Path | None = None) -> None:
    print(f"bench peers: installing: {' '.join(argv)}", file=sys.stderr, flush=True)
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def ensure() -> dict[str, str]:
    """Install what is missing; returns the installed versions, for the report."""
    NODE.mkdir(parents=True, exist_ok=True)
    lock = (HERE / "package-lock.json").read_bytes()
    if not (NODE / "node_modules").is_dir() or (NODE / "package-lock.json").read_bytes() != lock:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / name, NODE / name)
        # --ignore-scripts: leveldown (an optional store of y-websocket's) would build natively
        _run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=NODE)
    pins = "\n".join(PIP_PINS)
    stamp = PYVENV / "bench-pins.txt"
    if not stamp.exists() or stamp.read_text() != pins:
        if not (PYVENV / "bin" / "python").exists():
            _run([sys.executable, "-m", "venv", str(PYVENV)])
        _run([str(PYVENV / "bin" / "pip"), "install", "-q", *PIP_PINS])
        stamp.write_text(pins)
    return versions()


def versions() -> dict[str, str]:
    import json

    out = {}
    for name in ("@y/websocket-server", "@hocuspocus/server", "yjs", "ws"):
        out[name] = json.loads((NODE / "node_modules" / name / "package.json").read_text())["version"]
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    frozen = subprocess.run([str(PYVENV / "bin" / "pip"), "freeze"], capture_output=True, text=True).stdout
    for line in frozen.splitlines():
        name, _, version = line.partition("==")
        if name.lower() in ("pycrdt-websocket", "pycrdt", "uvicorn"):
            out[f"{name} (peer venv)"] = version
    return out
