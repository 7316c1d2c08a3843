"""A warning's phones are planned page by page (app/warnings/delivery.py): the first page is small,
so the first pushes start while the rest are planned (issue 24's first-1,000-in-5-s target)."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from app.services import Services
from app.warnings.delivery import FIRST_PAGE, PAGE

from .warnings_helpers import TAN_PHU, police, publish


def test_the_first_page_is_small_and_the_next_ones_full(client: TestClient, svc: Services, login) -> None:
    devices = [f"d{i:05d}" for i in range(FIRST_PAGE + 100)]
    now = time.time()

    def follow(tx) -> None:
        tx.executemany("INSERT INTO devices (id, created_at) VALUES (?, ?)", [(d, now) for d in devices])
        tx.executemany("INSERT INTO device_areas (device_id, ward_code) VALUES (?, ?)", [(d, TAN_PHU) for d in devices])

    svc.db.write_sync(follow)
    wid = publish(client, police(login))
    delivery = svc.warning_delivery
    assert delivery is not None and FIRST_PAGE < len(devices) < PAGE
    _, last = svc.db.write_sync(lambda tx: delivery.plan(tx, wid, ""))
    assert last == devices[FIRST_PAGE - 1]  # a next page follows the first FIRST_PAGE devices
    _, last = svc.db.write_sync(lambda tx: delivery.plan(tx, wid, devices[FIRST_PAGE - 1]))
    assert last is None  # the remaining 100 fit in a full page: no more pages
