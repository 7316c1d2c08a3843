"""The audit log for supervisors: who opened which report when, filtered, paged, exported."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from starlette.testclient import TestClient

from app.identity import audit
from app.identity.auth import Principal

T0 = 1_750_000_000.0  # 2025-06-15 22:06:40 in Ho Chi Minh City


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def log(client: TestClient, login, svc):
    """Two officers read reports over an hour; a login failure with a hostile username."""
    chief = login("chief", "supervisor")
    login("an", "officer", "ward-26704")
    login("binh", "officer", "ward-27031")
    users = dict(svc.db.read_sync(lambda c: c.execute("SELECT username, id FROM users").fetchall()))

    def write(tx) -> None:
        for k in range(30):
            name = ("an", "binh")[k % 2]
            who = Principal("user", str(users[name]), "officer", unit=None, username=name)
            kind = ("report", "incident")[k % 3 == 0]
            audit.append(tx, who, f"{kind}.read", f"{kind}/r{k % 5}", at=T0 + 120 * k)
        audit.append(tx, None, "user.login_failed", "username/=HYPERLINK(\"http://x\")",
                     at=T0 + 4000)

    svc.db.write_sync(write)
    return chief


def get(client: TestClient, token: str, **params):
    r = client.get("/api/audit", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_filters_by_actor_action_target_and_period(client: TestClient, log) -> None:
    an = get(client, log, actor="an", limit=1000)["entries"]
    assert {e["actor_name"] for e in an} == {"an"}
    assert Counter(e["action"].split(".")[1] for e in an) == {"read": 15, "login": 1}
    reads = get(client, log, action="report.*")["entries"]
    assert {e["action"] for e in reads} == {"report.read"} and len(reads) == 20
    both = get(client, log, target="r1")["entries"]  # a bare id: its report and its incident
    assert {e["target"] for e in both} == {"report/r1", "incident/r1"}
    exact = get(client, log, target="incident/r0")["entries"]
    assert {e["target"] for e in exact} == {"incident/r0"}
    period = get(client, log, **{"from": T0 + 600, "to": T0 + 1200})["entries"]
    assert [e["at"] for e in period] == [T0 + 1080, T0 + 960, T0 + 840, T0 + 720, T0 + 600]
    nobody = get(client, log, actor="nobody")["entries"]
    assert nobody == []


def test_paging_walks_every_entry_once_newest_first(client: TestClient, log) -> None:
    seen: list[int] = []
    before = None
    while True:
        page = get(client, log, action="*", limit=7, **({"before": before} if before else {}))
        seen += [e["id"] for e in page["entries"]]
        before = page["next_before"]
        if before is None:
            break
    everything = get(client, log, limit=1000)["entries"]
    assert seen == [e["id"] for e in everything] == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) >= 31


def test_csv_export_matches_and_defuses_formulas(client: TestClient, log) -> None:
    r = client.get("/api/audit.csv", params={"lang": "en", "actor": "binh"}, headers=bearer(log))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="sos-audit.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["id", "Time", "Actor", "Role", "Action", "Target", "Detail"]
    entries = get(client, log, actor="binh")["entries"]
    assert [int(row[0]) for row in rows[1:]] == [e["id"] for e in entries]
    assert {row[2] for row in rows[1:]} == {"binh"}
    assert rows[1][1].endswith("+07:00")
    hostile = client.get("/api/audit", params={"format": "csv", "action": "user.login_failed"},
                         headers=bearer(log))
    cells = list(csv.reader(io.StringIO(hostile.content.decode("utf-8-sig"))))[1]
    assert cells[5] == "username/=HYPERLINK(\"http://x\")"  # not at the start: left alone
    exported = get(client, log, action="audit.export")["entries"]
    assert len(exported) == 2 and exported[0]["actor_name"] == "chief"


def test_text_cells_that_excel_would_run_get_an_apostrophe() -> None:
    from app.stats.tables import to_csv

    body = to_csv((["a", "b"], [["=1+1", "-2"], ["@x", 3]])).decode("utf-8-sig")
    assert body.splitlines() == ["a,b", "'=1+1,'-2", "'@x,3"]


@pytest.mark.parametrize("role", ["officer", "dispatcher"])
def test_only_supervisors_and_admins_browse_the_log(client: TestClient, login, role) -> None:
    token = login(f"someone-{role}", role, "ward-26704" if role == "officer" else None)
    for address in ("/api/audit", "/api/audit.csv"):
        assert client.get(address, headers=bearer(token)).status_code == 403


def test_bad_audit_parameters_are_refused(client: TestClient, log) -> None:
    for params, words in (({"limit": "0"}, "limit must be from 1"), ({"before": "x"}, "whole"),
                          ({"from": "soon"}, "from must be a date"), ({"who": "me"}, "Unknown"),
                          ({"limit": "5000"}, "limit must be from 1 to 1000")):
        r = client.get("/api/audit", params=params, headers=bearer(log))
        assert r.status_code == 422 and words in r.json()["message"], (params, r.text)
