"""One real server per test module, with a signed-in client of every role: for the bad-input
regression tests and the schema-driven fuzzer, which send hundreds of requests and must not pay a
server start for each. On the PostgreSQL pass it runs on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .pg import backend, shared_server
from .sync_client import point_in_ward

TAN_PHU = 27031
ROLES = ("citizen", "officer", "dispatcher", "supervisor", "admin")


@dataclass
class ApiServer:
    server: LiveServer
    tokens: dict[str, str] = field(default_factory=dict)
    report_id: str = ""
    partner_key: str = ""  # a partner's Open311 api_key (app.identity.partners)
    request_id: str = ""  # a service request that partner sent
    warning_id: str = ""  # a published public warning (issue 24)

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def known_ids(self) -> dict[str, str]:
        """Path parameters that name something real: the citizen's report (and its incident)."""
        return {"report_id": self.report_id, "incident_id": self.report_id,
                "kind": "report", "doc_id": self.report_id, "request_id": self.request_id,
                "warning_id": self.warning_id}

    def healthy(self) -> bool:
        return httpx.get(f"{self.url}/healthz", timeout=10).json() == {"status": "ok"}


@contextmanager
def api_server(data_dir: Path, **overrides: object) -> Iterator[ApiServer]:
    url = shared_server().create_database() if backend() == "postgresql" else None
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        login_slowdown_ms=1,
        inprocess_worker=True,
        triage_timeout_s=3600,
    ).with_(**overrides)
    server = LiveServer(settings).start()
    try:
        api = ApiServer(server)
        units = {"officer": "ward-27031", "dispatcher": "center"}
        for role in ROLES[1:]:
            server.svc.accounts.create_sync(role, PASSWORD, role, units.get(role))
            r = httpx.post(f"{server.url}/api/auth/login",
                           json={"username": role, "password": PASSWORD})
            assert r.status_code == 200, r.text
            api.tokens[role] = r.json()["token"]
        api.tokens["citizen"] = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
        api.report_id = _send_report(server.url, api.tokens["citizen"])
        api.partner_key = server.svc.partners.add_sync("fuzz-portal")
        lat, lon = point_in_ward(TAN_PHU)
        r = httpx.post(f"{server.url}/open311/v2/requests.json", data={
            "api_key": api.partner_key, "service_code": "traffic", "lat": lat, "long": lon,
            "description": "Kẹt xe / traffic jam"})
        assert r.status_code == 201, r.text
        api.request_id = r.json()[0]["service_request_id"]
        api.warning_id = _publish_warning(api)
        yield api
    finally:
        server.stop()
        if url is not None:
            shared_server().drop_database(url)


def _send_report(url: str, token: str) -> str:
    from .sync_client import SyncClient

    client = SyncClient(url, token)
    try:
        report_id = client.new_report("traffic", where=point_in_ward(TAN_PHU))
        assert client.sync(f"report/{report_id}").status_code == 200
        return report_id
    finally:
        client.close()


def _publish_warning(api: ApiServer) -> str:
    import time

    draft = {"wards": [TAN_PHU], "category": "fire", "severity": "Severe", "urgency": "Immediate",
             "certainty": "Observed", "headline": "Cháy", "description": "Cháy lan sang nhà bên",
             "expires": round((time.time() + 3600) * 1000)}
    r = httpx.post(f"{api.url}/api/warnings", json=draft, headers=api.headers("dispatcher"))
    assert r.status_code == 201, r.text
    warning_id = str(r.json()["id"])
    r = httpx.post(f"{api.url}/api/warnings/{warning_id}/approve", headers=api.headers("supervisor"))
    assert r.status_code == 200, r.text
    return warning_id
