"""The `sos` command: seed-demo makes a usable demo, user add reads the password from stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from app.cli import DEMO_USERS, WEBSOCKET_OPTIONS, main
from app.settings import Settings

from .conftest import LiveServer

DATABASE: dict[str, str | None] = {"url": None}


@pytest.fixture(autouse=True)
def _database(database_url: str | None) -> None:
    DATABASE["url"] = database_url  # the CLI and the servers below use it on PostgreSQL


def run(args: list[str], data_dir: Path, stdin: str | None = None):
    env = {"SOS_DATA_DIR": str(data_dir), "SOS_SECRET_KEY": "cli-test"}
    if DATABASE["url"]:
        env["SOS_DATABASE_URL"] = DATABASE["url"]
    return CliRunner().invoke(main, args, input=stdin, env=env, catch_exceptions=False)


def test_seed_demo_then_serve_then_the_demo_dispatcher_signs_in(tmp_path: Path) -> None:
    result = run(["seed-demo"], tmp_path)
    assert result.exit_code == 0, result.output
    for username, *_ in DEMO_USERS:
        assert username in result.output
    assert "sos-demo-2026" in result.output
    # The demo says how it stays usable although dispatchers must have a second factor.
    assert "SOS_SECOND_FACTOR_ROLES" in result.output and "enrolment grace" in result.output
    # Running it again is harmless (accounts are reset, nothing duplicated).
    assert run(["seed-demo"], tmp_path).exit_code == 0

    server = LiveServer(Settings(data_dir=tmp_path, secret_key="cli-test", database_url=DATABASE["url"])).start()
    try:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        assert "SOS ANTT" in httpx.get(f"{server.url}/").text
        assert "/center/manifest.webmanifest" in httpx.get(f"{server.url}/center/").text
        r = httpx.post(f"{server.url}/api/auth/login", json={"username": "dispatcher", "password": "sos-demo-2026"})
        assert r.status_code == 200
        assert r.json()["user"]["role"] == "dispatcher"
        r = httpx.post(f"{server.url}/api/auth/login", json={"username": "phumy1", "password": "sos-demo-2026"})
        assert r.json()["user"]["unit"] == "ward-26704"
    finally:
        server.stop()


def test_user_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    result = run(["user", "add", "lan", "--role", "officer", "--unit", "ward-27031", "--password-stdin"], tmp_path, "a long secret\n")
    assert result.exit_code == 0, result.output
    assert "lan" in result.output
    # Refusals are clear and change nothing.
    again = run(["user", "add", "lan", "--role", "officer", "--unit", "ward-27031", "--password-stdin"], tmp_path, "another secret\n")
    assert again.exit_code != 0 and "already exists" in again.output
    no_unit = run(["user", "add", "minh", "--role", "officer", "--password-stdin"], tmp_path, "a long secret\n")
    assert no_unit.exit_code != 0 and "unit" in no_unit.output
    short = run(["user", "add", "minh", "--role", "dispatcher", "--password-stdin"], tmp_path, "short\n")
    assert short.exit_code != 0 and "at least" in short.output

    server = LiveServer(Settings(data_dir=tmp_path, secret_key="cli-test", database_url=DATABASE["url"])).start()
    try:
        r = httpx.post(f"{server.url}/api/auth/login", json={"username": "lan", "password": "a long secret"})
        assert r.status_code == 200 and r.json()["user"]["unit"] == "ward-27031"
    finally:
        server.stop()


def test_the_procfile_serves_as_sos_serve_does() -> None:
    """`sos serve` sets what a bare uvicorn command line cannot: the WebSocket options, and the
    deadline on request headers (a protocol class, issue 25)."""
    web = next(line for line in (Path(__file__).parent.parent / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert " sos serve " in web and "uvicorn" not in web, web
    assert WEBSOCKET_OPTIONS == {"ws_max_size": 2 * 1024 * 1024, "ws_per_message_deflate": False}


def test_a_started_server_keeps_its_start_up_objects_out_of_the_collectors_walks(
    tmp_path: Path,
) -> None:
    # In a fresh process: the freeze happens once per process, at the first start-up.
    script = """
import gc, sys
from pathlib import Path
from starlette.testclient import TestClient
from app.main import create_app
from app.settings import Settings
app = create_app(Settings(data_dir=Path(sys.argv[1]), secret_key="t", inprocess_worker=False,
                          sync_idle_unload_s=7, sync_shadow_budget_mib=3))
svc = app.state.services
assert svc.sync.documents.idle_unload_s == 7
assert svc.sync.documents.shadows.budget == 3 * 1024 * 1024
tracked = lambda: any(o is svc for o in gc.get_objects())  # frozen objects are not listed
assert tracked() and gc.get_freeze_count() == 0
with TestClient(app) as client:
    assert client.get("/healthz").status_code == 200
    assert not tracked() and gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    assert gc.get_threshold() == (20_000, 20, 20)
print("frozen", gc.get_freeze_count())
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "frozen" in done.stdout


def test_a_first_seed_demo_logs_one_line_and_no_warning(tmp_path: Path) -> None:
    """A newcomer's `make run` read 13 migration lines and a push warning as a broken set-up: a
    fresh data directory now says it is creating the database, once, and nothing is a warning.
    The placeholder VAPID contact is still told, once, by the command that serves."""
    env = {"PATH": "/usr/bin:/bin", "SOS_DATA_DIR": str(tmp_path / "data"), "SOS_SECRET_KEY": "cli-test"}
    if DATABASE["url"]:
        env["SOS_DATABASE_URL"] = DATABASE["url"]
    done = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "seed-demo"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    logged = [line for line in done.stderr.splitlines() if line.strip()]
    assert not [line for line in logged if " WARNING " in line], logged
    database_lines = [line for line in logged if "database" in line]
    if DATABASE["url"] is None:  # a PostgreSQL database of the tests may be migrated already
        assert len(database_lines) == 1 and "creating the database" in database_lines[0], logged
    assert len(database_lines) <= 1, logged
    assert "Demo logins" in done.stdout


def test_serving_tells_of_the_placeholder_push_contact_once(caplog: pytest.LogCaptureFixture) -> None:
    from app.incidents.alerts import warn_of_placeholder_contact

    with caplog.at_level("WARNING"):
        warn_of_placeholder_contact(Settings(vapid_subject="mailto:ops@sos-antt.example"))
        warn_of_placeholder_contact(Settings(vapid_subject="mailto:ops@police.hochiminhcity.gov.vn"))
    assert [r.getMessage() for r in caplog.records if "SOS_VAPID_SUBJECT" in r.getMessage()] == [
        "web push: SOS_VAPID_SUBJECT 'mailto:ops@sos-antt.example' is a placeholder (sos-antt.example "
        "is a reserved domain); fine for a demo, set a real mailto: or https: contact before real "
        "phones use it"
    ]
