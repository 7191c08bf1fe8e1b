"""Feedback: sightings, their reports, per-observable feedback state, reputation.

Revision ID: 0007_feedback
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_feedback"
down_revision = "0006_channels"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the feedback tables."""
    op.create_table(
        "sightings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(36), nullable=False, unique=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("api_key_id", sa.BigInteger, nullable=True),
        sa.Column("observable_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("context", sa.Text, nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("org_id", "item_key", name="uq_sightings_org_item"),
    )
    op.create_index("ix_sightings_observable_id", "sightings", ["observable_id"])
    op.create_table(
        "sighting_reports",
        sa.Column("sighting_id", sa.BigInteger, sa.ForeignKey("sightings.id"), primary_key=True),
        sa.Column("report_id", sa.BigInteger, primary_key=True),
    )
    op.create_index("ix_sighting_reports_report_id", "sighting_reports", ["report_id"])
    op.create_table(
        "feedback_states",
        sa.Column("observable_id", sa.BigInteger, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_feedback_states_updated_at", "feedback_states", ["updated_at"])
    op.create_table(
        "reputations",
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("confirmed", sa.Integer, nullable=False),
        sa.Column("false_positives", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sighting_requests",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("org_id", "idempotency_key", name="uq_sighting_requests_org_key"),
    )


def downgrade() -> None:
    """Drop the feedback tables."""
    for table in (
        "sighting_requests",
        "reputations",
        "feedback_states",
        "sighting_reports",
        "sightings",
    ):
        op.drop_table(table)
