"""A newer copy of a MISP event withdraws what the copy before it named and it does not.

MISP events change after they are first shared: attributes are added, edited, soft-deleted
(``deleted: true``) or removed, and a feed or a sync serves the newest copy (its
``timestamp`` moves on). An organisation importing an event again (``phalanx misp import``,
one contribution per event) states the event's content anew, as MISP's own pull does: each
value the copy before named and this one does not is withdrawn (ingest/withdraw.py), so no
lookup, export or channel serves it again, unless another of the organisation's events still
names it. A copy older than the one remembered (a stale feed) does not take the event back:
the values only it names are withdrawn again at once, and the newest copy keeps speaking for
the event. A withdrawal is about the value, as every report is: the organisation's latest
statement wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from phalanx.formats.base import ParseProblem, ReadResult
from phalanx.hub import Hub
from phalanx.ingest.outcomes import Outcome
from phalanx.ingest.withdraw import withdraw
from phalanx.members.model import Principal
from phalanx.misp.envelope import as_int
from phalanx.misp.reader import EVENT_FIELD, event_key, parse_events, read_event
from phalanx.observables.ids import observable_key
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable
from phalanx.store import misp_events as event_store


@dataclass(frozen=True, slots=True)
class EventStamp:
    """An imported event: its uuid and MISP timestamp (None when it has none)."""

    uuid: str
    stamp: int | None


def read_import(payload: bytes) -> tuple[list[ReadResult], tuple[EventStamp, ...]]:
    """A MISP import's item records (misp/reader.py) and its events, from one parse."""
    events = parse_events(payload)
    if isinstance(events, ParseProblem):
        return [events], ()
    return [record for event in events for record in read_event(event)], stamps_of(events)


def stamps_of(events: Iterable[Mapping[str, Any]]) -> tuple[EventStamp, ...]:
    """The events that have a (valid) uuid, once each."""
    stamps = {}
    for event in events:
        key = event_key(event.get("uuid"))
        if key is not None:
            try:
                stamp = as_int(event.get("timestamp"))
            except ValueError:
                stamp = None  # an unreadable timestamp: this copy counts as the newest
            stamps[key] = stamp
    return tuple(EventStamp(uuid, stamp) for uuid, stamp in stamps.items())


def named_by_event(
    records: Sequence[ReadResult], outcomes: Iterable[Outcome]
) -> dict[str, set[int]]:
    """The observable keys each event's accepted items name (records and outcomes by index)."""
    named: dict[str, set[int]] = {}
    for outcome in outcomes:
        if outcome.outcome == "rejected" or outcome.type is None or outcome.value is None:
            continue
        record = records[outcome.index]
        event = None if isinstance(record, ParseProblem) else record.get(EVENT_FIELD)
        if isinstance(event, str):  # an accepted item's type and value are canonical
            key = observable_key(Observable(ObservableType(outcome.type), outcome.value))
            named.setdefault(event, set()).add(key)
    return named


def sync(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    events: Sequence[EventStamp],
    named: Mapping[str, set[int]],
    at: int,
) -> dict[str, int]:
    """Remember each event's newest copy; withdraw what it no longer names. Reports withdrawn,
    by event uuid."""
    org_id = principal.org_id
    withdrawn: dict[str, int] = {}
    for event in events:
        keys = named.get(event.uuid, set())
        before = event_store.remembered(conn, org_id, event.uuid)
        if before is not None and _older(event.stamp, before.stamp):
            gone = keys - before.keys  # a stale copy: the newest one keeps speaking
        else:
            gone = before.keys - keys if before is not None else set()
            event_store.remember(
                conn,
                hub.db,
                org_id=org_id,
                event_uuid=event.uuid,
                stamp=event.stamp,
                keys=keys,
                now_us=at,
                known=before is not None,
            )
        if gone:
            gone -= event_store.named_elsewhere(conn, org_id, event.uuid, gone)
        withdrawn[event.uuid] = 0
        if gone:
            withdrawn[event.uuid] = withdraw(
                hub,
                conn,
                org_id=org_id,
                keys=gone,
                at=at,
                actor_org_id=org_id,
                actor=principal.key_id,
                subject=f"misp-event:{event.uuid}",
                why="misp-event-updated",
            )
    return withdrawn


def _older(stamp: int | None, than: int | None) -> bool:
    return stamp is not None and than is not None and stamp < than
