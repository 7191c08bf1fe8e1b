"""Load the policy World (communities, agreements, standing) and cache it by version.

Every change to communities, memberships, agreements or standing bumps ``policy_version``
in ``hub_meta`` in the same transaction, so every worker process sees it at once.

Standing also changes by the clock (a grace period ends): the cache keeps each member's
stored restriction moment and derives ``World.restricted`` for the moment asked, re-reading
the stored moments when the earliest cached one arrives (alliance/standing.py bumps the
version only when that lazy re-read would be too late).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from datetime import datetime

import orjson
from sqlalchemy import Connection, select, text

from phalanx.alliance.tiers import Override, StandingRule, Status, next_change, restricted_at
from phalanx.clock import from_micros
from phalanx.clock import now as wall_clock
from phalanx.observables.kinds import ObservableType
from phalanx.policy.model import Agreement, World
from phalanx.store.tables import (
    agreements,
    alliance_standing,
    community_members,
    hub_meta,
    organisations,
)

_VERSION = "policy_version"


def policy_version(conn: Connection) -> int:
    """Return the current policy version."""
    return counter(conn, _VERSION)


def counter(conn: Connection, key: str) -> int:
    """A change counter kept in ``hub_meta`` (0 before its first change)."""
    value = conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == key)).scalar()
    return int(value or 0)


def bump(conn: Connection, key: str = _VERSION) -> None:
    """Mark the policy (or another ``counter``) as changed, in the transaction that did it.

    An upsert: were the migration's row missing (a store emptied table by table), a plain
    UPDATE would change nothing, the version would never move, and every worker would keep
    its cached world: revoked agreements and removed members would keep their access.
    """
    conn.execute(
        text(
            "INSERT INTO hub_meta (key, value) VALUES (:k, '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(hub_meta.value AS INTEGER) + 1 AS TEXT)"
        ),
        {"k": key},
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


Schedule = dict[int, tuple[datetime | None, Override | None]]


def read_standings(conn: Connection, rule: StandingRule) -> Schedule:
    """Each organisation's stored restriction moment and override.

    An organisation without a stored standing has earned nothing yet: under an enabled rule
    it loses access one grace period after it joined.
    """
    schedule: Schedule = {}
    if rule.enabled:
        for org_id, joined in conn.execute(select(organisations.c.id, organisations.c.created_at)):
            schedule[org_id] = (from_micros(joined) + rule.grace, None)
    for row in conn.execute(select(alliance_standing)):
        m = row._mapping
        moment = m["restricted_from"]
        override = None
        if m["override_status"]:
            until = m["override_until"]
            override = Override(
                Status(m["override_status"]),
                m["override_reason"] or "",
                from_micros(m["override_at"]),
                None if until is None else from_micros(until),
            )
        counted = rule.enabled or rule.compliance_downgrade
        kept = from_micros(moment) if moment is not None and counted else None
        schedule[m["org_id"]] = (kept, override)
    return schedule


def restricted_world(base: World, schedule: Schedule, now: datetime) -> World:
    """``base`` with the organisations out of good standing at ``now`` and the next change."""
    restricted = frozenset(
        org for org, (moment, override) in schedule.items() if restricted_at(moment, override, now)
    )
    changes = [next_change(moment, override, now) for moment, override in schedule.values()]
    upcoming = [c for c in changes if c is not None]
    return dataclasses.replace(
        base, restricted=base.restricted | restricted, changes_at=min(upcoming, default=None)
    )


class WorldCache:
    """The last World read, reused while the policy version stays the same."""

    def __init__(self, rule: StandingRule | None = None) -> None:
        self.rule = rule or StandingRule()
        self._base = World(version=-1)
        self._schedule: Schedule = {}
        self._world = self._base
        self._at: datetime | None = None  # the moment self._world was derived for
        self._lock = threading.Lock()

    def get(self, conn: Connection, now: datetime | None = None) -> World:
        """Return the World at ``now``, reading the store again only when it may have moved."""
        moment = now or wall_clock()
        version = policy_version(conn)
        with self._lock:
            base, schedule, world, at = self._base, self._schedule, self._world, self._at
        if version != base.version:
            base, schedule = load(conn), read_standings(conn, self.rule)
        elif (
            at is not None
            and at <= moment
            and (world.changes_at is None or moment < world.changes_at)
        ):
            return world
        elif world.changes_at is not None and moment >= world.changes_at:
            schedule = read_standings(conn, self.rule)
        world = restricted_world(base, schedule, moment)
        with self._lock:
            self._base, self._schedule, self._world, self._at = base, schedule, world, moment
        return world
