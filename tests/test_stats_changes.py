"""The statistics' change log on PostgreSQL, with writers side by side (issue 14's ingest lock).

Two `PostgresDatabase`s on one database stand for two web processes. A report's transaction that
is still open must not hold up another process's reports (it used to: one advisory lock, held
from the incident's INSERT to the commit, let one report at a time through the whole city), and
the figures must still see both, whichever commits first.
"""

from __future__ import annotations

import threading

import pytest

from app.stats import history as stats_history
from app.stats.facts import FactsCache
from app.storage.postgres import PostgresDatabase

from .test_outbox_shared import dbs

pytestmark = pytest.mark.multiprocess
__all__ = ["dbs"]  # the fixture: two databases on one PostgreSQL, as two processes have

END = 1_780_000_000.0


def test_an_open_report_does_not_hold_up_another_and_the_figures_see_both(
    dbs: list[PostgresDatabase],
) -> None:
    a, b = dbs
    early = stats_history.generate(5, days=2, end=END, seed=1)
    late = stats_history.generate(7, days=2, end=END, seed=2)
    stats_history.insert(a, stats_history.History([], []))  # the shared test device
    cache = FactsCache(clock=lambda: END)
    assert a.read_sync(cache.current).ids == []

    written, release = threading.Event(), threading.Event()

    def slow(tx) -> None:  # the incidents are in, but the transaction stays open
        stats_history._write(tx, early.incidents, early.assignments)
        written.set()
        assert release.wait(30)

    errors: list[BaseException] = []

    def run(fn) -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)

    first = threading.Thread(target=run, args=(lambda: a.write_sync(slow),))
    first.start()
    try:
        assert written.wait(30)
        second = threading.Thread(target=run, args=(
            lambda: b.write_sync(lambda tx: stats_history._write(tx, late.incidents, late.assignments)),
        ))
        second.start()
        second.join(10)
        assert not second.is_alive(), "a report on process B waited for an open one on process A"
        assert not errors

        # B's incidents are there; A's are not committed yet.
        facts = b.read_sync(cache.current)
        assert set(facts.ids) == {i["id"] for i in late.incidents}
    finally:
        release.set()
        first.join(30)
    assert not errors
    # A committed after the reader last looked, with a transaction older than B's: still seen,
    # by patching the facts in memory, not by loading everything again.
    facts = b.read_sync(cache.current)
    assert set(facts.ids) == {i["id"] for i in early.incidents + late.incidents}
    assert cache.loads == 1
    # And an assignment made later reaches the figures too.
    target = facts.index[early.incidents[0]["id"]]
    before = int((facts.a_incident == target).sum())
    b.write_sync(lambda tx: tx.execute(
        "INSERT INTO assignments (incident_id, unit, dispatched_at) VALUES (?, 'dept-traffic', ?)",
        (early.incidents[0]["id"], END - 10)))
    facts = a.read_sync(cache.current)
    assert int((facts.a_incident == target).sum()) == before + 1 and cache.loads == 1
