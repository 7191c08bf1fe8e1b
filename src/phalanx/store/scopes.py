"""Scope rows: find-or-create by digest, and a per-process cache of every scope."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping

import orjson
from sqlalchemy import Connection, func, select

from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.policy.scope import scope_digest
from phalanx.store.db import Database
from phalanx.store.tables import scopes


def find(conn: Connection, scope: Scope) -> int | None:
    """Return the id of the scope row with this content, or None when there is none."""
    return _id_of(conn, scope_digest(scope))


def get_or_create(conn: Connection, db: Database, scope: Scope) -> int:
    """Return the id of the scope row with this content, creating it when new."""
    digest = scope_digest(scope)
    found = _id_of(conn, digest)
    if found is not None:
        return found
    conn.execute(
        db.insert_ignore(scopes).values(
            digest=digest,
            tlp=scope.tlp.value,
            orgs=_ids(scope.orgs),
            users=_ids(scope.users),
            communities=_ids(scope.communities),
            agreement_id=scope.agreement_id,
            early_access=_ids(scope.early_access),
        )
    )
    return int(conn.execute(select(scopes.c.id).where(scopes.c.digest == digest)).scalar_one())


def existing(conn: Connection, ids: Collection[int]) -> set[int]:
    """Which of these scope ids have a row."""
    found = conn.execute(select(scopes.c.id).where(scopes.c.id.in_(list(ids)))).scalars()
    return {int(scope_id) for scope_id in found}


def _id_of(conn: Connection, digest: str) -> int | None:
    found = conn.execute(select(scopes.c.id).where(scopes.c.digest == digest)).scalar()
    return None if found is None else int(found)


class ScopeCache:
    """Every scope by id. Scope rows never change once written, so the cache only grows."""

    def __init__(self) -> None:
        self._scopes: dict[int, Scope] = {}
        self._last_id = 0
        self._lock = threading.Lock()

    def all(self, conn: Connection) -> Mapping[int, Scope]:
        """Return every scope, reading only rows newer than the last call.

        On PostgreSQL ids can commit out of order (a transaction holding id 7 may commit after
        one holding id 8), so a row below the highest id seen can appear later; the row count
        gives that away, and then the whole (small) table is read again.
        """
        # Two scalar subqueries: together in one SELECT, SQLite scans the table for both,
        # apart it answers each from the b-tree (a count, the last rowid) at once.
        count, top = conn.execute(
            select(
                select(func.count()).select_from(scopes).scalar_subquery(),
                select(func.max(scopes.c.id)).scalar_subquery(),
            )
        ).one()
        if count == len(self._scopes) and (top or 0) == self._last_id:
            return self._scopes
        rows = conn.execute(
            select(scopes).where(scopes.c.id > self._last_id).order_by(scopes.c.id)
        ).all()
        with self._lock:
            for row in rows:
                self._scopes[row.id] = _scope(row._mapping)
            if rows:
                self._last_id = max(self._last_id, rows[-1].id)
            if len(self._scopes) != count:  # a late commit below the top, or a purge
                everything = conn.execute(select(scopes)).all()
                self._scopes = {row.id: _scope(row._mapping) for row in everything}
                self._last_id = max(self._scopes, default=0)
        return self._scopes

    def clear(self) -> None:
        """Forget everything (after a purge that deletes scopes)."""
        with self._lock:
            self._scopes = {}
            self._last_id = 0


def _scope(row: Mapping[str, object]) -> Scope:
    return Scope(
        tlp=TLP(str(row["tlp"])),
        orgs=frozenset(orjson.loads(str(row["orgs"]))),
        users=frozenset(orjson.loads(str(row["users"]))),
        communities=frozenset(orjson.loads(str(row["communities"]))),
        agreement_id=None if row["agreement_id"] is None else int(str(row["agreement_id"])),
        early_access=frozenset(orjson.loads(str(row["early_access"]))),
    )


def _ids(values: frozenset[int]) -> str:
    return orjson.dumps(sorted(values)).decode()
