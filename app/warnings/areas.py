"""The wards a citizen device follows, and whether it takes part in exercises.

Ward codes only: the phone works out its own ward (or the citizen picks home, work, a parent's
ward) and sends codes; the server never stores where the phone is for this. Replaced as a whole
on each `PUT`, so a phone that moved simply sends its new list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal
from app.inputs import invalid
from app.storage.base import Connection, Database
from app.warnings.fields import ward_codes

MAX_AREAS = 10


class Areas:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time, max_wards: int = MAX_AREAS):
        self.db = db
        self.clock = clock
        self.max_wards = max_wards

    async def put(self, device: Principal, body: dict[str, Any]) -> dict[str, Any]:
        value = body.get("wards")
        if not isinstance(value, list):
            raise invalid("wards", "wards must be a list of ward codes (may be empty).")
        if len(value) > self.max_wards:
            raise invalid("wards", f"Follow at most {self.max_wards} wards.")
        codes = ward_codes(value, "wards")
        exercises = body.get("exercises")
        if exercises is not None and not isinstance(exercises, bool):
            raise invalid("exercises", "exercises must be true or false.")

        def write(tx: Connection) -> dict[str, Any]:
            names = _names(tx, codes)
            unknown = [c for c in codes if c not in names]
            if unknown:
                raise ApiError(422, "invalid", f"Unknown ward codes: {', '.join(map(str, unknown[:10]))}.",
                               field="wards", unknown=unknown[:10])
            tx.execute("DELETE FROM device_areas WHERE device_id = ?", (device.id,))
            for code in codes:
                tx.execute("INSERT INTO device_areas (device_id, ward_code) VALUES (?, ?)", (device.id, code))
            if exercises is not None:
                tx.execute(
                    """INSERT INTO device_warning_prefs (device_id, exercises, updated_at) VALUES (?, ?, ?)
                       ON CONFLICT (device_id) DO UPDATE SET exercises = excluded.exercises,
                           updated_at = excluded.updated_at""",
                    (device.id, int(exercises), self.clock()),
                )
            # How many, not which: the wards a person follows say where they live and work.
            audit.append(tx, device, "device.warning_areas", f"device/{device.id}", wards=len(codes),
                         exercises=exercises)
            return _of(tx, device.id)

        return await self.db.write(write)

    async def get(self, device: Principal) -> dict[str, Any]:
        return await self.db.read(lambda c: _of(c, device.id))


def _names(conn: Any, codes: tuple[int, ...]) -> dict[int, str]:
    if not codes:
        return {}
    marks = ",".join("?" * len(codes))
    return {int(r[0]): r[1] for r in conn.execute(f"SELECT code, name FROM wards WHERE code IN ({marks})", codes)}


def _of(conn: Any, device_id: str) -> dict[str, Any]:
    wards = [
        {"code": int(r[0]), "name": r[1]}
        for r in conn.execute(
            """SELECT w.code, w.name FROM device_areas a JOIN wards w ON w.code = a.ward_code
               WHERE a.device_id = ? ORDER BY w.name""",
            (device_id,),
        )
    ]
    pref = conn.execute("SELECT exercises FROM device_warning_prefs WHERE device_id = ?", (device_id,)).fetchone()
    return {"wards": wards, "exercises": bool(pref[0]) if pref else False}
