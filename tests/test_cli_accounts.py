"""Issue 25: `sos user disable|enable|reset-password|sessions|import` against a running server."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from app.cli import main
from app.settings import Settings

from .conftest import PASSWORD, LiveServer


@pytest.fixture
def server(tmp_path: Path, database_url: str | None) -> Iterator[LiveServer]:
    s = LiveServer(Settings(data_dir=tmp_path, secret_key="cli-test", database_url=database_url)).start()
    try:
        yield s
    finally:
        s.stop()


def sos(server: LiveServer, *args: str, stdin: str | None = None, ok: bool = True):
    env = {"SOS_DATA_DIR": str(server.settings.data_dir), "SOS_SECRET_KEY": "cli-test"}
    if server.settings.database_url:
        env["SOS_DATABASE_URL"] = server.settings.database_url
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


def sign_in(server: LiveServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": password})


def me(server: LiveServer, token: str) -> int:
    return httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_disable_and_enable_from_the_command_line(server: LiveServer) -> None:
    sos(server, "user", "add", "lan", "--role", "officer", "--unit", "ward-27031", "--password-stdin", stdin=PASSWORD + "\n")
    token = sign_in(server, "lan").json()["token"]
    out = sos(server, "user", "disable", "lan").output
    assert "disabled" in out and "1 session(s) ended" in out
    assert me(server, token) == 401
    assert sign_in(server, "lan").status_code == 401
    assert "enabled" in sos(server, "user", "enable", "lan").output
    assert me(server, token) == 401  # the old session stays ended
    assert sign_in(server, "lan").status_code == 200
    refused = sos(server, "user", "disable", "nobody", ok=False)
    assert "No such user" in refused.output
    actions = [r[0] for r in server.svc.db.read_sync(lambda c: c.execute(
        "SELECT action FROM audit_log WHERE actor_id = 'cli' ORDER BY id").fetchall())]
    assert actions == ["user.disable", "user.enable"]


def test_reset_password_prints_a_one_time_password_to_change_at_sign_in(server: LiveServer) -> None:
    sos(server, "user", "add", "minh", "--role", "dispatcher", "--password-stdin", stdin=PASSWORD + "\n")
    token = sign_in(server, "minh").json()["token"]
    out = sos(server, "user", "reset-password", "minh").output
    initial = out.strip().splitlines()[-1]
    assert len(initial) >= 10 and "shown once" in out
    assert me(server, token) == 401
    assert sign_in(server, "minh").status_code == 401
    r = sign_in(server, "minh", initial)
    assert r.status_code == 200
    flag = server.svc.db.read_sync(lambda c: c.execute("SELECT must_change_password FROM users WHERE username = 'minh'").fetchone()[0])
    assert flag == 1
    r = httpx.post(f"{server.url}/api/auth/password", headers={"Authorization": f"Bearer {r.json()['token']}"},
                   json={"current_password": initial, "new_password": "đèn xanh đèn đỏ ngã tư"})
    assert r.status_code == 204, r.text
    assert sign_in(server, "minh", "đèn xanh đèn đỏ ngã tư").status_code == 200


def test_sessions_are_listed_and_ended_from_the_command_line(server: LiveServer) -> None:
    sos(server, "user", "add", "lan", "--role", "dispatcher", "--password-stdin", stdin=PASSWORD + "\n")
    tokens = [sign_in(server, "lan").json()["token"] for _ in range(2)]
    assert "2 live session(s)" in sos(server, "user", "sessions", "lan").output
    assert "2 session(s) ended" in sos(server, "user", "sessions", "lan", "--end").output
    assert [me(server, t) for t in tokens] == [401, 401]


def test_user_add_refuses_a_top_list_password(server: LiveServer) -> None:
    out = sos(server, "user", "add", "lan", "--role", "dispatcher", "--password-stdin", stdin="password1\n", ok=False).output
    assert "common" in out.lower()
    # The demo's password is fine.
    sos(server, "user", "add", "lan", "--role", "dispatcher", "--password-stdin", stdin="sos-demo-2026\n")


def test_import_writes_the_links_to_a_private_file(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "staff.csv"
    source.write_bytes("\ufeffusername,display_name,role,unit,phone\n"
                       "pm.an,Nguyễn An,officer,ward-26704,0901 111 222\n"
                       "dp.binh,Lê Bình,dispatcher,,\n".encode())
    out_file = tmp_path / "links.csv"
    result = sos(server, "user", "import", str(source), "--out", str(out_file), "--origin", "https://sos.example.vn")
    assert "2 account(s) created" in result.output
    assert "creating accounts" in result.stderr  # the progress bar, on stderr
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    lines = out_file.read_text().splitlines()
    assert lines[0] == "username,role,setup_url,expires"
    links = {line.split(",")[0]: line.split(",")[2] for line in lines[1:]}
    assert links["pm.an"].startswith("https://sos.example.vn/officer/#/setup/")
    assert links["dp.binh"].startswith("https://sos.example.vn/center/#/setup/")
    token = links["pm.an"].rsplit("/", 1)[1]
    assert token not in result.output  # the links are in the file only
    r = httpx.post(f"{server.url}/api/auth/setup", json={"token": token, "new_password": "gió mùa đông bắc về"})
    assert r.status_code == 204, r.text
    assert sign_in(server, "pm.an", "gió mùa đông bắc về").status_code == 200


def test_import_refuses_a_file_with_a_bad_row_and_names_it(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "staff.csv"
    source.write_text("username,display_name,role,unit,phone\nok.one,,dispatcher,,\nbad,,officer,,\n")
    result = sos(server, "user", "import", str(source), ok=False)
    assert "line 3, unit: An officer belongs to a unit." in result.output
    assert "nothing was imported" in result.output
    count = server.svc.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM users WHERE username = 'ok.one'").fetchone()[0])
    assert count == 0
