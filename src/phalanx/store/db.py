"""Engine and transactions; the only module that knows SQLite from PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement

log = logging.getLogger("phalanx.store")

_WRITE = "phalanx_write"
# Audit appends serialise on this PostgreSQL advisory lock (an arbitrary constant).
AUDIT_LOCK_KEY = 0x5048414C414E58
CONTRIBUTION_LOCK_SPACE = 0x50484C58  # high half of an organisation's contribution lock key
# A table is analysed again once this process doubled what it analysed, and added this many.
ANALYZE_MIN_ROWS = 1_000
PAGE_SIZE = 16_384  # bytes, for new SQLite stores (see _sqlite_engine)


class Database:
    """A configured engine plus transaction helpers for one store."""

    def __init__(self, url: str, *, sqlite_cache_mib: int = 256, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url!r}: use sqlite:/// or postgresql+psycopg://"
            )
        self._lock_path: Path | None = None
        self._growth: dict[str, tuple[int, int]] = {}  # table -> (rows added, rows analysed)
        self._growth_lock = threading.Lock()
        self._analyser: ThreadPoolExecutor | None = None
        self._analyses: dict[str, Future[None]] = {}  # table -> its queued or running ANALYZE
        self._copy_types: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, sqlite_cache_mib, echo)
            database = parsed.database
            if database and database != ":memory:":
                self._lock_path = Path(database).resolve().with_name(Path(database).name + ".lock")
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=8)

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite store."""
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(
        self, *, write: bool = True, on: Connection | None = None, foreign_keys: bool = True
    ) -> Iterator[Connection]:
        """Run a block in one transaction: commit on success, roll back on any error.

        ``on`` is a connection from ``connection()`` to run it on (a fresh one otherwise).
        ``foreign_keys=False`` lets SQLite skip its foreign-key checks for this transaction
        alone: for a bulk write whose every reference the block itself has just inserted or
        verified (ingest/staged.py); PostgreSQL always checks.
        """
        with self._write_lock(write):
            if on is not None:
                with self._begin(on, write, foreign_keys):
                    yield on
                return
            with self.engine.connect() as conn, self._begin(conn, write, foreign_keys):
                yield conn

    @contextmanager
    def _begin(self, conn: Connection, write: bool, foreign_keys: bool = True) -> Iterator[None]:
        conn.info[_WRITE] = write
        unchecked = self.is_sqlite and not foreign_keys
        if unchecked:
            _sqlite_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                yield
        finally:
            # An invalidated connection is discarded, not pooled: nothing to switch back.
            if unchecked and not conn.invalidated:
                _sqlite_foreign_keys(conn, on=True)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One pooled connection for several transactions in a row (TEMP tables live on it)."""
        with self.engine.connect() as conn:
            yield conn

    def read(self, *, on: Connection | None = None) -> Any:
        """Return a read-only transaction context (a plain BEGIN on SQLite)."""
        return self.transaction(write=False, on=on)

    @contextmanager
    def _write_lock(self, write: bool) -> Iterator[None]:
        # SQLite's busy handler sleeps in steps up to 100 ms; a kernel lock wakes the next
        # writer at once, which keeps several API workers from stalling each other.
        if not write or self._lock_path is None:
            yield
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def param(self) -> str:
        """The DB-API placeholder for raw hot-path SQL (``?`` or ``%s``)."""
        return "?" if self.is_sqlite else "%s"

    def any_of(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """Return (SQL, params) for ``column`` matching any of ``values`` in raw SQL."""
        if self.is_sqlite:
            return f"{column} IN ({','.join('?' * len(values))})", list(values)
        return f"{column} = ANY(%s)", [list(values)]

    def insert_ignore(self, table: Table) -> Insert:
        """Return ``INSERT … ON CONFLICT DO NOTHING`` for this dialect."""
        module = sqlite if self.is_sqlite else postgresql
        return module.insert(table).on_conflict_do_nothing()

    def bulk_insert(
        self, conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append rows that cannot conflict: executemany on SQLite, COPY on PostgreSQL.

        psycopg's executemany still sends one INSERT per row; COPY streams them in one
        statement and is an order of magnitude faster for contribution-sized batches.
        """
        if not rows:
            return
        names = ", ".join(columns)
        if self.is_sqlite:
            marks = ", ".join("?" * len(columns))
            conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        types = self._column_types(conn, table, columns)
        cursor = conn.connection.cursor()
        try:
            # Binary: text COPY spells every bytea as hex and every number as digits.
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def _column_types(self, conn: Connection, table: str, columns: Sequence[str]) -> list[str]:
        """PostgreSQL type names of ``columns`` (binary COPY needs them), read once."""
        key = (table, tuple(columns))
        types = self._copy_types.get(key)
        if types is None:
            found = dict(
                conn.exec_driver_sql(
                    "SELECT a.attname, t.typname FROM pg_attribute a"
                    " JOIN pg_type t ON t.oid = a.atttypid"
                    " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                    (table,),
                ).all()
            )
            types = self._copy_types[key] = [found[column] for column in columns]
        return types

    def lock_audit_chain(self, conn: Connection) -> None:
        """Serialise audit appends (SQLite writers are already serialised by BEGIN IMMEDIATE)."""
        if not self.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})

    def lock_contributions(self, conn: Connection, org_id: int) -> None:
        """Serialise one organisation's contributions until this transaction ends.

        Two concurrent contributions of one value by one organisation must not both find no
        report and both add one. SQLite writers are serialised already; PostgreSQL writers
        run side by side, so one organisation's wait for each other (others' do not).
        """
        if not self.is_sqlite:
            key = CONTRIBUTION_LOCK_SPACE << 32 | org_id & 0xFFFFFFFF
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def grew(self, table: str, rows: int) -> Future[None] | None:
        """Note rows committed to ``table``; on PostgreSQL, ANALYZE it when it grew enough.

        Autovacuum analyses a table only after its naptime (a minute by default). A table
        filled by a burst of contributions keeps an empty table's statistics until then,
        and the planner answers each TAXII page with a full scan and a sort instead of
        walking the primary key (7.7 ms against 0.65 ms for a page of 10,000 objects).
        Estimates off by up to half still choose the same plans, so a table is analysed
        again each time it doubled: a handful of times while it fills, then autovacuum's
        turn. SQLite's planner needs no statistics for these queries.

        The ANALYZE runs on a thread of its own, not in the request that committed: it reads
        a sample of the whole table (70 ms at 10,000 TAXII objects here), which the answer
        need not wait for. Returns the analysis it queued (or that was queued already).
        """
        if self.is_sqlite or rows <= 0:
            return None
        with self._growth_lock:
            added, analysed = self._growth.get(table, (0, 0))
            added += rows
            due = added >= max(ANALYZE_MIN_ROWS, analysed)
            self._growth[table] = (0, analysed + added) if due else (added, analysed)
            if not due:
                return None
            queued = self._analyses.get(table)
            if queued is not None and not queued.running() and not queued.done():
                return queued  # it has not started: it will see these rows too
            if self._analyser is None:
                self._analyser = ThreadPoolExecutor(1, thread_name_prefix="phalanx-analyse")
            future = self._analyses[table] = self._analyser.submit(self._analyse, table)
            return future

    def _analyse(self, table: str) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql(f"ANALYZE {table}")
        except Exception:  # statistics are an optimisation: autovacuum will refresh them
            log.exception("ANALYZE %s failed; autovacuum will analyse it later", table)

    def dispose(self) -> None:
        """Finish a running analysis, drop queued ones, close every pooled connection."""
        with self._growth_lock:
            analyser, self._analyser = self._analyser, None
            self._analyses.clear()
        if analyser is not None:
            analyser.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()


