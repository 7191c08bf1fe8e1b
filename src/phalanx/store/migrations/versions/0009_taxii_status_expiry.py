"""TAXII status resources expire: an index on their creation time.

Statuses older than ``PHALANX_TAXII_STATUS_HOURS`` are deleted with each POST
(taxii/ingest.py); the index lets that find the few expired ones without a scan.

Revision ID: 0009_taxii_status_expiry
Revises: 0008_observables_clustered
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0009_taxii_status_expiry"
down_revision = "0008_observables_clustered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index taxii_status by creation time."""
    op.create_index("ix_taxii_status_created_at", "taxii_status", ["created_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_taxii_status_created_at", table_name="taxii_status")
