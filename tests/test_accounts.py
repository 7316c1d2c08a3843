"""Issue 25, accounts and sessions: a user lists and ends their own sessions, an admin disables,
enables, resets and ends all of a user's sessions, a password is changed (forced or by choice)
under the zxcvbn rule, and the admin lists users and units. SQLite and PostgreSQL (conftest)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from app.identity import passwords, sessions
from app.services import Services

from .conftest import PASSWORD, Clock
from .signin_helpers import enrol_totp, password_step


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return str(r.json()["token"])


def user_id(svc: Services, username: str) -> int:
    return int(svc.db.read_sync(lambda c: c.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0]))


def audit_actions(svc: Services, target: str) -> list[str]:
    return [r[0] for r in svc.db.read_sync(
        lambda c: c.execute("SELECT action FROM audit_log WHERE target = ? ORDER BY id", (target,)).fetchall()
    )]


# -- own sessions -------------------------------------------------------------------------------
def test_a_user_lists_their_sessions_and_ends_one(client: TestClient, login, svc: Services) -> None:
    first = login("lan", "dispatcher")
    second = sign_in(client, "lan")
    listed = client.get("/api/auth/sessions", headers=bearer(second))
    assert listed.status_code == 200
    rows = listed.json()["sessions"]
    assert len(rows) == 2
    assert [r["current"] for r in rows].count(True) == 1
    stored = {r[0] for r in svc.db.read_sync(lambda c: c.execute("SELECT id FROM sessions").fetchall())}
    # The session id is inside every token: the list shows an opaque id, never that.
    assert not {r["id"] for r in rows} & stored
    assert all(r["created_at"] > 10**12 and r["last_seen_at"] >= r["created_at"] for r in rows)

    other = next(r for r in rows if not r["current"])
    assert client.delete(f"/api/auth/sessions/{other['id']}", headers=bearer(second)).status_code == 204
    assert client.get("/api/auth/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/auth/me", headers=bearer(second)).status_code == 200
    # Ended already: the same 404 as a session that never was.
    assert client.delete(f"/api/auth/sessions/{other['id']}", headers=bearer(second)).status_code == 404
    assert "user.sessions_end" in audit_actions(svc, f"user/{user_id(svc, 'lan')}")


def test_another_users_session_cannot_be_ended(client: TestClient, login) -> None:
    lan = login("lan", "dispatcher")
    minh = login("minh", "dispatcher")
    minh_session = client.get("/api/auth/sessions", headers=bearer(minh)).json()["sessions"][0]["id"]
    r = client.delete(f"/api/auth/sessions/{minh_session}", headers=bearer(lan))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get("/api/auth/me", headers=bearer(minh)).status_code == 200
    assert client.delete("/api/auth/sessions/nonsense", headers=bearer(lan)).status_code == 404


def test_end_others_keeps_only_the_calling_session(client: TestClient, login) -> None:
    old = [login("lan", "officer", "ward-26704")] + [sign_in(client, "lan") for _ in range(2)]
    mine = sign_in(client, "lan")
    r = client.post("/api/auth/sessions/end-others", headers=bearer(mine))
    assert r.status_code == 200 and r.json() == {"ended": 3}
    assert [client.get("/api/auth/me", headers=bearer(t)).status_code for t in old] == [401] * 3
    assert [s["current"] for s in client.get("/api/auth/sessions", headers=bearer(mine)).json()["sessions"]] == [True]


def test_last_seen_is_written_at_most_once_a_minute(client: TestClient, login, svc: Services, clock: Clock) -> None:
    token = login("lan", "dispatcher")

    def seen() -> float | None:
        return svc.db.read_sync(lambda c: c.execute("SELECT last_seen_at FROM sessions").fetchone()[0])

    def settle() -> None:
        client.portal.call(svc.authenticator.seen.drain)  # type: ignore[union-attr]

    client.get("/api/auth/me", headers=bearer(token))
    settle()
    assert seen() == pytest.approx(clock.now)  # just signed in: its creation is its last use
    clock.advance(sessions.SEEN_EVERY_S + 1)
    client.get("/api/auth/me", headers=bearer(token))
    settle()
    first = seen()
    assert first == pytest.approx(clock.now)
    clock.advance(30)
    for _ in range(5):
        client.get("/api/auth/me", headers=bearer(token))
    settle()
    assert seen() == first  # within the minute: no write
    clock.advance(31)
    client.get("/api/auth/me", headers=bearer(token))
    settle()
    assert seen() == pytest.approx(clock.now)
    listed = client.get("/api/auth/sessions", headers=bearer(token)).json()["sessions"][0]
    assert listed["last_seen_at"] == int(clock.now * 1000)


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Safari · iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge · Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
    (None, ""),
])
def test_the_device_is_named_for_people(agent: str | None, label: str) -> None:
    assert sessions.device_label(agent) == label


# -- admin: disable, enable, reset, end sessions ---------------------------------------------------
def test_a_disabled_account_is_refused_at_once_and_can_be_enabled(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    officer = login("lan", "officer", "ward-26704")
    lan = user_id(svc, "lan")
    r = client.post(f"/api/admin/users/{lan}/disable", headers=bearer(admin))
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["active"] is False and user["disabled_at"] and user["sessions"] == 0
    me = client.get("/api/auth/me", headers=bearer(officer))
    assert me.status_code == 401 and me.json()["error"] == "unauthenticated"
    assert client.post("/api/auth/login", json={"username": "lan", "password": PASSWORD}).status_code == 401

    r = client.post(f"/api/admin/users/{lan}/enable", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["user"]["active"] is True
    # Its old sessions stay ended; a new sign-in works.
    assert client.get("/api/auth/me", headers=bearer(officer)).status_code == 401
    sign_in(client, "lan")
    assert audit_actions(svc, f"user/{lan}")[-3:] == ["user.disable", "user.enable", "user.login"]


def test_an_admin_cannot_disable_themselves(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    r = client.post(f"/api/admin/users/{user_id(svc, 'root')}/disable", headers=bearer(admin))
    assert r.status_code == 409 and r.json()["error"] == "self"
    assert client.get("/api/auth/me", headers=bearer(admin)).status_code == 200


@pytest.mark.parametrize("path", ["disable", "enable", "reset-password", "sessions/end"])
def test_lifecycle_is_for_admins_and_real_users(client: TestClient, login, svc: Services, path: str) -> None:
    supervisor = login("sv", "supervisor")
    admin = login("root", "admin")
    lan = user_id(svc, "sv")
    assert client.post(f"/api/admin/users/{lan}/{path}", headers=bearer(supervisor)).status_code == 403
    r = client.post(f"/api/admin/users/999999/{path}", headers=bearer(admin))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.post(f"/api/admin/users/abc/{path}", headers=bearer(admin)).status_code == 404


def test_admin_ends_all_of_a_users_sessions(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    tokens = [login("lan", "dispatcher"), sign_in(client, "lan")]
    lan = user_id(svc, "lan")
    listed = client.get(f"/api/admin/users/{lan}/sessions", headers=bearer(admin)).json()["sessions"]
    assert len(listed) == 2 and not any(s["current"] for s in listed)
    r = client.post(f"/api/admin/users/{lan}/sessions/end", headers=bearer(admin))
    assert r.json() == {"ended": 2}
    assert [client.get("/api/auth/me", headers=bearer(t)).status_code for t in tokens] == [401, 401]
    assert client.get(f"/api/admin/users/{lan}/sessions", headers=bearer(admin)).json() == {"sessions": []}


def test_reset_gives_a_one_time_password_that_must_be_changed(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    old = login("lan", "dispatcher")
    lan = user_id(svc, "lan")
    r = client.post(f"/api/admin/users/{lan}/reset-password", headers=bearer(admin))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    initial = r.json()["password"]
    passwords.check(initial)  # it passes the rule it will be replaced under
    assert client.get("/api/auth/me", headers=bearer(old)).status_code == 401  # every session ended
    assert client.post("/api/auth/login", json={"username": "lan", "password": PASSWORD}).status_code == 401
    row = svc.db.read_sync(lambda c: dict(c.execute("SELECT must_change_password FROM users WHERE id = ?", (lan,)).fetchone()))
    assert row["must_change_password"] == 1
    listed = client.get("/api/admin/users?q=lan", headers=bearer(admin)).json()["users"]
    assert listed[0]["must_change_password"] is True
    assert "user.reset_password" in audit_actions(svc, f"user/{lan}")

    token = sign_in(client, "lan", initial)
    r = client.post("/api/auth/password", headers=bearer(token),
                    json={"current_password": initial, "new_password": "quạt trần kêu cọt kẹt"})
    assert r.status_code == 204, r.text
    row = svc.db.read_sync(lambda c: dict(c.execute("SELECT must_change_password FROM users WHERE id = ?", (lan,)).fetchone()))
    assert row["must_change_password"] == 0
    sign_in(client, "lan", "quạt trần kêu cọt kẹt")


# -- the password change and the rule ---------------------------------------------------------------
def restricted(svc: Services, token: str, scope: str) -> None:
    """Make the token's session a restricted one, as the sign-in does after a reset."""
    svc.db.write_sync(lambda tx: tx.execute("UPDATE sessions SET scope = ? WHERE revoked_at IS NULL", (scope,)))


