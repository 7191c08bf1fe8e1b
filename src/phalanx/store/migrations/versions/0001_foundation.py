"""Foundation: members, keys, observables, scopes, contributions, reports, audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the foundation tables."""
    op.create_table(
        "hub_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "organisations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_users_org_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("last_used_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "observables",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "scopes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("orgs", sa.Text, nullable=False),
        sa.Column("users", sa.Text, nullable=False),
        sa.Column("communities", sa.Text, nullable=False),
        sa.Column("agreement_id", sa.BigInteger, nullable=True),
        sa.Column("early_access", sa.Text, nullable=False),
    )
    op.create_table(
        "contributions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(36), nullable=False, unique=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("api_key_id", sa.BigInteger, sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("new_count", sa.Integer, nullable=False),
        sa.Column("known_count", sa.Integer, nullable=False),
        sa.Column("rejected_count", sa.Integer, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("org_id", "idempotency_key", name="uq_contributions_org_idempotency"),
    )
    op.create_table(
        "reports",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("observable_id", sa.BigInteger, sa.ForeignKey("observables.id"), nullable=False),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column(
            "contribution_id", sa.BigInteger, sa.ForeignKey("contributions.id"), nullable=False
        ),
        sa.Column("scope_id", sa.BigInteger, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("pap", sa.String(8), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("confidence", sa.Integer, nullable=True),
        sa.Column("valid_from", sa.BigInteger, nullable=True),
        sa.Column("valid_until", sa.BigInteger, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("embargo_until", sa.BigInteger, nullable=True),
        sa.Column("victim_country", sa.String(2), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_reports_observable_id", "reports", ["observable_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("actor_org_id", sa.BigInteger, nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    """Drop the foundation tables."""
    for table in (
        "audit_events",
        "reports",
        "contributions",
        "scopes",
        "observables",
        "api_keys",
        "users",
        "organisations",
        "hub_meta",
    ):
        op.drop_table(table)
