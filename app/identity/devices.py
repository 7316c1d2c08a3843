"""Citizen devices: an anonymous identity made on first run, with an optional name and phone number.

No account and no phone number are needed to report. The device id is random; the token that proves
it is signed by the server. A name and a phone may be added later so the police can call back.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal, TokenIssuer
from app.storage.base import Connection, Database

PHONE = re.compile(r"^\+?[0-9 .\-]{6,20}$")


class Devices:
    def __init__(self, db: Database, tokens: TokenIssuer) -> None:
        self.db = db
        self.tokens = tokens

    async def create(self) -> tuple[str, str]:
        device_id = str(uuid.uuid4())
        now = time.time()

        def write(tx: Connection) -> None:
            tx.execute("INSERT INTO devices (id, created_at) VALUES (?, ?)", (device_id, now))

        await self.db.write(write)
        return device_id, self.tokens.device_token(device_id)

    async def set_contact(self, device: Principal, payload: Any) -> dict[str, str | None]:
        if not isinstance(payload, dict):
            raise ApiError(422, "invalid", "Send a JSON object with name and phone.")
        name = payload.get("name")
        phone = payload.get("phone")
        if name is not None and (not isinstance(name, str) or len(name.strip()) > 100):
            raise ApiError(422, "invalid", "The name must be text of at most 100 characters.")
        if phone is not None and (not isinstance(phone, str) or not PHONE.match(phone.strip())):
            raise ApiError(422, "invalid", "The phone number should be digits, e.g. 0901 234 567.")
        contact = {
            "name": name.strip() or None if isinstance(name, str) else None,
            "phone": phone.strip() if isinstance(phone, str) else None,
        }

        def write(tx: Connection) -> None:
            tx.execute(
                "UPDATE devices SET contact_name = ?, contact_phone = ? WHERE id = ?",
                (contact["name"], contact["phone"], device.id),
            )
            audit.append(tx, device, "device.contact", f"device/{device.id}")

        await self.db.write(write)
        return contact
