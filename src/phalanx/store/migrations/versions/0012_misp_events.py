"""MISP events an organisation imported, and the observables each named.

A newer copy of an event withdraws what the copy before it named and it no longer does
(misp/sync.py).

Revision ID: 0012_misp_events
Revises: 0011_ledger_unit_keys
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_misp_events"
down_revision = "0011_ledger_unit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create misp_events and misp_event_claims."""
    op.create_table(
        "misp_events",
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("event_uuid", sa.String(36), primary_key=True),
        sa.Column("stamp", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "misp_event_claims",
        sa.Column("org_id", sa.BigInteger, primary_key=True),
        sa.Column("event_uuid", sa.String(36), primary_key=True),
        sa.Column("observable_key", sa.BigInteger, primary_key=True),
    )
    op.create_index(
        "ix_misp_event_claims_org_id", "misp_event_claims", ["org_id", "observable_key"]
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_misp_event_claims_org_id", table_name="misp_event_claims")
    op.drop_table("misp_event_claims")
    op.drop_table("misp_events")
