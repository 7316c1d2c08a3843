"""Issue 25: accounts imported from a CSV file, checked whole (one bad row: nobody created), with
one-time set-up links; and the set-up itself. SQLite and PostgreSQL (conftest)."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from app.identity import importing
from app.services import Services

from .conftest import Clock

HEADER = "username,display_name,role,unit,phone\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_csv(client: TestClient, token: str, text: str | bytes):
    body = text.encode() if isinstance(text, str) else text
    return client.post("/api/admin/users/import", content=body,
                       headers={**bearer(token), "Content-Type": "text/csv; charset=utf-8"})


def count_users(svc: Services) -> int:
    return int(svc.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM users").fetchone()[0]))


def city_file(n: int) -> str:
    wards = ["ward-26704", "ward-27031", "dept-traffic", "dept-fire"]
    lines = [f"cb{i:05d},Cán bộ Nguyễn Văn {i},officer,{wards[i % 4]},0901 {i:06d}" for i in range(n - 3)]
    lines += ["dp.new,Điều phối viên,dispatcher,,", "sv.new,Lãnh đạo,supervisor,center,", "ad.new,,admin,,"]
    return HEADER + "\n".join(lines) + "\n"


def test_three_thousand_accounts_in_one_import(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    before = count_users(svc)
    started = time.monotonic()
    r = post_csv(client, admin, "\ufeff" + city_file(3000))  # Excel's "CSV UTF-8" starts with a BOM
    took = time.monotonic() - started
    assert r.status_code == 201, r.text[:500]
    print(f"imported 3000 accounts in {took:.2f} s")
    assert took < 60  # a loose guard: argon2 per account would take minutes
    body = r.json()
    assert body["created"] == 3000 and count_users(svc) == before + 3000
    links = {c["username"]: c["setup_url"] for c in body["credentials"]}
    assert links["cb00000"].startswith("http://testserver/officer/#/setup/")
    assert links["dp.new"].startswith("http://testserver/center/#/setup/")
    assert body["credentials"][0]["expires"] > time.time() * 1000 + 6 * 86400 * 1000
    assert r.headers["cache-control"] == "no-store"
    # The server keeps no usable link: only hashes.
    token = links["cb00042"].rsplit("/", 1)[1]
    stored = svc.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT token_hash FROM setup_links")])
    assert token not in stored and importing.token_hash(token) in stored
    row = svc.db.read_sync(lambda c: dict(c.execute(
        "SELECT display_name, unit, phone, must_change_password, active FROM users WHERE username = 'cb00041'"
    ).fetchone()))
    assert row == {"display_name": "Cán bộ Nguyễn Văn 41", "unit": "ward-27031", "phone": "0901 000041",
                   "must_change_password": 1, "active": 1}
    units = {u["code"]: u["users"] for u in client.get("/api/admin/units", headers=bearer(admin)).json()["units"]}
    assert units["ward-26704"] == 750 and units["center"] == 1
    started = time.monotonic()
    found = client.get("/api/admin/users", params={"q": "nguyen van 41", "unit": "ward-27031", "limit": 2},
                       headers=bearer(admin)).json()
    print(f"searched 3000 accounts in {(time.monotonic() - started) * 1000:.0f} ms")
    # 41, 413 and 417 are in that ward; sorted by username, two to a page
    assert [u["username"] for u in found["users"]] == ["cb00041", "cb00413"] and found["total"] == 3


def test_a_file_with_bad_rows_is_refused_whole_and_every_bad_row_is_named(
    client: TestClient, login, svc: Services
) -> None:
    admin = login("root", "admin")
    login("taken", "dispatcher")
    before = count_users(svc)
    text = HEADER + "\n".join([
        "ok.one,Good,officer,ward-26704,0901 234 567",   # 2
        "bad role,Spaces,king,,",                        # 3: username and role
        "no.unit,,officer,,",                            # 4
        "far.away,,officer,ward-99999,",                 # 5
        "ok.one,Again,dispatcher,,",                     # 6: duplicate of line 2
        "TAKEN,,dispatcher,,",                           # 7: in the database (any case)
        "phone.bad,,dispatcher,,call me",                # 8
        "ok.two,Good too,supervisor,,",                  # 9
    ]) + "\n"
    r = post_csv(client, admin, text)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_rows"
    assert sorted((p["line"], p["field"]) for p in body["rows"]) == [
        (3, "role"), (3, "username"), (4, "unit"), (5, "unit"), (6, "username"), (7, "username"), (8, "phone"),
    ]
    assert all(p["message"] for p in body["rows"])
    assert count_users(svc) == before  # nothing written, not even the good rows
    assert svc.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM setup_links").fetchone()[0]) == 0


def test_three_thousand_accounts_with_one_bad_row_are_refused_whole(
    client: TestClient, login, svc: Services
) -> None:
    """The city's file with one mistake deep inside it: the mistake is named, nobody is created."""
    admin = login("root", "admin")
    before = count_users(svc)
    lines = city_file(3000).splitlines()
    lines[2500] = lines[2500].replace(",officer,", ",sergeant,")  # line 2501 of the file
    r = post_csv(client, admin, "\n".join(lines) + "\n")
    assert r.status_code == 422, r.text[:500]
    assert [(p["line"], p["field"]) for p in r.json()["rows"]] == [(2501, "role")]
    assert count_users(svc) == before
    assert svc.db.read_sync(lambda c: c.execute("SELECT COUNT(*) FROM setup_links").fetchone()[0]) == 0


