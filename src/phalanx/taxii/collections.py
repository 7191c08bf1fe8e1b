"""Which TAXII collections a caller has, and what each holds (TAXII 2.1 §5.1-5.2).

Collections are views over the one STIX object store, never copies:

- ``shared``: everything the caller may see; writing to it contributes (scope from the
  objects' TLP markings);
- ``community-<name>``: one per community the caller belongs to: objects shared to that
  community; writing shares to it;
- ``published``: TLP:CLEAR objects (public sources), read-only;
- admin-defined collections: a filter (STIX types, TLP levels, communities) over what the
  caller may see, read-only.

The caller's policy still filters every read of every collection (taxii/views.py). Ids are
UUIDv5 over the hub name and the collection's name, so they stay stable across restarts and
differ between hubs; a community collection a caller does not belong to is "not found".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from phalanx.errors import Conflict, InvalidInput, NotFound
from phalanx.formats.stix21.objects import STIX_MEDIA_TYPE
from phalanx.members.model import Action, Principal
from phalanx.observables.ids import PHALANX_NAMESPACE
from phalanx.policy.markings import TLP, parse_tlp
from phalanx.policy.model import Scope
from phalanx.sharing import communities as community_service
from phalanx.store.stix_objects import Selection
from phalanx.store.tables import communities, community_members, taxii_collections

_ALIAS = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_FILTER_KEYS = frozenset({"types", "tlp", "communities"})


@dataclass(frozen=True, slots=True)
class CollectionFilter:
    """An admin-defined collection's filter; empty parts do not restrict."""

    types: tuple[str, ...] = ()
    tlp: frozenset[TLP] = frozenset()
    communities: frozenset[int] = frozenset()

    def to_json(self, names: Mapping[int, str]) -> dict[str, Any]:
        """The stored form (community names, not ids)."""
        return {
            "types": list(self.types),
            "tlp": sorted(level.value for level in self.tlp),
            "communities": sorted(names.get(c, str(c)) for c in self.communities),
        }


@dataclass(frozen=True, slots=True)
class Collection:
    """One collection as one caller sees it."""

    id: str
    alias: str
    title: str
    description: str
    can_read: bool
    can_write: bool
    community_id: int | None = None
    community_name: str | None = None
    published: bool = False
    filter: CollectionFilter | None = None

    def to_json(self) -> dict[str, Any]:
        """The collection resource (§5.2)."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }

    @property
    def needs_scopes(self) -> bool:
        """True when ``selection`` depends on the scopes (every collection but ``shared``)."""
        return self.community_id is not None or self.published or self.filter is not None

    def selection(self, scopes: Mapping[int, Scope]) -> Selection:
        """The store filter for this collection's objects, given every scope by id."""
        if self.community_id is not None:
            cid = self.community_id
            return Selection(frozenset(i for i, s in scopes.items() if cid in s.communities))
        if self.published:
            return Selection(frozenset(i for i, s in scopes.items() if s.tlp is TLP.CLEAR))
        if self.filter is not None:
            chosen: frozenset[int] | None = None
            if self.filter.tlp or self.filter.communities:
                chosen = frozenset(
                    i
                    for i, s in scopes.items()
                    if (not self.filter.tlp or s.tlp in self.filter.tlp)
                    and (not self.filter.communities or s.communities & self.filter.communities)
                )
            return Selection(chosen, self.filter.types)
        return Selection()

    def defaults(self) -> dict[str, Any]:
        """Contribution defaults for objects written to this collection."""
        return {"communities": [self.community_name]} if self.community_name else {}


def collection_uuid(hub_name: str, name: str) -> str:
    """The stable id of a built-in collection on this hub."""
    return str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:taxii:{hub_name}:{name}"))


def list_for(conn: Connection, hub_name: str, caller: Principal) -> list[Collection]:
    """The caller's collections, in a stable order (§5.1: stably ordered)."""
    shared, published = _builtins(hub_name, caller)
    return [shared, *_communities(conn, hub_name, caller), published, *_defined(conn, caller)]


def get_for(conn: Connection, hub_name: str, caller: Principal, key: str) -> Collection:
    """The caller's collection with this id or alias; NotFound otherwise (never a hint)."""
    # Built-ins first: the shared collection is polled most and needs no query.
    for collection in _builtins(hub_name, caller):
        if key in (collection.id, collection.alias):
            return collection
    for collection in (*_communities(conn, hub_name, caller), *_defined(conn, caller)):
        if key in (collection.id, collection.alias):
            return collection
    raise NotFound("no such collection")


