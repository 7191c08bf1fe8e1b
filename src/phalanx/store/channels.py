"""The channel tables: definitions, versions, the current item set and the change log."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, insert, select, update

from phalanx.channels.definition import Channel, filter_from_json, filter_to_json
from phalanx.channels.model import ChannelFilter
from phalanx.clock import from_micros, to_micros
from phalanx.errors import NotFound
from phalanx.policy.plan import VisibilityPlan
from phalanx.store.db import Database, driver_sql
from phalanx.store.tables import (
    channel_changes,
    channel_versions,
    channels,
    observables,
    organisations,
    reports,
)
from phalanx.store.visibility import visible

CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class Version:
    """One minted version of a channel."""

    channel_id: int
    version: int
    items_digest: str
    content_digest: str
    etag: str
    item_count: int
    added: int
    removed: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Checked:
    """When a channel's content was last recomputed, and the store's mark at that time."""

    at: datetime | None
    mark: str | None


def item_key(item: str) -> str:
    """The storage key of a feed item (rule bodies are too long to index themselves)."""
    return hashlib.blake2b(item.encode("utf-8"), digest_size=16).hexdigest()


def add(
    conn: Connection,
    *,
    org_id: int,
    name: str,
    fmt: str,
    channel_filter: ChannelFilter,
    now: datetime,
) -> int:
    """Insert a channel; return its id."""
    at = to_micros(now)
    result = conn.execute(
        insert(channels).values(
            org_id=org_id,
            name=name,
            format=fmt,
            filter=orjson.dumps(
                filter_to_json(channel_filter), option=orjson.OPT_SORT_KEYS
            ).decode(),
            created_at=at,
            updated_at=at,
        )
    )
    return int(result.inserted_primary_key[0])


def find(conn: Connection, channel_id: int) -> Channel | None:
    """The live channel with this id, or None."""
    row = conn.execute(_select().where(channels.c.id == channel_id)).first()
    return None if row is None else _channel(row._mapping)


def get(conn: Connection, channel_id: int) -> Channel:
    """The live channel with this id; raise NotFound."""
    found = find(conn, channel_id)
    if found is None:
        raise NotFound(f"no channel {channel_id}")
    return found


def list_(conn: Connection, *, org_id: int | None = None) -> list[Channel]:
    """Live channels, of one organisation or of all, by id."""
    query = _select().order_by(channels.c.id)
    if org_id is not None:
        query = query.where(channels.c.org_id == org_id)
    return [_channel(row._mapping) for row in conn.execute(query)]


def update_definition(
    conn: Connection,
    channel_id: int,
    *,
    name: str,
    fmt: str,
    channel_filter: ChannelFilter,
    now: datetime,
) -> None:
    """Change a channel's name, format or filter; its next feed is recomputed at once."""
    conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(
            name=name,
            format=fmt,
            filter=orjson.dumps(
                filter_to_json(channel_filter), option=orjson.OPT_SORT_KEYS
            ).decode(),
            updated_at=to_micros(now),
            checked_at=None,
            checked_mark=None,
        )
    )


def delete_channel(conn: Connection, channel_id: int, *, now: datetime) -> None:
    """Retire a channel: it stops serving, its versions and receipts stay for compliance."""
    conn.execute(
        update(channels).where(channels.c.id == channel_id).values(deleted_at=to_micros(now))
    )


def _select():  # type: ignore[no-untyped-def]
    return (
        select(channels, organisations.c.name.label("org_name"))
        .join(organisations, organisations.c.id == channels.c.org_id)
        .where(channels.c.deleted_at.is_(None))
    )


def _channel(row: Mapping[str, object]) -> Channel:
    return Channel(
        id=int(str(row["id"])),
        org_id=int(str(row["org_id"])),
        org_name=str(row["org_name"]),
        name=str(row["name"]),
        format=str(row["format"]),
        filter=filter_from_json(orjson.loads(str(row["filter"]))),
        created_at=from_micros(int(str(row["created_at"]))),
        updated_at=from_micros(int(str(row["updated_at"]))),
    )


def checked(conn: Connection, channel_id: int) -> Checked:
    """When the channel's content was last recomputed, and the mark then."""
    row = conn.execute(
        select(channels.c.checked_at, channels.c.checked_mark).where(channels.c.id == channel_id)
    ).one()
    return Checked(None if row[0] is None else from_micros(row[0]), row[1])


def mark_checked(conn: Connection, channel_id: int, *, at: datetime, mark: str) -> None:
    """Record that the content was recomputed at ``at`` with the store at ``mark``."""
    conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(checked_at=to_micros(at), checked_mark=mark)
    )


def lock(conn: Connection, db: Database, channel_id: int) -> None:
    """Serialise version minting for one channel (SQLite writers already are)."""
    if not db.is_sqlite:
        conn.execute(select(channels.c.id).where(channels.c.id == channel_id).with_for_update())


