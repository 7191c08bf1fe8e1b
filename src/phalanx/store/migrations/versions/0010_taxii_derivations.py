"""TAXII POSTs are derived into reports after the 202: the queue table.

An envelope's objects are stored (and visible over TAXII) in the POST's transaction; the
reports they yield are written by a background deriver (taxii/derive.py) from this queue.

Revision ID: 0010_taxii_derivations
Revises: 0009_taxii_status_expiry
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_taxii_derivations"
down_revision = "0009_taxii_status_expiry"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create taxii_derivations."""
    op.create_table(
        "taxii_derivations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("status_id", sa.String(36), nullable=False),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("key_db_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("defaults", sa.LargeBinary, nullable=False),
        sa.Column("positions", sa.LargeBinary, nullable=False),
        sa.Column("first_added", sa.BigInteger, nullable=True),
        sa.Column("last_added", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("lease_until", sa.BigInteger, nullable=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop taxii_derivations."""
    op.drop_table("taxii_derivations")
