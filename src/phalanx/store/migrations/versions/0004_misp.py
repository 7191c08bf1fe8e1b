"""MISP export: an index to read a viewer's reports contribution by contribution.

MISP events group reports by contribution (``misp/writer.py``); without this index every
keyset page of that read sorts all visible reports again.

Revision ID: 0004_misp
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004_misp"
down_revision = "0003_taxii"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index reports by (contribution, id)."""
    op.create_index("ix_reports_contribution_id", "reports", ["contribution_id", "id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_reports_contribution_id", table_name="reports")
