"""Storage: the database engine, tables, migrations and repositories.

Repositories take a SQLAlchemy ``Connection`` and return domain dataclasses, never rows, so
pure packages never see SQLAlchemy. Services never commit: the request or CLI command owns
the transaction (``with db.transaction() as conn:``). SQLite/PostgreSQL differences live in
``db.py`` only. Every time is stored as integer microseconds since the epoch (UTC): exact
keyset ordering on both engines and no per-row conversion on hot paths.
"""
