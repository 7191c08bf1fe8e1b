"""Apply Alembic migrations to a database (on start-up and by ``phalanx db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from phalanx.store.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    """Return an Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> str | None:
    """Upgrade the schema to ``revision`` and return the revision now current."""
    config = alembic_config(db)
    with db.transaction() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return current_revision(db)


def current_revision(db: Database) -> str | None:
    """Return the schema revision the database is at (None when empty)."""
    with db.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """Return the newest revision the packaged migrations define."""
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()
