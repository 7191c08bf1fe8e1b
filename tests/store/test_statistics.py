"""PostgreSQL planner statistics are refreshed once a table grew by enough rows."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import text

from phalanx.hub import Hub
from phalanx.store.db import ANALYZE_MIN_ROWS


def _reltuples(hub: Hub) -> float:
    with hub.db.read() as conn:
        found = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'organisations'")
        ).scalar_one()
        return float(found)


def test_a_grown_table_is_analysed_once_enough_rows_came(hub: Hub, member: Any) -> None:
    for name in ("Acme", "Bravo", "Charlie"):
        member(name)
    if hub.db.is_sqlite:
        assert hub.db.grew("organisations", ANALYZE_MIN_ROWS) is None  # nothing to do
        return
    assert _reltuples(hub) == -1  # never analysed
    assert hub.db.grew("organisations", ANALYZE_MIN_ROWS - 1) is None
    analysis = hub.db.grew("organisations", 1)
    assert analysis is not None
    analysis.result(timeout=30)  # off the caller's thread: the caller does not wait for it
    assert _reltuples(hub) == 3
    # The next analysis waits until the table doubled what this process saw analysed.
    member("Delta")
    assert hub.db.grew("organisations", ANALYZE_MIN_ROWS - 1) is None
    assert _reltuples(hub) == 3
    again = hub.db.grew("organisations", 1)
    assert again is not None
    again.result(timeout=30)
    assert _reltuples(hub) == 4


def test_the_analysis_runs_apart_from_the_request_and_a_failure_is_only_logged(
    hub: Hub, caplog: Any, monkeypatch: Any
) -> None:
    if hub.db.is_sqlite:
        return
    threads: list[str] = []
    real = hub.db._analyse

    def on_its_thread(table: str) -> None:
        threads.append(threading.current_thread().name)
        real(table)

    monkeypatch.setattr(hub.db, "_analyse", on_its_thread)
    analysis = hub.db.grew("organisations", ANALYZE_MIN_ROWS)
    assert analysis is not None
    analysis.result(timeout=30)
    assert threads and threads[0].startswith("phalanx-analyse")
    assert threads[0] != threading.current_thread().name
    monkeypatch.setattr(hub.db, "_analyse", real)
    with caplog.at_level(logging.ERROR, logger="phalanx.store"):
        hub.db.grew("no_such_table", ANALYZE_MIN_ROWS).result(timeout=30)  # type: ignore[union-attr]
    assert "ANALYZE no_such_table failed" in caplog.text
