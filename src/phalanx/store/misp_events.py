"""MISP events an organisation imported: the newest copy's timestamp and what it named."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from phalanx.store.db import Database
from phalanx.store.tables import misp_event_claims, misp_events

_e = misp_events.c
_c = misp_event_claims.c
CHUNK = 500


@dataclass(frozen=True, slots=True)
class Remembered:
    """The copy of an event imported last: its timestamp and the observable keys it named."""

    stamp: int | None
    keys: frozenset[int]


def remembered(conn: Connection, org_id: int, event_uuid: str) -> Remembered | None:
    """What the organisation's newest copy of the event named, or None if never imported."""
    stamp = conn.execute(
        select(_e.stamp).where(_e.org_id == org_id, _e.event_uuid == event_uuid)
    ).first()
    if stamp is None:
        return None
    keys = conn.execute(
        select(_c.observable_key).where(_c.org_id == org_id, _c.event_uuid == event_uuid)
    ).scalars()
    return Remembered(stamp[0], frozenset(keys))


def remember(
    conn: Connection,
    db: Database,
    *,
    org_id: int,
    event_uuid: str,
    stamp: int | None,
    keys: Collection[int],
    now_us: int,
    known: bool,
) -> None:
    """Record a copy of the event as the newest (``known``: a copy was recorded before)."""
    if known:
        conn.execute(
            update(misp_events)
            .where(_e.org_id == org_id, _e.event_uuid == event_uuid)
            .values(stamp=stamp, updated_at=now_us)
        )
        conn.execute(
            delete(misp_event_claims).where(_c.org_id == org_id, _c.event_uuid == event_uuid)
        )
    else:
        conn.execute(
            insert(misp_events).values(
                org_id=org_id, event_uuid=event_uuid, stamp=stamp, updated_at=now_us
            )
        )
    rows = [(org_id, event_uuid, key) for key in sorted(keys)]
    if rows:
        db.bulk_insert(
            conn, misp_event_claims.name, ("org_id", "event_uuid", "observable_key"), rows
        )


def named_elsewhere(
    conn: Connection, org_id: int, event_uuid: str, keys: Collection[int]
) -> set[int]:
    """Which of ``keys`` another of the organisation's events still names."""
    wanted = sorted(keys)
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(
            conn.execute(
                select(_c.observable_key).where(
                    _c.org_id == org_id,
                    _c.observable_key.in_(wanted[start : start + CHUNK]),
                    _c.event_uuid != event_uuid,
                )
            ).scalars()
        )
    return found
