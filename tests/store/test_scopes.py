"""The scope cache never misses a scope, even when ids commit out of order (PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import insert

from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.store import scopes as scope_store
from phalanx.store.scopes import ScopeCache
from phalanx.store.tables import scopes


def test_cache_grows_with_new_scopes(hub):
    cache = ScopeCache()
    with hub.db.transaction() as conn:
        green = scope_store.get_or_create(conn, hub.db, Scope(tlp=TLP.GREEN))
    with hub.db.read() as conn:
        assert cache.all(conn)[green] == Scope(tlp=TLP.GREEN)
    with hub.db.transaction() as conn:
        amber = scope_store.get_or_create(conn, hub.db, Scope(tlp=TLP.AMBER, orgs=frozenset({1})))
        assert scope_store.get_or_create(conn, hub.db, Scope(tlp=TLP.GREEN)) == green
    with hub.db.read() as conn:
        assert set(cache.all(conn)) == {green, amber}


def test_a_late_commit_below_the_highest_id_is_found(hub):
    cache = ScopeCache()
    with hub.db.transaction() as conn:
        conn.execute(insert(scopes).values(id=10, **_row("b", "green")))
    with hub.db.read() as conn:
        assert set(cache.all(conn)) == {10}
    # What a transaction that took id 5 earlier but committed later looks like.
    with hub.db.transaction() as conn:
        conn.execute(insert(scopes).values(id=5, **_row("a", "red")))
    with hub.db.read() as conn:
        found = cache.all(conn)
    assert set(found) == {5, 10} and found[5].tlp is TLP.RED


def test_deleted_scopes_leave_the_cache(hub):
    cache = ScopeCache()
    with hub.db.transaction() as conn:
        conn.execute(insert(scopes).values(id=3, **_row("a", "green")))
        conn.execute(insert(scopes).values(id=4, **_row("b", "amber")))
    with hub.db.read() as conn:
        assert set(cache.all(conn)) == {3, 4}
    with hub.db.transaction() as conn:
        conn.execute(scopes.delete().where(scopes.c.id == 3))
    with hub.db.read() as conn:
        assert set(cache.all(conn)) == {4}


def _row(digest: str, tlp: str) -> dict[str, object]:
    return {
        "digest": digest,
        "tlp": tlp,
        "orgs": "[]",
        "users": "[]",
        "communities": "[]",
        "agreement_id": None,
        "early_access": "[]",
    }