def latest_version(conn: Connection, channel_id: int) -> Version | None:
    """The newest version of a channel, or None before the first."""
    row = conn.execute(
        select(*_VERSION_COLUMNS)
        .where(channel_versions.c.channel_id == channel_id)
        .order_by(channel_versions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _version(row._mapping)


def find_version(conn: Connection, channel_id: int, version: int) -> Version | None:
    """One version of a channel, or None."""
    row = conn.execute(
        select(*_VERSION_COLUMNS).where(
            channel_versions.c.channel_id == channel_id, channel_versions.c.version == version
        )
    ).first()
    return None if row is None else _version(row._mapping)


def versions_of(conn: Connection, channel_ids: Iterable[int]) -> list[Version]:
    """Every version of these channels, by channel then version."""
    ids = list(channel_ids)
    if not ids:
        return []
    query = (
        select(*_VERSION_COLUMNS)
        .where(channel_versions.c.channel_id.in_(ids))
        .order_by(channel_versions.c.channel_id, channel_versions.c.version)
    )
    return [_version(row._mapping) for row in conn.execute(query)]


_VERSION_COLUMNS = tuple(c for c in channel_versions.c if c.name != "item_set")


def _version(row: Mapping[str, object]) -> Version:
    return Version(
        channel_id=int(str(row["channel_id"])),
        version=int(str(row["version"])),
        items_digest=str(row["items_digest"]),
        content_digest=str(row["content_digest"]),
        etag=str(row["etag"]),
        item_count=int(str(row["item_count"])),
        added=int(str(row["added"])),
        removed=int(str(row["removed"])),
        created_at=from_micros(int(str(row["created_at"]))),
    )


def current_items(conn: Connection, channel_id: int) -> tuple[Version, list[str]] | None:
    """The latest version and its whole item set, or None before the first version."""
    row = conn.execute(
        select(*_VERSION_COLUMNS, channel_versions.c.item_set)
        .where(channel_versions.c.channel_id == channel_id)
        .order_by(channel_versions.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return _version(row._mapping), unpack_items(row.item_set)


def pack_items(items: Iterable[str]) -> bytes:
    """An item set as stored: the sorted items as a JSON list, zlib-compressed (fast level)."""
    return zlib.compress(orjson.dumps(sorted(items)), 1)


def unpack_items(blob: bytes | None) -> list[str]:
    """The items of :func:`pack_items` (an empty list for a version without its set)."""
    return [] if blob is None else list(orjson.loads(zlib.decompress(blob)))


def add_version(
    conn: Connection,
    db: Database,
    version: Version,
    *,
    items: Iterable[str],
    added: Iterable[str],
    removed: Iterable[str],
) -> None:
    """Store a new version with its item set, and its change-log rows (version 2 on)."""
    cid, number = version.channel_id, version.version
    conn.execute(
        update(channel_versions)
        .where(channel_versions.c.channel_id == cid, channel_versions.c.item_set.is_not(None))
        .values(item_set=None)
    )
    conn.execute(
        insert(channel_versions).values(**_version_row(version), item_set=pack_items(items))
    )
    if number == 1:  # its additions are the whole set, which ``?since=0`` reads from ``item_set``
        return
    log = [(cid, number, item_key(item), item, False) for item in removed]
    log += [(cid, number, item_key(item), item, True) for item in added]
    log.sort(key=lambda row: row[2])
    db.bulk_insert(
        conn, "channel_changes", ("channel_id", "version", "item_key", "item", "added"), log
    )


def _version_row(version: Version) -> dict[str, object]:
    return {
        "channel_id": version.channel_id,
        "version": version.version,
        "items_digest": version.items_digest,
        "content_digest": version.content_digest,
        "etag": version.etag,
        "item_count": version.item_count,
        "added": version.added,
        "removed": version.removed,
        "created_at": to_micros(version.created_at),
    }


def changes_after(
    conn: Connection, channel_id: int, since: int, *, until: int
) -> Iterator[tuple[int, str, bool]]:
    """The change-log rows of versions ``since < v <= until``: (version, item, added)."""
    query = select(
        channel_changes.c.version, channel_changes.c.item, channel_changes.c.added
    ).where(
        and_(
            channel_changes.c.channel_id == channel_id,
            channel_changes.c.version > since,
            channel_changes.c.version <= until,
        )
    )
    for version, item, added in conn.execute(query):
        yield int(version), item, bool(added)


def store_mark(conn: Connection) -> int:
    """The newest report id: a new report changes it (read from the b-tree at once)."""
    top = conn.execute(select(func.max(reports.c.id))).scalar()
    return int(top or 0)


def every_channel(
    conn: Connection, org_ids: Iterable[int] | None
) -> list[tuple[int, int, str, bool]]:
    """(id, org id, name, live?) of every channel ever made, deleted ones too."""
    query = select(channels.c.id, channels.c.org_id, channels.c.name, channels.c.deleted_at)
    if org_ids is not None:
        query = query.where(channels.c.org_id.in_(list(org_ids)))
    return [
        (int(cid), int(org), str(name), deleted is None)
        for cid, org, name, deleted in conn.execute(query.order_by(channels.c.id))
    ]


def deliverable_rows(
    conn: Connection, plan: VisibilityPlan, kinds: Iterable[str] | None
) -> Iterator[Sequence[Any]]:
    """The visible live reports of these kinds, in no particular order, as light tuples.

    (type, value, labels, confidence, tlp, pap, created_at, report id, valid_until,
    observable id) — the columns a feed needs, under the very condition every read path
    filters with (``visibility.visible``). Unordered on purpose: ordering by observable
    made SQLite walk the observable index and look every report up at random, and the
    caller groups duplicates itself (``deployment/feeds.delivery_entries``).
    """
    query = (
        select(
            observables.c.type,
            observables.c.value,
            reports.c.labels,
            reports.c.confidence,
            reports.c.tlp,
            reports.c.pap,
            reports.c.created_at,
            reports.c.id,
            reports.c.valid_until,
            reports.c.observable_id,
        )
        .join(observables, observables.c.id == reports.c.observable_id)
        .where(visible(plan))
    )
    if kinds is not None:
        query = query.where(reports.c.kind.in_(sorted(kinds)))
    # The DB-API cursor straight: SQLAlchemy's row objects cost more than the query itself
    # for a million rows, and plain tuples are all a feed needs.
    sql, params = driver_sql(conn, query)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows
    finally:
        cursor.close()
