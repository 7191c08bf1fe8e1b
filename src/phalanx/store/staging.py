"""A contribution's rows staged in TEMP tables before its write transaction (SQLite only).

SQLite has one writer at a time, and the sqlite3 driver spends about as long handing each
row of an ``executemany`` to SQLite as SQLite spends storing it. A TEMP table belongs to
its connection and takes no lock on the store, so API workers fill these tables in
parallel, outside the write lock; the write transaction then moves each table's rows
with one ``INSERT … SELECT`` (1.7 against 4.5 µs per report row measured), after
dropping the rows its own checks changed. The items table holds one row per distinct
observable of the contribution, keyed by observable key; the slot tables hold the columns
its rows share.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from phalanx.alliance.ledger import COLUMNS as LEDGER_COLUMNS
from phalanx.store.observables import Stored
from phalanx.store.reports import INSERT_COLUMNS as REPORT_COLUMNS

ITEMS = "staged_items"
REPORT_SLOTS = "staged_report_slots"
LEDGER_SLOTS = "staged_ledger_slots"
# Which of an item's staged rows a discard drops (the column naming its slot).
REPORTS = "report_slot"
LEDGER = "ledger_slot"
CHUNK = 5_000

# A report's columns but its observable (the staged key) and its contribution (unknown until
# the write transaction inserts the contribution row) are shared by every item of one
# marking and kind: staged once per such slot, while each item stages its key and slot.
# The driver's cost grows with the values per row and, more, with the rows: one table of
# six values per item costs about half of three tables of two or three.
REPORT_SLOT = tuple(c for c in REPORT_COLUMNS if c not in ("observable_id", "contribution_id"))
# Likewise a ledger row's, but for its credit unit: shared by the items that scored alike.
_OWN_LEDGER_COLUMNS = ("observable_id", "contribution_id", "credit_unit", "unit_key")
LEDGER_SLOT = tuple(c for c in LEDGER_COLUMNS if c not in _OWN_LEDGER_COLUMNS)
_LEDGER_SHARED = tuple(LEDGER_COLUMNS.index(c) for c in LEDGER_SLOT)
_TABLES = {
    # One row per distinct observable: its value, and the slots of its report and ledger row
    # (NULL once the write transaction dropped that row).
    ITEMS: (
        "key INTEGER PRIMARY KEY",
        *("item", "type", "value", REPORTS, LEDGER, "credit_unit", "unit_key"),
    ),
    REPORT_SLOTS: ("slot INTEGER PRIMARY KEY", *REPORT_SLOT),
    LEDGER_SLOTS: ("slot INTEGER PRIMARY KEY", *LEDGER_SLOT),
}


@dataclass(frozen=True, slots=True)
class Rows:
    """What one contribution stages."""

    # (key, item index, type, value, report slot, ledger slot or None, credit unit or None,
    # its unit key or None)
    items: Sequence[tuple[object, ...]]
    report_slots: Sequence[tuple[object, ...]]  # (slot, *REPORT_SLOT)
    ledger_slots: Sequence[tuple[object, ...]]  # (slot, *LEDGER_SLOT)


def ledger_slot(row: Sequence[object]) -> tuple[object, ...]:
    """A ledger row's (``ledger.COLUMNS`` order) columns its slot holds."""
    return tuple(row[i] for i in _LEDGER_SHARED)


def fill(conn: Connection, rows: Rows) -> None:
    """Stage a contribution's rows, replacing anything staged on this connection before."""
    for table, staged in (
        (ITEMS, rows.items),
        (REPORT_SLOTS, rows.report_slots),
        (LEDGER_SLOTS, rows.ledger_slots),
    ):
        columns = _TABLES[table]
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({', '.join(columns)})")
        conn.exec_driver_sql(f"DELETE FROM temp.{table}")
        if staged:
            marks = ", ".join("?" * len(columns))
            conn.exec_driver_sql(f"INSERT INTO temp.{table} VALUES ({marks})", staged)


def clear(conn: Connection) -> None:
    """Free what is staged on this connection (it goes back to the pool)."""
    for table in _TABLES:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table}")


def store_observables(conn: Connection, keys: Collection[int]) -> Stored:
    """``observables.store_many`` for the staged observables (``keys``: every staged key).

    The insert says which keys it stored; only the others are compared with the stored
    values. A contribution of new values so walks the table once instead of twice (the
    walk is the costly part of the write once the table outgrows the CPU caches).
    """
    # WHERE true: SQLite's grammar needs it between a SELECT and its ON CONFLICT clause.
    result = conn.exec_driver_sql(
        f"INSERT INTO observables (id, type, value) SELECT key, type, value"
        f" FROM temp.{ITEMS} WHERE true ON CONFLICT (id) DO NOTHING RETURNING id"
    )
    try:
        # Straight off the driver's cursor: SQLAlchemy's per-row fetch would add about
        # a tenth to the insert, and the single writer waits for it.
        inserted = {key for (key,) in result.cursor.fetchall()}
    finally:
        result.close()
    present = [key for key in keys if key not in inserted]
    collisions: set[int] = set()
    for marks, chunk in _key_chunks(present):
        collisions.update(
            key
            for key, same in conn.exec_driver_sql(
                f"SELECT s.key, s.type = o.type AND s.value = o.value FROM temp.{ITEMS} s"
                f" CROSS JOIN observables o ON o.id = s.key WHERE s.key IN ({marks})",
                chunk,
            )
            if not same
        )
    return Stored(collisions=collisions, existed=set(present) - collisions)


