"""PostgreSQL planner statistics are refreshed once a table grew by enough rows."""

from __future__ import annotations

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
        hub.db.grew("organisations", ANALYZE_MIN_ROWS)  # nothing to do: no error
        return
    assert _reltuples(hub) == -1  # never analysed
    hub.db.grew("organisations", ANALYZE_MIN_ROWS - 1)
    assert _reltuples(hub) == -1
    hub.db.grew("organisations", 1)
    assert _reltuples(hub) == 3
    # The next analysis waits until the table doubled what this process saw analysed.
    member("Delta")
    hub.db.grew("organisations", ANALYZE_MIN_ROWS - 1)
    assert _reltuples(hub) == 3
    hub.db.grew("organisations", 1)
    assert _reltuples(hub) == 4