def _sqlite_engine(url: str, cache_mib: int, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            # For a new store only (an existing one keeps its size). Ingest dirties most
            # pages of its random-keyed B-trees in every transaction; larger pages write
            # them as a quarter of the WAL frames, with fewer B-tree levels. Set before WAL,
            # which fixes the size once the file exists.
            f"page_size={PAGE_SIZE}",
            "journal_mode=WAL",
            "foreign_keys=ON",
            # FULL syncs the WAL at every commit: what we acknowledge survives power loss.
            "synchronous=FULL",
            "busy_timeout=60000",
            f"cache_size=-{cache_mib * 1024}",
            "temp_store=MEMORY",
            # Checkpoint less often (20,000 pages: 320 MiB of 16 KiB pages): a random-key
            # index page is then copied once for several transactions, not once each.
            "wal_autocheckpoint=20000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so a writer never fails half-way
        # with SQLITE_BUSY when it upgrades from a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE) else "BEGIN")

    return engine


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    # On the driver's connection: through SQLAlchemy the statement would begin a
    # transaction, and inside one SQLite ignores this pragma.
    conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"
    )


def driver_sql(conn: Connection, statement: ClauseElement) -> tuple[str, Any]:
    """A statement as the DB-API driver's SQL and parameters, ``IN`` lists expanded.

    For hot reads that take rows straight off the DB-API cursor, where SQLAlchemy's row
    processing would cost more than the query.
    """
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = tuple(compiled.params[name] for name in compiled.positiontup)
    return str(compiled), params
