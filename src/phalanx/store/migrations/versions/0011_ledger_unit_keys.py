"""The ledger finds credit units by a 64-bit key instead of their text.

Every contribution inserts its earning rows into the (organisation, unit) index at random
places, and each page that touches is written again at commit: keyed by the unit's 64-bit
hash (alliance.scoring.unit_key) the index is half the size, and so is that write. Lookups
compare the text after the key.

Revision ID: 0011_ledger_unit_keys
Revises: 0010_taxii_derivations
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011_ledger_unit_keys"
down_revision = "0010_taxii_derivations"
branch_labels = None
depends_on = None

BATCH = 10_000
EARNING = sa.text("centipoints > 0")


def unit_key(unit: str) -> int:
    """alliance.scoring.unit_key as of this revision (a migration keeps its own copy)."""
    return int.from_bytes(
        hashlib.blake2b(unit.encode(), digest_size=8).digest(), "big", signed=True
    )


def upgrade() -> None:
    """Add and fill unit_key; index it in place of the unit's text."""
    op.add_column("alliance_ledger", sa.Column("unit_key", sa.BigInteger, nullable=True))
    conn = op.get_bind()
    ledger = sa.table(
        "alliance_ledger", sa.column("id"), sa.column("credit_unit"), sa.column("unit_key")
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(ledger.c.id, ledger.c.credit_unit)
            .where(ledger.c.id > last, ledger.c.credit_unit.isnot(None))
            .order_by(ledger.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            sa.update(ledger)
            .where(ledger.c.id == sa.bindparam("row_id"))
            .values(unit_key=sa.bindparam("key")),
            [{"row_id": row_id, "key": unit_key(unit)} for row_id, unit in rows],
        )
        last = rows[-1][0]
    _earning_index("ix_alliance_ledger_org_unit_key", "unit_key")
    op.drop_index("ix_alliance_ledger_org_unit", table_name="alliance_ledger")


def downgrade() -> None:
    """Index the units' text again; drop unit_key."""
    _earning_index("ix_alliance_ledger_org_unit", "credit_unit")
    op.drop_index("ix_alliance_ledger_org_unit_key", table_name="alliance_ledger")
    op.drop_column("alliance_ledger", "unit_key")


def _earning_index(name: str, unit_column: str) -> None:
    """The ledger's (organisation, unit) index over earning rows only."""
    op.create_index(
        name,
        "alliance_ledger",
        ["org_id", unit_column],
        sqlite_where=EARNING,
        postgresql_where=EARNING,
    )
