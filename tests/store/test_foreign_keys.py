"""A write transaction may skip SQLite's foreign-key checks; the next one checks again.

PostgreSQL always checks: there the flag changes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from phalanx.hub import Hub

# A report naming an observable, contribution, organisation and scope that do not exist.
DANGLING = (
    "INSERT INTO reports (observable_id, org_id, contribution_id, scope_id, kind, tlp, pap,"
    " labels, anonymous, created_at, updated_at) VALUES (1, 999, 999, 999, 'ipv4', 'green',"
    " 'clear', '[]', false, 0, 0)"
)


def _rejects_dangling(hub: Hub, *, foreign_keys: bool = True) -> bool:
    try:
        with hub.db.transaction(foreign_keys=foreign_keys) as conn:
            conn.exec_driver_sql(DANGLING)
            conn.exec_driver_sql("DELETE FROM reports")
    except IntegrityError:
        return True
    return False


def test_an_unchecked_transaction_skips_the_checks_for_itself_alone(hub: Hub) -> None:
    assert _rejects_dangling(hub)
    # Unchecked, SQLite takes the caller's word for its rows; PostgreSQL checks anyway.
    assert _rejects_dangling(hub, foreign_keys=False) is not hub.db.is_sqlite
    with hub.db.connection() as pinned:
        with hub.db.transaction(on=pinned, foreign_keys=False):
            pass
        # The same pooled connection checks again.
        with hub.db.transaction(on=pinned) as conn, pytest.raises(IntegrityError):
            conn.exec_driver_sql(DANGLING)
    assert _rejects_dangling(hub)


def test_the_checks_come_back_after_an_unchecked_transaction_fails(hub: Hub) -> None:
    with hub.db.connection() as pinned:
        with pytest.raises(RuntimeError), hub.db.transaction(on=pinned, foreign_keys=False):
            raise RuntimeError("the block failed")
        with hub.db.transaction(on=pinned) as conn, pytest.raises(IntegrityError):
            conn.exec_driver_sql(DANGLING)
    assert _rejects_dangling(hub)
