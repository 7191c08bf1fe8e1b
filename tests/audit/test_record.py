"""The audit chain detects any single modified byte, on every engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from phalanx.audit.record import record, verify
from phalanx.cli import app
from phalanx.clock import to_micros
from phalanx.store.tables import audit_events

FIELDS = ("at", "actor_org_id", "actor", "action", "subject", "details", "prev_hash", "hash")


def _fill(hub, count=6):
    with hub.db.transaction() as conn:
        for number in range(count):
            record(
                conn,
                hub.db,
                action="test.event",
                at=to_micros(hub.clock()) + number,
                actor_org_id=number,
                actor=f"key{number}",
                subject=f"thing:{number}",
                details={"n": number, "text": "ümlaut ✓"},
            )


def test_intact_chain_verifies(hub):
    _fill(hub)
    with hub.db.read() as conn:
        verdict = verify(conn)
    assert verdict.ok and verdict.checked == 6 and verdict.first_broken is None


def _flip_one_byte(value):
    if isinstance(value, int):
        return value ^ 1
    text = str(value)
    middle = len(text) // 2
    replacement = "0" if text[middle] != "0" else "1"
    return text[:middle] + replacement + text[middle + 1 :]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("seq", [1, 4, 6])
def test_single_modified_byte_is_named(hub, field, seq):
    _fill(hub)
    with hub.db.transaction() as conn:
        old = conn.execute(select(audit_events.c[field]).where(audit_events.c.seq == seq)).scalar()
        conn.execute(
            update(audit_events)
            .where(audit_events.c.seq == seq)
            .values({field: _flip_one_byte(old)})
        )
    with hub.db.read() as conn:
        verdict = verify(conn)
    assert not verdict.ok
    # Changing a row's own hash is caught at that row; so is every other field.
    assert verdict.first_broken == seq
    assert verdict.checked == seq - 1


def test_deleted_row_breaks_the_chain_at_its_successor(hub):
    _fill(hub)
    with hub.db.transaction() as conn:
        conn.execute(audit_events.delete().where(audit_events.c.seq == 3))
    with hub.db.read() as conn:
        verdict = verify(conn)
    assert not verdict.ok and verdict.first_broken == 4


def test_cli_audit_verify_names_the_broken_entry(hub, monkeypatch):
    _fill(hub)
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"ok":true' in ok.stdout
    with hub.db.transaction() as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 2).values(actor="kez1"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "entry 2" in broken.output
