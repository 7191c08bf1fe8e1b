"""Scope rows: find-or-create by digest, and a per-process cache of every scope."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import orjson
from sqlalchemy import Connection, select

from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.policy.scope import scope_digest
from phalanx.store.db import Database
from phalanx.store.tables import scopes


def get_or_create(conn: Connection, db: Database, scope: Scope) -> int:
    """Return the id of the scope row with this content, creating it when new."""
    digest = scope_digest(scope)
    found = conn.execute(select(scopes.c.id).where(scopes.c.digest == digest)).scalar()
    if found is not None:
        return int(found)
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


class ScopeCache:
    """Every scope by id. Scope rows never change once written, so the cache only grows."""

    def __init__(self) -> None:
        self._scopes: dict[int, Scope] = {}
        self._last_id = 0
        self._lock = threading.Lock()

    def all(self, conn: Connection) -> Mapping[int, Scope]:
        """Return every scope, reading only rows newer than the last call."""
        rows = conn.execute(
            select(scopes).where(scopes.c.id > self._last_id).order_by(scopes.c.id)
        ).all()
        if rows:
            with self._lock:
                for row in rows:
                    self._scopes[row.id] = _scope(row._mapping)
                self._last_id = max(self._last_id, rows[-1].id)
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
