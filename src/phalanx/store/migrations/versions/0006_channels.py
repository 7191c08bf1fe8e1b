"""Deployment channels, channel versions and change log, deployment keys and receipts.

Revision ID: 0006_channels
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_channels"
down_revision = "0005_alliance"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the channel, version, change-log, key and receipt tables."""
    op.create_table(
        "channels",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("deleted_at", sa.BigInteger, nullable=True),
        sa.Column("checked_at", sa.BigInteger, nullable=True),
        sa.Column("checked_mark", sa.Text, nullable=True),
    )
    op.create_index("ix_channels_org_id", "channels", ["org_id"])
    op.create_table(
        "channel_versions",
        sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("items_digest", sa.String(64), nullable=False),
        sa.Column("content_digest", sa.String(71), nullable=False),
        sa.Column("etag", sa.String(40), nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("item_set", sa.LargeBinary, nullable=True),
    )
    op.create_table(
        "channel_changes",
        sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("item_key", sa.String(32), primary_key=True),
        sa.Column("item", sa.Text, nullable=False),
        sa.Column("added", sa.Boolean, nullable=False),
    )
    op.create_table(
        "deployment_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "deployment_receipts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.BigInteger, sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_digest", sa.String(71), nullable=False),
        sa.Column("deployed_at", sa.BigInteger, nullable=False),
        sa.Column("control", sa.String(200), nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint(
            "channel_id", "version", "control", name="uq_deployment_receipts_version"
        ),
    )
    op.create_index("ix_deployment_receipts_org_id", "deployment_receipts", ["org_id"])


def downgrade() -> None:
    """Drop the channel tables."""
    for table in (
        "deployment_receipts",
        "deployment_keys",
        "channel_changes",
        "channel_versions",
        "channels",
    ):
        op.drop_table(table)
