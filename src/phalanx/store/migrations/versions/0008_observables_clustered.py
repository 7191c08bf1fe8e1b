"""Observables clustered by id on SQLite (a WITHOUT ROWID table).

An observable's id is a 64-bit hash, not a rowid alias, so a rowid table kept two b-trees:
the table and the primary-key index. Every join from reports looked the id up in the index,
then the row in the table; every insert wrote both. Clustered by id, each is one b-tree
walk (a million-report channel build reads its rows about a fifth faster). PostgreSQL keeps
its heap and index: nothing changes there.

Revision ID: 0008_observables_clustered
Revises: 0007_feedback
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0008_observables_clustered"
down_revision = "0007_feedback"
branch_labels = None
depends_on = None

_COLUMNS = """
    id BIGINT NOT NULL,
    type VARCHAR(16) NOT NULL,
    value TEXT NOT NULL,
    CONSTRAINT pk_observables PRIMARY KEY (id)
"""


def _rebuild(options: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Reports reference observables. Foreign keys cannot be switched off inside the
    # migration's transaction, but they can be checked at commit instead: dropping the table
    # counts every report as orphaned, re-inserting each observable clears its reports.
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    bind.exec_driver_sql("CREATE TEMP TABLE _observables_copy AS SELECT * FROM observables")
    bind.exec_driver_sql("DROP TABLE observables")
    bind.exec_driver_sql(f"CREATE TABLE observables ({_COLUMNS}) {options}")
    bind.exec_driver_sql(
        "INSERT INTO observables (id, type, value) "
        "SELECT id, type, value FROM _observables_copy ORDER BY id"
    )
    bind.exec_driver_sql("DROP TABLE _observables_copy")


def upgrade() -> None:
    """Rebuild the SQLite observables table without a rowid."""
    _rebuild("WITHOUT ROWID")


def downgrade() -> None:
    """Rebuild it as a rowid table again."""
    _rebuild("")
