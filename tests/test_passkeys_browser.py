"""Passkeys in real Chromium (issue 25): a virtual authenticator through the DevTools protocol
(`WebAuthn.addVirtualAuthenticator`: CTAP2, built in, resident keys, user verification), driven
with the browser's own navigator.credentials on a page of the test server, against our endpoints.

The page is opened as http://localhost:PORT: WebAuthn refuses an IP address as relying party id,
and localhost is a secure context."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

# Runs in the page: JSON in, JSON out; the browser's own (de)serialisers of WebAuthn JSON.
POST = """async ([path, body]) => {
    const r = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: JSON.stringify(body)});
    return {status: r.status, body: await r.json().catch(() => null)};
}"""
REGISTER = """async ([name]) => {
    const post = async (path, body) => {
        const r = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify(body)});
        return {status: r.status, body: await r.json().catch(() => null)};
    };
    const options = await post('/api/auth/webauthn/register/options', {});
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.body);
    const credential = await navigator.credentials.create({publicKey});
    return {options: options.body, answer: await post('/api/auth/webauthn/register',
                                                      {credential: credential.toJSON(), name})};
}"""
ASSERT = """async ([options]) => {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const credential = await navigator.credentials.get({publicKey});
    return credential.toJSON();
}"""


def virtual_authenticator(context: Any, page: Any) -> str:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})
    return str(made["authenticatorId"])


def test_passkey_registration_and_sign_in(live_server, new_context, watch_console) -> None:
    svc = live_server.svc
    svc.accounts.create_sync("lan", PASSWORD, "dispatcher")
    origin = f"http://localhost:{live_server.port}"
    context = new_context()
    page = context.new_page()
    errors = watch_console(page)
    page.goto(origin + "/healthz")
    virtual_authenticator(context, page)

    signed_in = page.evaluate(POST, ["/api/auth/login", {"username": "lan", "password": PASSWORD}])
    assert signed_in["status"] == 200 and signed_in["body"]["token"]
    registered = page.evaluate(REGISTER, ["Phone of Lan"])
    options, answer = registered["options"], registered["answer"]
    assert options["rp"]["id"] == "localhost" and options["authenticatorSelection"]["residentKey"] == "preferred"
    assert answer["status"] == 201, answer
    assert answer["body"]["name"] == "Phone of Lan" and len(answer["body"]["recovery_codes"]) == 10
    listed = page.evaluate("async () => (await (await fetch('/api/auth/webauthn/credentials')).json())")
    assert [c["name"] for c in listed["credentials"]] == ["Phone of Lan"]
    assert listed["credentials"][0]["last_used_at"] is None
    # A second registration of the same authenticator is excluded by the browser itself.
    again = page.evaluate("""async () => {
        const r = await fetch('/api/auth/webauthn/register/options', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: '{}'});
        return (await r.json()).excludeCredentials.length;
    }""")
    assert again == 1

    context.clear_cookies()
    step = page.evaluate(POST, ["/api/auth/login", {"username": "lan", "password": PASSWORD}])
    assert step["status"] == 200 and "token" not in step["body"]
    assert step["body"]["second_factor"] == ["passkey", "recovery"]
    assert step["body"]["webauthn"]["rpId"] == "localhost"
    assertion = page.evaluate(ASSERT, [step["body"]["webauthn"]])
    # A signature over another challenge is refused, and counts as a wrong code.
    other = page.evaluate(POST, ["/api/auth/login", {"username": "lan", "password": PASSWORD}])
    wrong = page.evaluate(POST, ["/api/auth/second-factor",
                                 {"challenge": other["body"]["challenge"], "passkey": assertion}])
    assert (wrong["status"], wrong["body"]["error"]) == (401, "bad_code")

    done = page.evaluate(POST, ["/api/auth/second-factor",
                                {"challenge": step["body"]["challenge"], "passkey": assertion}])
    assert done["status"] == 200, done
    assert done["body"]["user"]["second_factor"]["passkeys"] == 1
    me = page.evaluate("async () => (await (await fetch('/api/auth/me')).json()).user")
    assert me["username"] == "lan" and me["scope"] is None
    row = svc.db.read_sync(lambda c: dict(c.execute(
        "SELECT sign_count, last_used_at FROM webauthn_credentials").fetchone()))
    assert row["last_used_at"] is not None
    session = svc.db.read_sync(lambda c: dict(c.execute(
        "SELECT second_factor FROM sessions ORDER BY created_at DESC LIMIT 1").fetchone()))
    assert session["second_factor"] == "passkey"
    # The same assertion again: its challenge is used.
    replay = page.evaluate(POST, ["/api/auth/second-factor",
                                  {"challenge": step["body"]["challenge"], "passkey": assertion}])
    assert (replay["status"], replay["body"]["error"]) == (401, "challenge_invalid")
    assert errors == []
