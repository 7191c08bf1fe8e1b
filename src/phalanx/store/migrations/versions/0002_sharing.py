"""Sharing: communities, their members, data-exchange agreements, the policy version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the sharing tables and seed the policy version."""
    op.create_table(
        "communities",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "community_members",
        sa.Column("community_id", sa.BigInteger, sa.ForeignKey("communities.id"), primary_key=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("added_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("jurisdictions", sa.Text, nullable=False),
        sa.Column("own_victims_only", sa.Boolean, nullable=False),
        sa.Column("personal_data", sa.Boolean, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=True),
        sa.Column("onward", sa.Boolean, nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_until", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column("internal_domains", sa.Text, nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("internal_host_prefixes", sa.Text, nullable=False, server_default="[]")
        )
    op.execute("INSERT INTO hub_meta (key, value) VALUES ('policy_version', '1')")


def downgrade() -> None:
    """Drop the sharing tables."""
    op.execute("DELETE FROM hub_meta WHERE key = 'policy_version'")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("internal_host_prefixes")
        batch.drop_column("internal_domains")
    for table in ("agreements", "community_members", "communities"):
        op.drop_table(table)