def test_a_password_session_reaches_only_the_change_and_the_change_frees_it(
    client: TestClient, login, svc: Services
) -> None:
    token = login("lan", "dispatcher")
    other = sign_in(client, "lan")
    restricted(svc, token, "password")
    r = client.get("/api/officers", headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"] == "password_change_required"
    assert client.get("/api/auth/sessions", headers=bearer(token)).status_code == 200
    r = client.post("/api/auth/password", headers=bearer(token),
                    json={"current_password": PASSWORD, "new_password": "mưa rào chiều thứ bảy"})
    assert r.status_code == 204, r.text
    assert client.get("/api/officers", headers=bearer(token)).status_code == 200  # full now
    assert client.get("/api/auth/me", headers=bearer(other)).status_code == 401  # the others ended
    scope = svc.db.read_sync(lambda c: c.execute("SELECT scope FROM sessions WHERE revoked_at IS NULL").fetchall())
    assert [s[0] for s in scope] == [None]
    assert "user.password_change" in audit_actions(svc, f"user/{user_id(svc, 'lan')}")


@pytest.mark.parametrize(("new", "why"), [
    ("short1!", "at least 10"),
    ("password123", "common"),
    ("1234567890", "common"),
    ("nguyenlan2026", None),         # the name and a year: zxcvbn counts the user's own words
    ("qwertyuiop", None),            # a keyboard row
])
def test_weak_passwords_are_refused_with_zxcvbns_reason(
    client: TestClient, make_user, svc: Services, new: str, why: str | None
) -> None:
    svc.accounts.create_sync("nguyenlan", PASSWORD, "dispatcher", display_name="Nguyễn Lan")
    token = sign_in(client, "nguyenlan")
    r = client.post("/api/auth/password", headers=bearer(token),
                    json={"current_password": PASSWORD, "new_password": new})
    assert r.status_code == 422, (new, r.text)
    body = r.json()
    assert body["error"] == "weak_password" and body["message"]
    if why:
        assert why in body["message"].lower()
    assert isinstance(body["suggestions"], list)
    sign_in(client, "nguyenlan")  # unchanged


def test_the_current_password_must_be_right(client: TestClient, login) -> None:
    token = login("lan", "dispatcher")
    r = client.post("/api/auth/password", headers=bearer(token),
                    json={"current_password": "not it at all", "new_password": "mưa rào chiều thứ bảy"})
    assert r.status_code == 403 and r.json()["error"] == "bad_credentials"
    r = client.post("/api/auth/password", headers=bearer(token), json={"new_password": "x"})
    assert r.status_code == 422


@pytest.mark.parametrize(("password", "ok"), [
    ("sos-demo-2026", True), ("a long secret", True), (PASSWORD, True),
    ("password1", False), ("12345678", False), ("iloveyou", False), ("short", False),
])
def test_accounts_made_by_an_admin_keep_8_characters_but_refuse_top_list_passwords(
    client: TestClient, svc: Services, password: str, ok: bool
) -> None:
    if ok:
        svc.accounts.create_sync("lan", password, "dispatcher")
    else:
        with pytest.raises(ValueError, match=r"(?i)common|characters|guess|password"):
            svc.accounts.create_sync("lan", password, "dispatcher")


def test_admin_create_refuses_a_weak_password_and_keeps_the_phone(client: TestClient, login) -> None:
    admin = login("root", "admin")
    r = client.post("/api/admin/users", headers=bearer(admin),
                    json={"username": "tuan", "password": "password1", "role": "dispatcher"})
    assert r.status_code == 422 and r.json()["error"] == "weak_password"
    r = client.post("/api/admin/users", headers=bearer(admin), json={
        "username": "tuan", "password": "long enough pw", "role": "officer", "unit": "ward-27031",
        "phone": "0901 234 567"})
    assert r.status_code == 201, r.text
    r = client.post("/api/admin/users", headers=bearer(admin), json={
        "username": "tu", "password": "long enough pw", "role": "dispatcher", "phone": "call me"})
    assert r.status_code == 422
    listed = client.get("/api/admin/users?q=tuan", headers=bearer(admin)).json()["users"]
    assert listed[0]["phone"] == "0901 234 567"


# -- admin lists -------------------------------------------------------------------------------------
def test_users_are_searched_filtered_and_paged(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    for i in range(12):
        svc.accounts.create_sync(f"pm{i:02d}", PASSWORD, "officer", "ward-26704", f"Nguyễn Văn {i}")
    svc.accounts.create_sync("tp01", PASSWORD, "officer", "ward-27031", "Trần Đức")
    got = lambda query: client.get(f"/api/admin/users?{query}", headers=bearer(admin)).json()  # noqa: E731
    page: dict[str, Any] = got("unit=ward-26704&limit=5&offset=10")
    assert page["total"] == 12 and [u["username"] for u in page["users"]] == ["pm10", "pm11"]
    assert got("q=NGUYEN van 1")["total"] == 3  # accents and case ignored: 1, 10, 11
    assert [u["username"] for u in got("q=duc")["users"]] == ["tp01"]
    assert got("role=admin")["total"] == 1
    client.post(f"/api/admin/users/{user_id(svc, 'tp01')}/disable", headers=bearer(admin))
    assert [u["username"] for u in got("active=false")["users"]] == ["tp01"]
    user = got("q=root")["users"][0]
    assert set(user) >= {"id", "username", "display_name", "role", "unit", "phone", "active", "disabled_at",
                         "must_change_password", "second_factor", "sessions", "created_at"}
    assert user["sessions"] == 1 and user["second_factor"] == {"totp": False, "passkeys": 0}
    for bad in ("role=king", "active=maybe", "limit=0", "limit=x", "offset=-1"):
        r = client.get(f"/api/admin/users?{bad}", headers=bearer(admin))
        assert r.status_code == 422, bad


def test_units_list_wards_departments_and_the_center_with_their_accounts(client: TestClient, login, svc: Services) -> None:
    admin = login("root", "admin")
    login("lan", "officer", "ward-26704")
    units = client.get("/api/admin/units", headers=bearer(admin)).json()["units"]
    kinds = [u["kind"] for u in units]
    assert kinds.count("ward") == 168 and kinds.count("department") >= 3 and kinds[0] == "command_center"
    assert next(u for u in units if u["code"] == "ward-26704")["users"] == 1
    officer = sign_in(client, "lan")
    assert client.get("/api/admin/units", headers=bearer(officer)).status_code == 403


def test_a_password_change_leaves_an_enrol_session_when_a_second_factor_is_due(
    client: TestClient, login, svc: Services
) -> None:
    token = login("lan", "dispatcher")
    restricted(svc, token, "password")
    asked: list[int] = []
    svc.lifecycle.enrolment_due = lambda conn, uid: asked.append(uid) or True  # the sign-in's rule
    r = client.post("/api/auth/password", headers=bearer(token),
                    json={"current_password": PASSWORD, "new_password": "mưa rào chiều thứ bảy"})
    assert r.status_code == 204, r.text
    assert asked == [user_id(svc, "lan")]
    r = client.get("/api/officers", headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"] == "second_factor_enrolment_required"


def test_guessing_the_current_password_through_a_session_is_throttled(client: TestClient, login) -> None:
    from app.web.account import PASSWORD_CHANGES_PER_HOUR

    token = login("lan", "dispatcher")
    wrong = {"current_password": "maybe this one", "new_password": "mưa rào chiều thứ bảy"}
    codes = [client.post("/api/auth/password", headers=bearer(token), json=wrong).status_code
             for _ in range(PASSWORD_CHANGES_PER_HOUR)]
    assert codes == [403] * PASSWORD_CHANGES_PER_HOUR
    right = {**wrong, "current_password": PASSWORD}
    r = client.post("/api/auth/password", headers=bearer(token), json=right)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited" and r.headers["retry-after"]


def test_an_admin_resets_a_lost_second_factor_and_its_sessions_end(
    client: TestClient, login, svc: Services, clock: Clock
) -> None:
    """A lost phone: the admin removes the account's authenticator app and recovery codes, its
    sessions end, and its next sign-in no longer asks for the lost factor."""
    admin = login("root", "admin")
    lan_token = login("lan", "dispatcher")
    lan = user_id(svc, "lan")
    enrol_totp(client, lan_token, clock)
    assert password_step(client, "lan").json().get("challenge")  # the factor is asked for now
    assert client.post(f"/api/admin/users/{lan}/second-factor/reset", headers=bearer(lan_token)).status_code == 403
    r = client.post(f"/api/admin/users/{lan}/second-factor/reset", headers=bearer(admin))
    assert r.status_code == 200, r.text
    assert r.json()["user"]["second_factor"] == {"totp": False, "passkeys": 0}
    assert client.get("/api/auth/me", headers=bearer(lan_token)).status_code == 401
    client.cookies.clear()
    again = password_step(client, "lan")
    assert again.status_code == 200 and again.json().get("token") and "challenge" not in again.json()
    assert "user.second_factor_reset" in audit_actions(svc, f"user/{lan}")
    assert client.post("/api/admin/users/99999/second-factor/reset", headers=bearer(admin)).status_code == 404
