"""Communities: named sets of organisations that reports are shared to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from phalanx.audit.record import record
from phalanx.clock import from_micros, to_micros
from phalanx.errors import Conflict, Forbidden, InvalidInput, NotFound
from phalanx.members.model import Organisation, Principal
from phalanx.members.service import get_org, get_org_by_id
from phalanx.store import world as world_store
from phalanx.store.db import Database
from phalanx.store.tables import communities, community_members

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class Community:
    """A community and its members (organisation names; admins among them)."""

    id: int
    name: str
    description: str | None
    created_at: datetime
    members: tuple[str, ...]
    admins: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the API form."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
            "members": list(self.members),
            "admins": list(self.admins),
        }


def create(
    conn: Connection,
    db: Database,
    *,
    name: str,
    members: list[str],
    admins: list[str] | None = None,
    description: str | None = None,
    now: datetime,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> Community:
    """Create a community with its first members (admins are members too)."""
    clean = name.strip().lower()
    if not _NAME.match(clean):
        raise InvalidInput(
            "community names are 1-100 characters of a-z, 0-9, '.', '_' and '-'", field="name"
        )
    if find(conn, clean) is not None:
        raise Conflict(f"a community named {clean!r} already exists", field="name")
    at = to_micros(now)
    community_id = conn.execute(
        insert(communities).values(name=clean, description=description, created_at=at)
    ).inserted_primary_key[0]
    # Resolve names first: two spellings of one organisation (" Acme", "Acme") are one member.
    resolved: dict[int, tuple[Organisation, bool]] = {}
    for org_name, is_admin in [*((m, False) for m in members), *((a, True) for a in admins or [])]:
        org = get_org(conn, org_name)
        resolved[org.id] = (org, is_admin or resolved.get(org.id, (org, False))[1])
    for org, is_admin in resolved.values():
        _add(conn, community_id, org, is_admin, at)
    admin_names = {org.name for org, is_admin in resolved.values() if is_admin}
    world_store.bump(conn)
    record(
        conn,
        db,
        action="community.create",
        at=at,
        actor=actor,
        actor_org_id=actor_org_id,
        subject=f"community:{clean}",
        details={
            "members": sorted(org.name for org, _ in resolved.values()),
            "admins": sorted(admin_names),
        },
    )
    return get(conn, clean)


def add_member(
    conn: Connection,
    db: Database,
    *,
    community: str,
    org: str,
    admin: bool = False,
    now: datetime,
    caller: Principal | None = None,
) -> Community:
    """Add an organisation (idempotent); callers must be hub or community admins."""
    found = get(conn, community)
    _check_manager(conn, found, caller)
    organisation = get_org(conn, org)
    if organisation.name not in found.members:
        _add(conn, found.id, organisation, admin, to_micros(now))
        world_store.bump(conn)
        record(
            conn,
            db,
            action="community.add-member",
            at=to_micros(now),
            actor=caller.key_id if caller else "cli",
            actor_org_id=caller.org_id if caller else None,
            subject=f"community:{found.name}",
            details={"org": organisation.name, "admin": admin},
        )
    return get(conn, community)


def remove_member(
    conn: Connection,
    db: Database,
    *,
    community: str,
    org: str,
    now: datetime,
    caller: Principal | None = None,
) -> Community:
    """Remove an organisation; its access to the community's reports ends at once."""
    found = get(conn, community)
    _check_manager(conn, found, caller)
    organisation = get_org(conn, org)
    if organisation.name not in found.members:
        raise NotFound(f"{organisation.name} is not a member of {found.name}", field="org")
    conn.execute(
        delete(community_members).where(
            and_(
                community_members.c.community_id == found.id,
                community_members.c.org_id == organisation.id,
            )
        )
    )
    world_store.bump(conn)
    record(
        conn,
        db,
        action="community.remove-member",
        at=to_micros(now),
        actor=caller.key_id if caller else "cli",
        actor_org_id=caller.org_id if caller else None,
        subject=f"community:{found.name}",
        details={"org": organisation.name},
    )
    return get(conn, community)


def find(conn: Connection, name: str) -> Community | None:
    """Return the community with this name, or None."""
    row = conn.execute(
        select(communities).where(communities.c.name == name.strip().lower())
    ).first()
    return None if row is None else _community(conn, row._mapping)


def get(conn: Connection, name: str) -> Community:
    """Return the community with this name; raise NotFound."""
    found = find(conn, name)
    if found is None:
        raise NotFound(f"no community named {name!r}", field="community")
    return found


def list_all(conn: Connection, *, member: int | None = None) -> list[Community]:
    """Return communities (all, or those an organisation belongs to), by name."""
    query = select(communities).order_by(communities.c.name)
    if member is not None:
        query = query.join(
            community_members, community_members.c.community_id == communities.c.id
        ).where(community_members.c.org_id == member)
    return [_community(conn, row._mapping) for row in conn.execute(query)]


def ids_by_name(conn: Connection) -> dict[str, int]:
    """Return the name → id directory of communities."""
    return {name: cid for cid, name in conn.execute(select(communities.c.id, communities.c.name))}


def memberships(conn: Connection, org_id: int) -> frozenset[int]:
    """Return the ids of the communities an organisation belongs to."""
    query = select(community_members.c.community_id).where(community_members.c.org_id == org_id)
    return frozenset(conn.execute(query).scalars())


def _add(conn: Connection, community_id: int, org: Organisation, admin: bool, at: int) -> None:
    conn.execute(
        insert(community_members).values(
            community_id=community_id, org_id=org.id, is_admin=admin, added_at=at
        )
    )


def _check_manager(conn: Connection, community: Community, caller: Principal | None) -> None:
    # The CLI (caller None) runs on the store itself; over the API, hub admins or the
    # community's own admin organisations manage membership.
    if caller is None or caller.is_admin:
        return
    if caller.org_name not in community.admins:
        raise Forbidden(f"only hub admins and admins of {community.name} manage its members")


def _community(conn: Connection, row: Any) -> Community:
    rows = conn.execute(
        select(community_members.c.org_id, community_members.c.is_admin).where(
            community_members.c.community_id == row["id"]
        )
    ).all()
    names = {org_id: get_org_by_id(conn, org_id).name for org_id, _ in rows}
    return Community(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        created_at=from_micros(row["created_at"]),
        members=tuple(sorted(names.values())),
        admins=tuple(sorted(names[o] for o, is_admin in rows if is_admin)),
    )
