"""Load the policy World (communities, agreements, standing) and cache it by version.

Every change to communities, memberships, agreements or standing bumps ``policy_version``
in ``hub_meta`` in the same transaction, so every worker process sees it at once.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import orjson
from sqlalchemy import Connection, select, text

from phalanx.clock import from_micros
from phalanx.observables.kinds import ObservableType
from phalanx.policy.model import Agreement, World
from phalanx.store.tables import agreements, community_members, hub_meta

_VERSION = "policy_version"


def policy_version(conn: Connection) -> int:
    """Return the current policy version."""
    value = conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == _VERSION)).scalar()
    return int(value or 0)


def bump(conn: Connection) -> None:
    """Mark the policy as changed (inside the transaction that changed it).

    An upsert: were the migration's row missing (a store emptied table by table), a plain
    UPDATE would change nothing, the version would never move, and every worker would keep
    its cached world: revoked agreements and removed members would keep their access.
    """
    conn.execute(
        text(
            "INSERT INTO hub_meta (key, value) VALUES (:k, '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(hub_meta.value AS INTEGER) + 1 AS TEXT)"
        ),
        {"k": _VERSION},
    )


def load(conn: Connection, *, restricted: frozenset[int] = frozenset()) -> World:
    """Read the whole policy world."""
    members: dict[int, set[int]] = defaultdict(set)
    for community_id, org_id in conn.execute(
        select(community_members.c.community_id, community_members.c.org_id)
    ):
        members[community_id].add(org_id)
    found = {row.id: agreement_from_row(row._mapping) for row in conn.execute(select(agreements))}
    return World(
        communities={cid: frozenset(orgs) for cid, orgs in members.items()},
        agreements=found,
        restricted=restricted,
        version=policy_version(conn),
    )


def agreement_from_row(row: object) -> Agreement:
    """Build the policy object from a stored agreement row."""
    get = row.__getitem__  # type: ignore[attr-defined]

    def when(value: int | None) -> object:
        return None if value is None else from_micros(value)

    return Agreement(
        id=int(get("id")),
        name=str(get("name")),
        parties=frozenset(orjson.loads(get("parties"))),
        purposes=frozenset(orjson.loads(get("purposes"))),
        kinds=frozenset(ObservableType(k) for k in orjson.loads(get("kinds"))),
        labels=frozenset(orjson.loads(get("labels"))),
        jurisdictions=frozenset(orjson.loads(get("jurisdictions"))),
        own_victims_only=bool(get("own_victims_only")),
        personal_data=bool(get("personal_data")),
        retention_days=get("retention_days"),
        onward=bool(get("onward")),
        valid_from=from_micros(get("valid_from")),
        valid_until=when(get("valid_until")),  # type: ignore[arg-type]
        revoked_at=when(get("revoked_at")),  # type: ignore[arg-type]
    )


class WorldCache:
    """The last World read, reused while the policy version stays the same."""

    def __init__(self) -> None:
        self._world = World(version=-1)
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> World:
        """Return the current World, reading it again only when the version moved."""
        version = policy_version(conn)
        if version != self._world.version:
            world = load(conn)
            with self._lock:
                self._world = world
        return self._world