def _builtins(hub_name: str, caller: Principal) -> tuple[Collection, Collection]:
    read = caller.allows(Action.READ_INTEL)
    shared = Collection(
        collection_uuid(hub_name, "shared"),
        "shared",
        "Shared intelligence",
        "Everything this hub lets you see; objects you add are contributed to the hub.",
        read,
        caller.allows(Action.CONTRIBUTE),
    )
    published = Collection(
        collection_uuid(hub_name, "published"),
        "published",
        "Published sources",
        "Already-public intelligence (TLP:CLEAR).",
        read,
        False,
        published=True,
    )
    return shared, published


def _communities(conn: Connection, hub_name: str, caller: Principal) -> list[Collection]:
    query = (
        select(communities.c.id, communities.c.name)
        .join(community_members, community_members.c.community_id == communities.c.id)
        .where(community_members.c.org_id == caller.org_id)
        .order_by(communities.c.name)
    )
    read, write = caller.allows(Action.READ_INTEL), caller.allows(Action.CONTRIBUTE)
    return [
        Collection(
            collection_uuid(hub_name, f"community:{cid}"),
            f"community-{_slug(name)}",
            f"Community {name}",
            f"Intelligence shared to the community {name}.",
            read,
            write,
            community_id=cid,
            community_name=name,
        )
        for cid, name in conn.execute(query)
    ]


def _defined(conn: Connection, caller: Principal) -> list[Collection]:
    rows = conn.execute(select(taxii_collections).order_by(taxii_collections.c.alias)).all()
    if not rows:
        return []
    names = community_service.ids_by_name(conn)
    return [
        Collection(
            row.id,
            row.alias,
            row.title,
            row.description or "",
            caller.allows(Action.READ_INTEL),
            False,
            filter=_filter(orjson.loads(row.filter), names),
        )
        for row in rows
    ]


def create(
    conn: Connection,
    *,
    alias: str,
    title: str,
    description: str | None,
    filter: Mapping[str, Any],
    at: int,
) -> dict[str, Any]:
    """Define a filtered collection (hub admins); returns its stored form."""
    alias = alias.strip().lower()
    if not _ALIAS.fullmatch(alias) or alias in ("shared", "published"):
        raise InvalidInput("must be 1-100 of a-z, 0-9 and '-', not a built-in name", field="alias")
    if alias.startswith("community-"):
        raise InvalidInput("'community-' names are reserved for communities", field="alias")
    if not title.strip():
        raise InvalidInput("must not be empty", field="title")
    names = community_service.ids_by_name(conn)
    parsed = _filter(filter, names)
    if conn.execute(
        select(taxii_collections.c.id).where(taxii_collections.c.alias == alias)
    ).first():
        raise Conflict(f"a collection named {alias!r} already exists", field="alias")
    by_id = {v: k for k, v in names.items()}
    row = {
        "id": str(uuid.uuid4()),
        "alias": alias,
        "title": title.strip(),
        "description": description,
        "filter": orjson.dumps(parsed.to_json(by_id)).decode(),
        "created_at": at,
    }
    conn.execute(insert(taxii_collections).values(**row))
    return {**row, "filter": orjson.loads(row["filter"])}


def remove(conn: Connection, alias: str) -> None:
    """Delete an admin-defined collection (its objects stay in the store)."""
    done = conn.execute(delete(taxii_collections).where(taxii_collections.c.alias == alias))
    if not done.rowcount:
        raise NotFound(f"no admin-defined collection named {alias!r}")


def list_defined(conn: Connection) -> list[dict[str, Any]]:
    """Every admin-defined collection."""
    rows = conn.execute(select(taxii_collections).order_by(taxii_collections.c.alias)).all()
    # Column names are SQLAlchemy quoted_name (a str subclass orjson refuses): plain str keys.
    return [
        {**{str(k): v for k, v in row._mapping.items()}, "filter": orjson.loads(row.filter)}
        for row in rows
    ]


def _filter(raw: Mapping[str, Any], community_ids: Mapping[str, int]) -> CollectionFilter:
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be an object with types, tlp, communities", field="filter")
    unknown = sorted(set(raw) - _FILTER_KEYS)
    if unknown:
        raise InvalidInput(f"unknown key(s) {', '.join(unknown)}", field="filter")
    types = tuple(_strings(raw.get("types"), "filter.types"))
    levels = set()
    for text in _strings(raw.get("tlp"), "filter.tlp"):
        try:
            levels.add(parse_tlp(text))
        except ValueError as error:
            raise InvalidInput(str(error), field="filter.tlp") from None
    communities = set()
    for name in _strings(raw.get("communities"), "filter.communities"):
        found = community_ids.get(name.strip().casefold())
        if found is None:
            raise InvalidInput(f"unknown community {name!r}", field="filter.communities")
        communities.add(found)
    return CollectionFilter(types, frozenset(levels), frozenset(communities))


def _strings(raw: Any, field: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        raise InvalidInput("must be a list of non-empty strings", field=field)
    return list(raw)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "community"