@pytest.mark.parametrize(("data", "field"), [
    (b"", "file"),
    (b"name,role\nx,officer\n", "header"),
    (HEADER.encode(), "file"),
    (HEADER.encode() + b"caf\xe9,,dispatcher,,\n", "file"),
])
def test_files_that_are_not_an_account_list_are_refused(client: TestClient, login, data: bytes, field: str) -> None:
    admin = login("root", "admin")
    r = post_csv(client, admin, data)
    assert r.status_code == 422 and r.json()["rows"][0]["field"] == field


def test_import_is_for_admins_and_csv_only(client: TestClient, login) -> None:
    supervisor = login("sv", "supervisor")
    admin = login("root", "admin")
    assert post_csv(client, supervisor, city_file(5)).status_code == 403
    r = client.post("/api/admin/users/import", json={"rows": []}, headers=bearer(admin))
    assert r.status_code == 415


def test_a_set_up_link_works_once_and_only_for_a_strong_password(
    client: TestClient, login, svc: Services, clock: Clock
) -> None:
    admin = login("root", "admin")
    r = post_csv(client, admin, HEADER + "lan.tran,Trần Thị Lan,dispatcher,,\nminh,,officer,ward-26704,\n")
    links = {c["username"]: c["setup_url"].rsplit("/", 1)[1] for c in r.json()["credentials"]}
    # No usable password before the link is used, whatever is tried.
    for guess in ("", "password", links["lan.tran"]):
        assert client.post("/api/auth/login", json={"username": "lan.tran", "password": guess or "x"}).status_code == 401

    weak = client.post("/api/auth/setup", json={"token": links["lan.tran"], "new_password": "tranthilan1"})
    assert weak.status_code == 422 and weak.json()["error"] == "weak_password"
    ok = client.post("/api/auth/setup", json={"token": links["lan.tran"], "new_password": "bốn mùa hoa nở rộ"})
    assert ok.status_code == 204, ok.text
    again = client.post("/api/auth/setup", json={"token": links["lan.tran"], "new_password": "một mật khẩu khác hẳn"})
    assert again.status_code == 401 and again.json()["error"] == "setup_invalid"
    r = client.post("/api/auth/login", json={"username": "lan.tran", "password": "bốn mùa hoa nở rộ"})
    assert r.status_code == 200
    client.cookies.clear()
    flag = svc.db.read_sync(lambda c: c.execute("SELECT must_change_password FROM users WHERE username = 'lan.tran'").fetchone()[0])
    assert flag == 0

    # Unknown and expired links: the same refusal.
    assert client.post("/api/auth/setup", json={"token": "x" * 43, "new_password": "bốn mùa hoa nở rộ"}).status_code == 401
    clock.advance(importing.SETUP_LINK_TTL_S + 1)
    late = client.post("/api/auth/setup", json={"token": links["minh"], "new_password": "bốn mùa hoa nở rộ"})
    assert late.status_code == 401 and late.json()["error"] == "setup_invalid"
    actions = svc.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT action FROM audit_log WHERE action LIKE 'user.%'")])
    assert "user.import" in actions and "user.setup" in actions


def test_a_reset_voids_an_unused_set_up_link(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    r = post_csv(client, admin, HEADER + "minh,,officer,ward-26704,\n")
    token = r.json()["credentials"][0]["setup_url"].rsplit("/", 1)[1]
    minh = svc.db.read_sync(lambda c: c.execute("SELECT id FROM users WHERE username = 'minh'").fetchone()[0])
    assert client.post(f"/api/admin/users/{minh}/reset-password", headers=bearer(admin)).status_code == 200
    r = client.post("/api/auth/setup", json={"token": token, "new_password": "bốn mùa hoa nở rộ"})
    assert r.status_code == 401


@pytest.mark.parametrize("body", [b"{}", b'{"token": 5, "new_password": "x"}', b'{"token": "abc"}',
                                  b'{"token": "\\ud800", "new_password": "a long secret phrase"}', b"[1]"])
def test_malformed_set_up_is_4xx(client: TestClient, body: bytes) -> None:
    r = client.post("/api/auth/setup", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (401, 422) and r.json()["error"] in ("invalid", "setup_invalid"), r.text


def test_set_up_attempts_from_one_address_are_limited(client: TestClient) -> None:
    from app.web.account import SETUP_PER_IP_PER_HOUR

    guess = {"token": "A" * 43, "new_password": "bốn mùa hoa nở rộ"}
    codes = [client.post("/api/auth/setup", json=guess).status_code for _ in range(SETUP_PER_IP_PER_HOUR)]
    assert codes == [401] * SETUP_PER_IP_PER_HOUR
    r = client.post("/api/auth/setup", json=guess)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
