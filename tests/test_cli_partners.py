"""`sos partner add NAME` prints a working Open311 key once; `sos partner revoke NAME` ends it."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.settings import Settings

from .conftest import LiveServer

# `_database` is test_cli's autouse fixture: imported, it points `run` at PostgreSQL here too.
from .test_cli import DATABASE, _database, run  # noqa: F401


def test_partner_add_prints_a_key_that_works_until_revoked(tmp_path: Path) -> None:
    added = run(["partner", "add", "portal-q7"], tmp_path)
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    assert len(key) >= 40 and " " not in key

    again = run(["partner", "add", "portal-q7"], tmp_path)
    assert again.exit_code != 0 and "revoke it first" in again.output
    bad = run(["partner", "add", "Portal Q7!"], tmp_path)
    assert bad.exit_code != 0 and "partner name" in bad.output

    server = LiveServer(Settings(data_dir=tmp_path, secret_key="cli-test", database_url=DATABASE["url"])).start()
    try:
        url = f"{server.url}/open311/v2/requests.json"
        assert httpx.get(url, params={"api_key": key}).json() == []
        stored = server.svc.db.read_sync(lambda c: [tuple(r) for r in c.execute("SELECT name, key_hash FROM partners")])
        assert stored and key not in str(stored)

        revoked = run(["partner", "revoke", "portal-q7"], tmp_path)
        assert revoked.exit_code == 0, revoked.output
        r = httpx.get(url, params={"api_key": key})
        assert r.status_code == 403 and r.json()[0]["code"] == 403
        assert run(["partner", "revoke", "portal-q7"], tmp_path).exit_code != 0

        # A new key for the same partner: the old one stays dead.
        renewed = run(["partner", "add", "portal-q7"], tmp_path)
        new_key = renewed.output.strip().splitlines()[-1]
        assert new_key != key
        assert httpx.get(url, params={"api_key": new_key}).status_code == 200
        assert httpx.get(url, params={"api_key": key}).status_code == 403
    finally:
        server.stop()
