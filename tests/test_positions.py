"""Officers' positions (issue 16): the contract of PUT /api/officers/me/position and GET
/api/units/positions, each refusal, the audit of every read, the retention job and a supervisor's
track of a past incident. Runs on SQLite and on PostgreSQL (SOS_TEST_BACKEND)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.services import Services

from .server_checks import wait_for

PHU_MY_UNIT = "ward-26704"
TAN_PHU_UNIT = "ward-27031"
HERE = {"lat": 10.7295, "lon": 106.7419, "accuracy": 12.0}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def now_ms() -> int:
    return round(time.time() * 1000)


def on_duty(client: TestClient, token: str, status: str = "available") -> None:
    r = client.put("/api/officers/me/availability", json={"status": status}, headers=bearer(token))
    assert r.status_code == 200, r.text


def put(client: TestClient, token: str, body: Any) -> Any:
    return client.put("/api/officers/me/position", json=body, headers=bearer(token))


def rows(svc: Services, sql: str, *args: Any) -> list[dict[str, Any]]:
    return svc.db.read_sync(lambda c: [dict(r) for r in c.execute(sql, args)])


def listed(client: TestClient, token: str) -> dict[str, dict[str, Any]]:
    r = client.get("/api/units/positions", headers=bearer(token))
    assert r.status_code == 200, r.text
    return {row["username"]: row for row in r.json()}


def test_an_available_officers_fix_is_listed_for_the_center_and_each_read_audited(
    client: TestClient, login, svc: Services
) -> None:
    officer = login("pm.gps", "officer", PHU_MY_UNIT)
    busy = login("tp.gps", "officer", TAN_PHU_UNIT)
    resting = login("pm.rest", "officer", PHU_MY_UNIT)
    dispatcher = login("dp.gps", "dispatcher")
    on_duty(client, officer)
    on_duty(client, busy, "busy")
    on_duty(client, resting)

    at = now_ms()
    assert put(client, officer, {**HERE, "at": at}).status_code == 204
    assert put(client, busy, {"lat": 10.79, "lon": 106.63, "accuracy": 30, "at": at}).status_code == 204
    assert put(client, resting, {**HERE, "at": at}).status_code == 204
    on_duty(client, resting, "off_duty")  # gone off duty: no longer listed

    seen = listed(client, dispatcher)
    assert set(seen) == {"pm.gps", "tp.gps"}
    row = seen["pm.gps"]
    assert set(row) >= {"username", "display_name", "unit", "lat", "lon", "accuracy", "at",
                        "availability", "incident"}
    assert (row["unit"], row["lat"], row["lon"], row["accuracy"], row["at"]) == (
        PHU_MY_UNIT, HERE["lat"], HERE["lon"], HERE["accuracy"], at)
    assert (row["availability"], row["incident"], row["stale"]) == ("available", None, False)
    assert seen["tp.gps"]["availability"] == "busy"

    for role in ("supervisor", "admin"):
        assert set(listed(client, login(f"{role}.gps", role))) == {"pm.gps", "tp.gps"}
    reads = rows(svc, "SELECT actor_role FROM audit_log WHERE action = 'units.positions.read'")
    assert sorted(r["actor_role"] for r in reads) == ["admin", "dispatcher", "supervisor"]

    # Back on duty with the fix still young: listed again.
    on_duty(client, resting)
    assert "pm.rest" in listed(client, dispatcher)


def test_the_offline_batch_is_a_list_the_newest_fix_wins_and_a_resend_is_kept_once(
    client: TestClient, login, svc: Services
) -> None:
    officer = login("pm.batch", "officer", PHU_MY_UNIT)
    dispatcher = login("dp.batch", "dispatcher")
    on_duty(client, officer)
    t = now_ms()
    live = {"lat": 10.74, "lon": 106.74, "accuracy": 8, "at": t}
    assert put(client, officer, live).status_code == 204
    # Fixes taken offline a few minutes ago arrive after the live one: kept for the track, but
    # the map keeps the newest.
    batch = [
        {"lat": 10.7301, "lon": 106.7401, "accuracy": 20, "at": t - 240_000},
        {"lat": 10.7310, "lon": 106.7410, "accuracy": 20, "at": t - 180_000},
    ]
    assert put(client, officer, batch).status_code == 204
    assert put(client, officer, batch).status_code == 204  # the phone's retry: no duplicates
    row = listed(client, dispatcher)["pm.batch"]
    assert (row["lat"], row["at"]) == (10.74, t)
    assert len(rows(svc, "SELECT at FROM officer_positions")) == 3

    # A batch of only old fixes, once the phone is back after long, leaves the map alone.
    assert put(client, officer, [{**HERE, "at": t - 200_000}]).status_code == 204
    assert listed(client, dispatcher)["pm.batch"]["at"] == t


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**HERE, "lat": 90.5, "at": 0}, "lat must be between -90 and 90"),
        ({**HERE, "lon": -180.1, "at": 0}, "lon must be between -180 and 180"),
        ({**HERE, "accuracy": -1, "at": 0}, "accuracy must be between 0 and 5000"),
        ({**HERE, "accuracy": 50_000, "at": 0}, "accuracy must be between 0 and 5000"),
        ({**HERE, "at": "future"}, "at must be a number"),
        ({**HERE, "at": "FUTURE"}, "at must be between"),
        ({"lon": 106.7, "accuracy": 5, "at": 0}, "lat is missing"),
        ({**HERE, "lat": "10.7", "at": 0}, "lat must be a number"),
        ({**HERE, "lat": True, "at": 0}, "lat must be a number"),
        ([], "a batch holds 1 to 200 fixes"),
        (["here"], "each fix must be a JSON object"),
    ],
)
def test_out_of_range_or_missing_values_are_refused_whole(
    client: TestClient, login, svc: Services, body: Any, words: str
) -> None:
    officer = login("pm.bad", "officer", PHU_MY_UNIT)
    on_duty(client, officer)
    fix = dict(body) if isinstance(body, dict) else body
    if isinstance(fix, dict) and fix.get("at") == 0:
        fix["at"] = now_ms()
    elif isinstance(fix, dict) and fix.get("at") == "FUTURE":
        fix["at"] = now_ms() + 10 * 60_000  # ten minutes ahead: a wrong clock
    # A good fix with the bad one in a batch: nothing of it is kept.
    payload = [{**HERE, "at": now_ms()}, fix] if isinstance(fix, dict) else fix
    for sent in (fix, payload):
        r = put(client, officer, sent)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid" and words in r.json()["message"]
    assert rows(svc, "SELECT * FROM officer_positions") == []


def test_who_may_send_and_who_may_read(client: TestClient, login) -> None:
    fix = {**HERE, "at": now_ms()}
    assert put(client, "", fix).status_code == 401
    r = client.put("/api/officers/me/position", json=fix)
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    device = client.post("/api/citizen/devices").json()["token"]
    dispatcher = login("dp.who", "dispatcher")
    officer = login("pm.who", "officer", PHU_MY_UNIT)
    for token in (device, dispatcher, login("sv.who", "supervisor"), login("ad.who", "admin")):
        r = put(client, token, fix)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
    for token in (device, officer):
        for path in ("/api/units/positions", "/api/units/positions/live"):
            r = client.get(path, headers=bearer(token))
            assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
    assert client.get("/api/units/positions").status_code == 401

    # An officer who never said they are on duty, or said off duty, shares nothing.
    r = put(client, officer, fix)
    assert r.status_code == 409 and r.json()["error"] == "off_duty"
    on_duty(client, officer, "off_duty")
    assert put(client, officer, fix).status_code == 409
    assert listed(client, dispatcher) == {}


def test_a_position_older_than_the_retention_setting_is_deleted_by_the_job(
    client: TestClient, login, svc: Services
) -> None:
    officer = login("pm.old", "officer", PHU_MY_UNIT)
    dispatcher = login("dp.old", "dispatcher")
    on_duty(client, officer)
    assert put(client, officer, {**HERE, "at": now_ms()}).status_code == 204
    jobs = rows(svc, "SELECT run_at FROM outbox WHERE topic = 'positions.prune'")
    retention = svc.settings.position_retention_s
    assert len(jobs) == 1 and time.time() + retention <= jobs[0]["run_at"] <= time.time() + retention + 3600
    young = now_ms()
    assert put(client, officer, [{**HERE, "lat": 10.731, "at": young}]).status_code == 204

    # Time passes (the stored fixes age by the retention and a minute); the job comes due.
    def age(tx: Any) -> None:
        for table in ("officer_positions", "officer_positions_latest"):
            tx.execute(f"UPDATE {table} SET at = at - ? WHERE at < ?", (retention + 60, young / 1000))
        tx.execute("UPDATE outbox SET run_at = 0 WHERE topic = 'positions.prune'")

    svc.db.write_sync(age)
    svc.worker.wake()
    wait_for(
        lambda: rows(svc, "SELECT state FROM outbox WHERE topic = 'positions.prune'")
        == [{"state": "done"}],
        what="the retention job",
    )
    assert [r["lat"] for r in rows(svc, "SELECT lat FROM officer_positions")] == [10.731]
    assert listed(client, dispatcher)["pm.old"]["lat"] == 10.731

    # And the newest one too, once it is as old: the officer is off the map.
    svc.db.write_sync(lambda tx: (age(tx), tx.execute(
        "UPDATE officer_positions SET at = at - ?", (retention + 60,)), tx.execute(
        "UPDATE officer_positions_latest SET at = at - ?", (retention + 60,)),
        tx.execute("UPDATE outbox SET state = 'pending', run_at = 0 WHERE topic = 'positions.prune'")))
    svc.worker.wake()
    wait_for(lambda: rows(svc, "SELECT * FROM officer_positions") == [], what="the second run")
    assert rows(svc, "SELECT * FROM officer_positions_latest") == []
    assert listed(client, dispatcher) == {}


# -- a past incident's track, and the incident an officer is on ------------------------------------
def incident(svc: Services, device: str, incident_id: str, dispatched: float, cleared: float | None,
             status: str = "resolved") -> None:
    def write(tx: Any) -> None:
        tx.execute(
            """INSERT INTO reports (id, device_id, category, arrived_at, updated_at)
               VALUES (?, ?, 'crime', ?, ?)""",
            (incident_id, device, dispatched - 60, dispatched - 60),
        )
        tx.execute(
            """INSERT INTO incidents (id, status, category, priority, arrived_at, dispatched_at,
                   updated_at) VALUES (?, ?, 'crime', 1, ?, ?, ?)""",
            (incident_id, status, dispatched - 60, dispatched, dispatched),
        )
        tx.execute(
            """INSERT INTO assignments (incident_id, unit, dispatched_at, acknowledged_at, cleared_at)
               VALUES (?, ?, ?, ?, ?)""",
            (incident_id, PHU_MY_UNIT, dispatched, dispatched + 10, cleared),
        )

    svc.db.write_sync(write)


def test_a_supervisor_sees_an_officers_track_between_dispatch_and_clear_through_an_audited_call(
    client: TestClient, login, svc: Services
) -> None:
    officer = login("pm.track", "officer", PHU_MY_UNIT)
    on_duty(client, officer)
    device = client.post("/api/citizen/devices").json()["device_id"]
    start = time.time() - 3600
    incident(svc, device, "inc-past", dispatched=start, cleared=start + 900)
    fixes = [
        {"lat": round(10.70 + i / 1000, 4), "lon": 106.74, "accuracy": 10, "at": round((start + s) * 1000)}
        for i, s in enumerate((-300, 60, 400, 800, 1200))
    ]
    assert put(client, officer, fixes).status_code == 204

    supervisor = login("sv.track", "supervisor")
    r = client.get("/api/incidents/inc-past/track", params={"officer": "pm.track"},
                   headers=bearer(supervisor))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["officer"], body["unit"]) == ("pm.track", PHU_MY_UNIT)
    assert (body["from"], body["to"]) == (round(start * 1000), round((start + 900) * 1000))
    assert [p["lat"] for p in body["positions"]] == [10.701, 10.702, 10.703]  # in the span only
    audited = rows(svc, "SELECT target, detail FROM audit_log WHERE action = 'officer.track.read'")
    assert audited[0]["target"] == "incident/inc-past" and '"officer": "pm.track"' in audited[0]["detail"]

    for role in ("dispatcher", "admin", "officer"):
        token = login(f"{role}.trk", role, PHU_MY_UNIT if role == "officer" else None)
        r = client.get("/api/incidents/inc-past/track", params={"officer": "pm.track"},
                       headers=bearer(token))
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
    for params, status in (({}, 422), ({"officer": "nobody"}, 404)):
        r = client.get("/api/incidents/inc-past/track", params=params, headers=bearer(supervisor))
        assert r.status_code == status and r.json()["error"] in ("invalid", "not_found")


def test_the_list_names_the_incident_the_officer_is_on(client: TestClient, login, svc: Services) -> None:
    officer = login("pm.on", "officer", PHU_MY_UNIT)
    dispatcher = login("dp.on", "dispatcher")
    on_duty(client, officer, "busy")
    device = client.post("/api/citizen/devices").json()["device_id"]
    incident(svc, device, "inc-open", dispatched=time.time() - 120, cleared=None, status="en_route")
    user_id = rows(svc, "SELECT id FROM users WHERE username = 'pm.on'")[0]["id"]
    svc.db.write_sync(lambda tx: tx.execute(
        """INSERT INTO timeline_events (incident_id, entry_id, log, kind, user_id, unit, at, received_at)
           VALUES ('inc-open', 'e1', 'timeline', 'en_route', ?, ?, ?, ?)""",
        (str(user_id), PHU_MY_UNIT, now_ms(), time.time())))
    assert put(client, officer, {**HERE, "at": now_ms()}).status_code == 204
    assert listed(client, dispatcher)["pm.on"]["incident"] == "inc-open"


def test_the_phones_and_consoles_get_the_settings_from_the_config(client: TestClient) -> None:
    config = client.get("/api/config").json()
    assert config["positions"] == {"interval_s": 15, "move_m": 25, "stale_s": 120, "speed_kmh": 20}
