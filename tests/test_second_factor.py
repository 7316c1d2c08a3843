"""The second factor of police sign-in (issue 25): TOTP enrolment and sign-in, codes used once,
challenges, lock-out after wrong codes, recovery codes, and the scopes a sign-in opens."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.identity import audit
from app.identity.second_factor import Sealer, reset, summary
from app.services import Services
from app.settings import Settings

from .conftest import Clock
from .signin_helpers import (
    bearer,
    challenge_for,
    code,
    enrol_totp,
    password_step,
    second_step,
    sign_in,
)


def session_row(svc: Services, token: str) -> dict:
    _, session_id = svc.tokens.read_user(token, 10**9)
    return dict(svc.db.read_sync(lambda c: c.execute(
        "SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()))


def test_totp_enrolment_then_password_alone_gives_no_token(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    token = sign_in(client, "lan")
    r = client.post("/api/auth/totp", headers=bearer(token))
    assert r.status_code == 200
    enrolment = r.json()
    assert enrolment["uri"].startswith("otpauth://totp/SOS%20ANTT:lan?secret=")
    assert enrolment["qr_svg"].startswith("<svg") and len(enrolment["secret"]) == 32
    # Not active until a code from it is confirmed: the password alone still signs in.
    assert "token" in password_step(client, "lan").json()
    client.cookies.clear()
    wrong = client.post("/api/auth/totp/confirm", json={"code": "000000"}, headers=bearer(token))
    assert (wrong.status_code, wrong.json()["error"]) == (422, "bad_code")
    r = client.post("/api/auth/totp/confirm", json={"code": code(enrolment["secret"], clock)},
                    headers=bearer(token))
    assert r.status_code == 200
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10

    clock.advance(30)
    r = password_step(client, "lan")
    assert r.status_code == 200
    assert r.json()["second_factor"] == ["totp", "recovery"]
    assert "token" not in r.json() and "webauthn" not in r.json()
    assert "set-cookie" not in r.headers
    challenge = r.json()["challenge"]

    wrong = second_step(client, challenge, "123456" if code(enrolment["secret"], clock) != "123456" else "654321")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad_code")
    assert "set-cookie" not in wrong.headers
    r = second_step(client, challenge, code(enrolment["secret"], clock))
    assert r.status_code == 200, r.text
    assert r.headers["set-cookie"].startswith(f"sos_session={r.json()['token']};")
    user = r.json()["user"]
    assert user["second_factor"] == {"totp": True, "passkeys": 0, "recovery_codes_left": 10,
                                     "required": True, "enrol_by": None}
    assert user["scope"] is None
    row = session_row(svc, r.json()["token"])
    assert (row["second_factor"], row["scope"], row["last_seen_at"]) == ("totp", None, row["created_at"])
    assert row["device"] == "testclient" and row["ip"] == "testclient"
    client.cookies.clear()
    me = client.get("/api/auth/me", headers=bearer(r.json()["token"])).json()["user"]
    assert me == user


def test_a_code_works_once_and_a_challenge_once(client: TestClient, make_user, clock: Clock) -> None:
    make_user("lan", "dispatcher")
    secret, _ = enrol_totp(client, sign_in(client, "lan"), clock)
    clock.advance(30)
    first = challenge_for(client, "lan")
    assert second_step(client, first, code(secret, clock)).status_code == 200
    client.cookies.clear()
    # The same challenge again: used.
    r = second_step(client, first, code(secret, clock))
    assert (r.status_code, r.json()["error"]) == (401, "challenge_invalid")
    # The same code on a new challenge: refused, it was used (someone watched it typed).
    again = challenge_for(client, "lan")
    r = second_step(client, again, code(secret, clock))
    assert (r.status_code, r.json()["error"]) == (401, "code_used")
    # ...and so is the previous step's code, inside the ±1 step window.
    r = second_step(client, again, code(secret, clock, -30))
    assert (r.status_code, r.json()["error"]) == (401, "code_used")
    clock.advance(30)
    assert second_step(client, again, code(secret, clock)).status_code == 200
    client.cookies.clear()
    # Unknown and expired challenges.
    r = second_step(client, "not-a-challenge", code(secret, clock))
    assert (r.status_code, r.json()["error"]) == (401, "challenge_invalid")
    late = challenge_for(client, "lan")
    clock.advance(301)
    r = second_step(client, late, code(secret, clock))
    assert (r.status_code, r.json()["error"]) == (401, "challenge_invalid")


def test_wrong_codes_kill_the_challenge_then_lock_the_second_factor(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    secret, _ = enrol_totp(client, sign_in(client, "lan"), clock)
    clock.advance(30)
    good = code(secret, clock)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    challenge = challenge_for(client, "lan")
    for _ in range(5):
        assert second_step(client, challenge, bad).json()["error"] == "bad_code"
    # Five wrong codes: this challenge is dead, even for the right code.
    assert second_step(client, challenge, good).json()["error"] == "challenge_invalid"
    challenge = challenge_for(client, "lan")
    for _ in range(5):
        assert second_step(client, challenge, bad).json()["error"] == "bad_code"
    # Ten wrong codes on the account within 15 minutes: the second factor is locked.
    challenge = challenge_for(client, "lan")
    r = second_step(client, challenge, good)
    assert (r.status_code, r.json()["error"]) == (429, "second_factor_locked")
    assert 0 < int(r.headers["Retry-After"]) <= 900
    alerts = svc.db.read_sync(lambda c: [e for e in audit.entries(c) if e["action"] == "user.second_factor_locked"])
    assert len(alerts) == 1 and alerts[0]["detail"]["alert"] is True
    clock.advance(901)
    challenge = challenge_for(client, "lan")
    assert second_step(client, challenge, code(secret, clock)).status_code == 200


def test_recovery_codes_are_single_use_and_regenerated(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    token = sign_in(client, "lan")
    _, codes = enrol_totp(client, token, clock)
    r = second_step(client, challenge_for(client, "lan"), codes[0].upper().replace("-", " "))
    assert r.status_code == 200, r.text
    assert session_row(svc, r.json()["token"])["second_factor"] == "recovery"
    assert r.json()["user"]["second_factor"]["recovery_codes_left"] == 9
    client.cookies.clear()
    r = second_step(client, challenge_for(client, "lan"), codes[0])
    assert (r.status_code, r.json()["error"]) == (401, "bad_code")
    # New codes: the old ones are void.
    fresh = client.post("/api/auth/recovery-codes", headers=bearer(token)).json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert second_step(client, challenge_for(client, "lan"), codes[1]).json()["error"] == "bad_code"
    assert second_step(client, challenge_for(client, "lan"), fresh[1]).status_code == 200
    stored = svc.db.read_sync(lambda c: [r["code_hash"] for r in c.execute("SELECT code_hash FROM recovery_codes")])
    assert not any(c.replace("-", "") in h for c in fresh for h in stored)


def test_an_enrol_session_after_the_grace_can_only_enrol_then_becomes_full(
    client: TestClient, make_user, svc: Services, settings: Settings, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    make_user("tuan", "officer", "ward-26704")  # not a role that must have a second factor
    clock.advance(settings.second_factor_grace_s + 1)
    r = password_step(client, "lan")
    user, token = r.json()["user"], r.json()["token"]
    client.cookies.clear()
    assert user["scope"] == "enrol" and user["second_factor"]["enrol_by"] < clock() * 1000
    r = client.get("/api/units", headers=bearer(token))
    assert (r.status_code, r.json()["error"]) == (403, "second_factor_enrolment_required")
    assert client.get("/api/auth/me", headers=bearer(token)).json()["user"]["scope"] == "enrol"
    uid = client.get("/api/auth/me", headers=bearer(token)).json()["user"]["id"]
    assert svc.db.read_sync(lambda c: svc.signin.enrolment_due(c, uid))
    secret = client.post("/api/auth/totp", headers=bearer(token)).json()["secret"]
    # Removing a factor needs a full session.
    assert client.delete("/api/auth/totp", headers=bearer(token)).status_code == 403
    r = client.post("/api/auth/totp/confirm", json={"code": code(secret, clock)}, headers=bearer(token))
    assert r.status_code == 200 and len(r.json()["recovery_codes"]) == 10
    assert "sos_known_device=" in r.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/api/units", headers=bearer(token)).status_code == 200
    assert client.get("/api/auth/me", headers=bearer(token)).json()["user"]["scope"] is None
    assert not svc.db.read_sync(lambda c: svc.signin.enrolment_due(c, uid))
    assert password_step(client, "tuan").json()["user"]["scope"] is None


def test_must_change_password_opens_a_password_session(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    secret, _ = enrol_totp(client, sign_in(client, "lan"), clock)
    make_user("minh", "supervisor")
    svc.db.write_sync(lambda tx: tx.execute("UPDATE users SET must_change_password = 1"))
    r = password_step(client, "minh")
    assert r.json()["user"]["scope"] == "password" and r.json()["user"]["must_change_password"]
    assert "sos_known_device" not in r.headers["set-cookie"]  # not a full sign-in
    client.cookies.clear()
    r = client.get("/api/units", headers=bearer(r.json()["token"]))
    assert (r.status_code, r.json()["error"]) == (403, "password_change_required")
    # With a second factor: the second step first, then still only a password session.
    clock.advance(30)
    r = second_step(client, challenge_for(client, "lan"), code(secret, clock))
    assert r.status_code == 200 and r.json()["user"]["scope"] == "password"
    client.cookies.clear()


def test_removing_the_last_factor_and_an_admin_reset(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    token = sign_in(client, "lan")
    enrol_totp(client, token, clock)
    uid = int(client.get("/api/auth/me", headers=bearer(token)).json()["user"]["id"])
    assert client.delete("/api/auth/totp", headers=bearer(token)).status_code == 204
    # No factor left: the recovery codes went with it, the password alone signs in again.
    assert svc.db.read_sync(lambda c: summary(c, [uid]))[uid] == {
        "totp": False, "passkeys": 0, "recovery_codes_left": 0}
    assert "token" in password_step(client, "lan").json()
    client.cookies.clear()
    enrol_totp(client, token, clock)
    assert "challenge" in password_step(client, "lan").json()
    svc.db.write_sync(lambda tx: reset(tx, uid))
    assert "token" in password_step(client, "lan").json()


def test_the_totp_secret_is_sealed_at_rest(client: TestClient, make_user, svc: Services, clock: Clock) -> None:
    make_user("lan", "dispatcher")
    token = sign_in(client, "lan")
    secret = client.post("/api/auth/totp", headers=bearer(token)).json()["secret"]
    row = svc.db.read_sync(lambda c: c.execute("SELECT user_id, secret FROM totp_secrets").fetchone())
    assert secret not in row["secret"]
    assert svc.factors.sealer.open(row["secret"], row["user_id"]) == secret
    assert svc.factors.sealer.open(row["secret"], row["user_id"] + 1) is None  # bound to the user
    assert Sealer("another-deployment").open(row["secret"], row["user_id"]) is None


GARBAGE = [
    {}, {"id": 5}, {"id": "cred-1"}, {"id": "cred-1", "rawId": "cred-1", "type": "public-key"},
    {"id": "cred-1", "rawId": "cred-1", "type": "public-key", "response": "x"},
    {"id": "cred-1", "rawId": "cred-1", "type": "public-key",
     "response": {"clientDataJSON": "!!", "authenticatorData": [], "signature": None}},
    {"id": "cred-1", "rawId": "cred-1", "type": "public-key",
     "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA",
                  "attestationObject": "oA"}},
]


def test_malformed_passkeys_are_refused_with_a_reason(
    client: TestClient, make_user, svc: Services, clock: Clock
) -> None:
    make_user("lan", "dispatcher")
    token = sign_in(client, "lan")
    uid = client.get("/api/auth/me", headers=bearer(token)).json()["user"]["id"]
    # A stored passkey (any key will do: nothing here verifies) so that sign-in asks for one.
    svc.db.write_sync(lambda tx: tx.execute(
        """INSERT INTO webauthn_credentials (id, user_id, public_key, sign_count, name, created_at)
           VALUES ('cred-1', ?, 'pQECAyYgASFYIA', 0, 'x', 0)""", (uid,)))
    for credential in GARBAGE:
        assert client.post("/api/auth/webauthn/register/options", headers=bearer(token)).status_code == 200
        r = client.post("/api/auth/webauthn/register", json={"credential": credential},
                        headers=bearer(token))
        assert r.status_code == 422 and r.json()["error"] in ("passkey_invalid", "invalid"), r.text
    for credential in GARBAGE:
        step = password_step(client, "lan").json()
        assert step["second_factor"] == ["passkey", "recovery"] and step["webauthn"]["allowCredentials"]
        r = client.post("/api/auth/second-factor", json={"challenge": step["challenge"], "passkey": credential})
        assert (r.status_code, r.json()["error"]) == (401, "bad_code"), r.text
    r = client.post("/api/auth/webauthn/register", json={"credential": GARBAGE[3]}, headers=bearer(token))
    assert (r.status_code, r.json()["error"]) == (409, "no_pending_registration")


def test_no_roles_no_requirement(settings: Settings, clock: Clock) -> None:
    from app.main import create_app

    off = Settings.from_env({"SOS_SECOND_FACTOR_ROLES": ""}, dotenv=None)
    assert off.second_factor_roles == ""
    relaxed = settings.with_(second_factor_roles=off.second_factor_roles)
    svc = Services.build(relaxed, clock=clock)
    with TestClient(create_app(relaxed, svc)) as c:
        svc.accounts.create_sync("lan", "correct horse battery", "admin")
        clock.advance(relaxed.second_factor_grace_s + 1)
        user = password_step(c, "lan").json()["user"]
        assert user["scope"] is None
        assert user["second_factor"]["required"] is False and user["second_factor"]["enrol_by"] is None