def credited_units(conn: Connection, org_id: int) -> set[str]:
    """``ledger.credited_units`` for the credit units of the staged ledger rows."""
    # CROSS JOIN keeps the staged table outside: TEMP tables have no statistics, and the
    # planner would otherwise walk the organisation's whole ledger once per staged row.
    return set(
        conn.exec_driver_sql(
            f"SELECT DISTINCT l.credit_unit FROM temp.{ITEMS} s CROSS JOIN alliance_ledger l"
            " ON l.org_id = ? AND l.unit_key = s.unit_key AND l.credit_unit = s.credit_unit"
            " WHERE l.kind = 'contribution' AND l.centipoints > 0",
            (org_id,),
        ).scalars()
    )


def ledger_mark(conn: Connection) -> int:
    """The newest ledger row's id: rows written later have larger ids (none is deleted)."""
    return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM alliance_ledger").scalar())


def credited_since(conn: Connection, org_id: int, mark: int) -> set[str]:
    """The credit units that earned ``org_id`` points in ledger rows after ``mark``."""
    # No DISTINCT: the set removes repeats without the temporary B-tree (half the time).
    return set(
        conn.exec_driver_sql(
            "SELECT credit_unit FROM alliance_ledger WHERE org_id = ? AND id > ?"
            " AND kind = 'contribution' AND centipoints > 0",
            (org_id, mark),
        ).scalars()
    )


def discard(conn: Connection, row: str, keys: Collection[int]) -> None:
    """Drop staged rows (``REPORTS`` or ``LEDGER``) the write transaction decided otherwise."""
    for marks, chunk in _key_chunks(sorted(keys)):
        conn.exec_driver_sql(f"UPDATE temp.{ITEMS} SET {row} = NULL WHERE key IN ({marks})", chunk)


def _key_chunks(keys: Sequence[int]) -> Iterator[tuple[str, tuple[int, ...]]]:
    """``keys`` in chunks a statement can bind, each with its ``?, ?, …`` placeholders."""
    for start in range(0, len(keys), CHUNK):
        chunk = tuple(keys[start : start + CHUNK])
        yield ", ".join("?" * len(chunk)), chunk


def staged_points(conn: Connection) -> int:
    """The centipoints of the staged ledger rows."""
    total = conn.exec_driver_sql(
        f"SELECT coalesce(sum(m.centipoints), 0) FROM temp.{ITEMS} s"
        f" CROSS JOIN temp.{LEDGER_SLOTS} m ON m.slot = s.{LEDGER}"
    ).scalar()
    return int(total or 0)


def move_reports(conn: Connection, contribution_id: int) -> int:
    """Insert the staged reports under ``contribution_id``; return how many."""
    # In key order, as the plain write sorts them: one ordered sweep of the observable index.
    return _move(conn, REPORTS, REPORT_SLOTS, "reports", REPORT_COLUMNS, contribution_id, "key")


def move_ledger(conn: Connection, contribution_id: int) -> int:
    """Insert the staged ledger rows under ``contribution_id``; return how many."""
    # By unit, then in item order as the plain write appends them: a unit's earning row comes
    # before the rows of the same unit that earned nothing more. Grouping by unit key makes
    # the (organisation, unit key) index one ordered sweep, not 50,000 random inserts (in
    # process, 221 against 162 ms per 50,000 rows; in key order, unsorted, 134 ms).
    return _move(
        conn,
        LEDGER,
        LEDGER_SLOTS,
        "alliance_ledger",
        LEDGER_COLUMNS,
        contribution_id,
        "unit_key, s.item",
    )


def _move(
    conn: Connection,
    row: str,
    slots: str,
    target: str,
    columns: Sequence[str],
    contribution_id: int,
    order: str,
) -> int:
    own = {
        "observable_id": "s.key",
        "credit_unit": "s.credit_unit",
        "unit_key": "s.unit_key",
        "contribution_id": "?",
    }
    picks = [own.get(column, f"m.{column}") for column in columns]
    # CROSS JOIN: the items lead and find their slot by its primary key.
    result = conn.exec_driver_sql(
        f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(picks)}"
        f" FROM temp.{ITEMS} s CROSS JOIN temp.{slots} m ON m.slot = s.{row} ORDER BY s.{order}",
        (contribution_id,),
    )
    return int(result.rowcount)
