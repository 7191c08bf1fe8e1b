"""TAXII 2.1 and the STIX object store: stix_objects, taxii_collections, taxii_status.

Revision ID: 0003_taxii
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_taxii"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the STIX object store and the TAXII tables."""
    op.create_table(
        "stix_objects",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("stix_id", sa.String(300), nullable=False),
        sa.Column("type", sa.String(250), nullable=False),
        sa.Column("spec_version", sa.String(8), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("version_us", sa.BigInteger, nullable=False),
        sa.Column("date_added", sa.BigInteger, nullable=False, unique=True),
        sa.Column("is_latest", sa.Boolean, nullable=False),
        sa.Column("is_first", sa.Boolean, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column(
            "contribution_id", sa.BigInteger, sa.ForeignKey("contributions.id"), nullable=True
        ),
        sa.Column("scope_id", sa.BigInteger, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("embargo_until", sa.BigInteger, nullable=True),
        sa.Column("victim_country", sa.String(2), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_stix_objects_stix_id", "stix_objects", ["stix_id", "org_id"])
    op.create_index("ix_stix_objects_type", "stix_objects", ["type", "seq"])
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("alias", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("org_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop the TAXII tables."""
    op.drop_table("taxii_status")
    op.drop_table("taxii_collections")
    op.drop_index("ix_stix_objects_type", "stix_objects")
    op.drop_index("ix_stix_objects_stix_id", "stix_objects")
    op.drop_table("stix_objects")
