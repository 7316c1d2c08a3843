"""Passkeys (WebAuthn, through PyPI `webauthn`): the options a browser needs and the checks of what
it answers. No storage here: app/identity/second_factor.py keeps the credentials.

The relying party is the site as the browser sees it: its id is the request's host name (or
`SOS_WEBAUTHN_RP_ID`), the accepted origin the request's own origin (or `SOS_WEBAUTHN_ORIGINS`).
Browsers refuse an IP address as relying party id: open the apps by name (localhost in tests).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.errors import ApiError
from app.settings import Settings

RP_NAME = "SOS ANTT"
TIMEOUT_MS = 120_000  # a person finding their phone's fingerprint reader, in gloves


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origins: tuple[str, ...]


@dataclass(frozen=True)
class NewPasskey:
    id: str
    public_key: str
    sign_count: int


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def relying_party(request: Request, settings: Settings) -> RelyingParty:
    host = request.url.hostname or "localhost"
    own = f"{request.url.scheme}://{request.headers.get('host', host)}"
    origins = tuple(o.strip().rstrip("/") for o in settings.webauthn_origins.split(",") if o.strip())
    return RelyingParty(id=settings.webauthn_rp_id or host, origins=origins or (own,))


def _descriptors(ids: list[str]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(i)) for i in ids]


def registration_options(
    rp: RelyingParty, user: dict[str, Any], existing: list[str]
) -> tuple[dict[str, Any], str]:
    """(PublicKeyCredentialCreationOptions as JSON, its challenge as base64url)."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=str(user["username"]),
        # The user handle: the account's number, nothing personal (it is stored on the device).
        user_id=f"sos-user-{int(user['id'])}".encode(),
        user_display_name=str(user.get("display_name") or user["username"]),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return json.loads(options_to_json(options)), b64url(options.challenge)


def authentication_options(rp: RelyingParty, challenge: str, ids: list[str]) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=base64url_to_bytes(challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(ids),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return dict(json.loads(options_to_json(options)))


def verify_registration(rp: RelyingParty, credential: Any, challenge: str) -> NewPasskey:
    if not isinstance(credential, dict):
        raise ApiError(422, "invalid", "Send the credential from navigator.credentials.create().")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
        )
    except Exception as exc:  # noqa: BLE001 - malformed input raises many kinds: all mean "no"
        reason = str(exc) if isinstance(exc, WebAuthnException) else "malformed credential"
        raise ApiError(422, "passkey_invalid", f"The passkey was not accepted: {reason}") from None
    return NewPasskey(b64url(verified.credential_id), b64url(verified.credential_public_key),
                      verified.sign_count)


def verify_assertion(
    rp: RelyingParty, credential: dict[str, Any], challenge: str, public_key: str, sign_count: int
) -> int | None:
    """The authenticator's new sign count, or None when the assertion does not verify (a wrong
    key, another site, another challenge, or a sign count that went back: a cloned key)."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=sign_count,
        )
    except Exception:  # noqa: BLE001 - malformed input raises many kinds: all mean "not verified"
        return None
    return int(verified.new_sign_count)
