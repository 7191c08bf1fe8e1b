"""Migrations keep what is stored: observables rebuilt on SQLite (0008), ledger unit keys (0011)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from phalanx.alliance import ledger
from phalanx.alliance.scoring import unit_key
from phalanx.members import service as members
from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.store import migrate
from phalanx.store import scopes as scope_store
from phalanx.store.db import Database

BEFORE = "0007_feedback"
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _fill(db: Database) -> None:
    with db.transaction() as conn:
        org = members.create_org(conn, db, name="Acme", kind="vendor", country="DE", now=NOW)
        scope = scope_store.get_or_create(conn, db, Scope(tlp=TLP.GREEN))
        conn.execute(
            text(
                "INSERT INTO contributions (id, public_id, org_id, format, created_at, "
                "item_count, new_count, known_count, rejected_count) "
                "VALUES (1, 'c', :org, 'json', 0, 3, 3, 0, 0)"
            ),
            {"org": org.id},
        )
        for number, key in enumerate((-(2**63), 7, 2**63 - 1)):
            conn.execute(
                text("INSERT INTO observables (id, type, value) VALUES (:k, 'ipv4', :v)"),
                {"k": key, "v": f"45.77.10.{number}"},
            )
            conn.execute(
                text(
                    "INSERT INTO reports (observable_id, org_id, contribution_id, scope_id, "
                    "kind, tlp, pap, labels, anonymous, created_at, updated_at) "
                    "VALUES (:k, :org, 1, :scope, 'ipv4', 'green', 'green', '|c2|', 0, 0, 0)"
                ),
                {"k": key, "org": org.id, "scope": scope},
            )


def _observables(db: Database) -> list[tuple[int, str]]:
    with db.read() as conn:
        rows = conn.execute(text("SELECT id, value FROM observables ORDER BY id"))
        return [(int(key), str(value)) for key, value in rows]


def _definition(db: Database) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'observables'")
            ).scalar_one()
        )


def test_sqlite_observables_are_rebuilt_without_rowid_keeping_rows_and_keys(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(db, BEFORE)
    _fill(db)
    before = _observables(db)
    assert "WITHOUT ROWID" not in _definition(db)

    assert migrate.upgrade(db) == migrate.head_revision(db)
    assert "WITHOUT ROWID" in _definition(db)
    assert _observables(db) == before
    with db.read() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        joined = conn.execute(
            text("SELECT count(*) FROM reports JOIN observables ON observables.id = observable_id")
        ).scalar_one()
        assert joined == 3
    # Reports still hold their observables.
    with pytest.raises(IntegrityError), db.transaction() as conn:
        conn.execute(text("DELETE FROM observables WHERE id = 7"))

    command_downgrade(db, BEFORE)
    assert "WITHOUT ROWID" not in _definition(db)
    assert _observables(db) == before
    db.dispose()


def command_downgrade(db: Database, revision: str) -> None:
    config = migrate.alembic_config(db)
    with db.transaction() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def test_ledger_rows_get_their_unit_keys_and_their_units_are_still_found(
    database_url: str,
) -> None:
    db = Database(database_url)
    units = ["domain:alpha-gaming.net", "ipv4:198.51.100.7", None]  # feedback rows have none
    command_downgrade(db, "0010_taxii_derivations")
    try:
        with db.transaction() as conn:
            org = members.create_org(conn, db, name="Acme", kind="vendor", country="DE", now=NOW)
            for unit in units:
                conn.execute(
                    text(
                        "INSERT INTO alliance_ledger (org_id, at, kind, centipoints, reason,"
                        " credit_unit) VALUES (:org, 0, 'contribution', 500, 'novel', :unit)"
                    ),
                    {"org": org.id, "unit": unit},
                )
    finally:
        migrate.upgrade(db)  # the store goes back to the head revision whatever happens
    with db.read() as conn:
        stored = conn.execute(text("SELECT credit_unit, unit_key FROM alliance_ledger ORDER BY id"))
        assert list(stored) == [(u, None if u is None else unit_key(u)) for u in units]
        wanted = ["domain:alpha-gaming.net", "ipv4:198.51.100.8"]
        assert ledger.credited_units(conn, org.id, wanted) == {"domain:alpha-gaming.net"}
    command_downgrade(db, "0010_taxii_derivations")  # and back: the text index again
    migrate.upgrade(db)
    db.dispose()
