"""Alliance rules: published sources, the points ledger, give-to-get standing.

Revision ID: 0005_alliance
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_alliance"
down_revision = "0004_misp"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the alliance tables."""
    op.create_table(
        "published_sources",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("refresh_hours", sa.Integer, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_imported_at", sa.BigInteger, nullable=True),
        sa.Column("last_digest", sa.String(64), nullable=True),
        sa.Column("last_count", sa.Integer, nullable=True),
    )
    op.create_table(
        "alliance_ledger",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("centipoints", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("shown_class", sa.String(16), nullable=True),
        sa.Column("true_class", sa.String(16), nullable=True),
        sa.Column("observable_id", sa.BigInteger, nullable=True),
        sa.Column("contribution_id", sa.BigInteger, nullable=True),
        sa.Column("report_id", sa.BigInteger, nullable=True),
        sa.Column("credit_unit", sa.Text, nullable=True),
        sa.Column("by_org_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_alliance_ledger_org_id", "alliance_ledger", ["org_id", "id"])
    # Partial: only earning rows are looked up by unit, only feedback rows by report.
    earning = sa.text("centipoints > 0")
    feedback = sa.text("report_id IS NOT NULL")
    op.create_index(
        "ix_alliance_ledger_org_unit",
        "alliance_ledger",
        ["org_id", "credit_unit"],
        sqlite_where=earning,
        postgresql_where=earning,
    )
    op.create_index(
        "ix_alliance_ledger_report_id",
        "alliance_ledger",
        ["report_id"],
        sqlite_where=feedback,
        postgresql_where=feedback,
    )
    op.create_table(
        "alliance_standing",
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("restricted_from", sa.BigInteger, nullable=True),
        sa.Column("evaluated_at", sa.BigInteger, nullable=False),
        sa.Column("override_status", sa.String(16), nullable=True),
        sa.Column("override_reason", sa.Text, nullable=True),
        sa.Column("override_at", sa.BigInteger, nullable=True),
        sa.Column("override_until", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    """Drop the alliance tables."""
    op.drop_table("alliance_standing")
    op.drop_index("ix_alliance_ledger_report_id", "alliance_ledger")
    op.drop_index("ix_alliance_ledger_org_unit", "alliance_ledger")
    op.drop_index("ix_alliance_ledger_org_id", "alliance_ledger")
    op.drop_table("alliance_ledger")
    op.drop_table("published_sources")
