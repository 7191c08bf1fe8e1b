"""Feedback tables: sightings, their reports, per-observable state, reputation, requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, func, insert, select, update

from phalanx.feedback.evidence import ObservableState
from phalanx.feedback.reputation import Reputation
from phalanx.store.db import Database
from phalanx.store.tables import (
    feedback_states,
    observables,
    organisations,
    reports,
    reputations,
    sighting_reports,
    sighting_requests,
    sightings,
)

CHUNK = 5_000
_EMPTY = ObservableState().to_bytes().decode()


def find_request(conn: Connection, org_id: int, key: str) -> tuple[str, bytes] | None:
    """(request digest, stored response) of an earlier request with this Idempotency-Key."""
    row = conn.execute(
        select(sighting_requests.c.request_digest, sighting_requests.c.response).where(
            sighting_requests.c.org_id == org_id, sighting_requests.c.idempotency_key == key
        )
    ).first()
    return None if row is None else (row.request_digest, row.response)


def add_request(
    conn: Connection, org_id: int, key: str, digest: str, response: bytes, at: int
) -> None:
    """Remember a request's response for replays."""
    conn.execute(
        insert(sighting_requests).values(
            org_id=org_id,
            idempotency_key=key,
            request_digest=digest,
            response=response,
            created_at=at,
        )
    )


def known_items(conn: Connection, org_id: int, keys: Sequence[str]) -> dict[str, str]:
    """Client ids already recorded for this organisation -> the sighting's public id."""
    found: dict[str, str] = {}
    for start in range(0, len(keys), CHUNK):
        query = select(sightings.c.item_key, sightings.c.public_id).where(
            sightings.c.org_id == org_id, sightings.c.item_key.in_(keys[start : start + CHUNK])
        )
        found.update({key: public_id for key, public_id in conn.execute(query)})
    return found


def lock_states(
    conn: Connection, db: Database, keys: Sequence[int], at: int
) -> dict[int, ObservableState]:
    """Load (creating empty ones) and lock the feedback states of these observables.

    Rows are created first so that concurrent writers on PostgreSQL meet on an existing row
    and ``FOR UPDATE`` serialises them; keys are taken in order so they never deadlock.
    """
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), CHUNK):
        conn.execute(
            db.insert_ignore(feedback_states),
            [
                {"observable_id": key, "state": _EMPTY, "statements": 0, "updated_at": at}
                for key in ordered[start : start + CHUNK]
            ],
        )
    states: dict[int, ObservableState] = {}
    for start in range(0, len(ordered), CHUNK):
        query = (
            select(feedback_states.c.observable_id, feedback_states.c.state)
            .where(feedback_states.c.observable_id.in_(ordered[start : start + CHUNK]))
            .order_by(feedback_states.c.observable_id)
        )
        if not db.is_sqlite:
            query = query.with_for_update()
        states.update(
            {key: ObservableState.from_bytes(state) for key, state in conn.execute(query)}
        )
    return states


def save_states(
    conn: Connection, states: Mapping[int, ObservableState], added: Mapping[int, int], at: int
) -> None:
    """Write back states (``added``: statements recorded per observable)."""
    if not states:
        return
    conn.execute(
        update(feedback_states)
        .where(feedback_states.c.observable_id == bindparam("key"))
        .values(
            state=bindparam("new_state"),
            statements=feedback_states.c.statements + bindparam("added"),
            updated_at=at,
        ),
        [
            {"key": key, "new_state": state.to_bytes().decode(), "added": added.get(key, 0)}
            for key, state in states.items()
        ],
    )


def keys_with_feedback(conn: Connection) -> frozenset[int]:
    """The observables that have any feedback (sightings, false positives, expiry)."""
    return frozenset(conn.execute(select(feedback_states.c.observable_id)).scalars())


def last_change(conn: Connection) -> int:
    """When feedback last changed (microseconds; 0 without any): channels recompute then."""
    return int(conn.execute(select(func.max(feedback_states.c.updated_at))).scalar() or 0)


def states_for(conn: Connection, keys: Sequence[int]) -> dict[int, ObservableState]:
    """The feedback states of these observables (absent: no feedback yet)."""
    found: dict[int, ObservableState] = {}
    for start in range(0, len(keys), CHUNK):
        query = select(feedback_states.c.observable_id, feedback_states.c.state).where(
            feedback_states.c.observable_id.in_(keys[start : start + CHUNK])
        )
        found.update({key: ObservableState.from_bytes(s) for key, s in conn.execute(query)})
    return found


def add_sightings(
    conn: Connection, rows: Sequence[dict[str, object]], links: Mapping[str, Sequence[int]]
) -> None:
    """Insert sightings and link each (by public id) to the reports it attached to."""
    if not rows:
        return
    conn.execute(insert(sightings), list(rows))
    public_ids = [str(row["public_id"]) for row in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(public_ids), CHUNK):
        query = select(sightings.c.public_id, sightings.c.id).where(
            sightings.c.public_id.in_(public_ids[start : start + CHUNK])
        )
        ids.update({k: v for k, v in conn.execute(query)})
    link_rows = [
        {"sighting_id": ids[public_id], "report_id": report_id}
        for public_id, report_ids in links.items()
        for report_id in sorted(set(report_ids))
    ]
    if link_rows:
        conn.execute(insert(sighting_reports), link_rows)


def add_reputation(
    conn: Connection, db: Database, deltas: Mapping[int, tuple[int, int]], at: int
) -> None:
    """Add (confirmed, false positives) per organisation, atomically."""
    if not deltas:
        return
    ordered = sorted(deltas)
    conn.execute(
        db.insert_ignore(reputations),
        [
            {"org_id": org, "confirmed": 0, "false_positives": 0, "updated_at": at}
            for org in ordered
        ],
    )
    conn.execute(
        update(reputations)
        .where(reputations.c.org_id == bindparam("org"))
        .values(
            confirmed=reputations.c.confirmed + bindparam("good"),
            false_positives=reputations.c.false_positives + bindparam("bad"),
            updated_at=at,
        ),
        [{"org": org, "good": deltas[org][0], "bad": deltas[org][1]} for org in ordered],
    )


def reputations_of(conn: Connection, org_ids: Iterable[int]) -> dict[int, Reputation]:
    """Reputations of these organisations (unjudged ones have the prior's score)."""
    wanted = sorted(set(org_ids))
    found = {org: Reputation(org) for org in wanted}
    if wanted:
        query = select(
            reputations.c.org_id, reputations.c.confirmed, reputations.c.false_positives
        ).where(reputations.c.org_id.in_(wanted))
        for org, good, bad in conn.execute(query):
            found[org] = Reputation(org, int(good), int(bad))
    return found


def org_names(conn: Connection, org_ids: Iterable[int]) -> dict[int, str]:
    """Names of these organisations."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    query = select(organisations.c.id, organisations.c.name).where(organisations.c.id.in_(wanted))
    return {k: v for k, v in conn.execute(query)}


def own_sightings(
    conn: Connection, org_id: int, *, after: int | None, limit: int
) -> list[dict[str, object]]:
    """A page of the organisation's own sightings, newest id last."""
    query = (
        select(
            sightings,
            observables.c.type.label("obs_type"),
            observables.c.value.label("obs_value"),
        )
        .join(observables, observables.c.id == sightings.c.observable_id)
        .where(sightings.c.org_id == org_id)
        .order_by(sightings.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(sightings.c.id > after)
    return [dict(row._mapping) for row in conn.execute(query)]


def own_reports_with_feedback(
    conn: Connection, org_id: int, *, after: int | None, limit: int
) -> list[dict[str, object]]:
    """The organisation's live reports whose observable has feedback, by report id."""
    query = (
        select(
            reports.c.id,
            observables.c.type.label("obs_type"),
            observables.c.value.label("obs_value"),
            feedback_states.c.state,
        )
        .select_from(feedback_states)
        .join(reports, reports.c.observable_id == feedback_states.c.observable_id)
        .join(observables, observables.c.id == reports.c.observable_id)
        .where(reports.c.org_id == org_id, reports.c.revoked_at.is_(None))
        .order_by(reports.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(reports.c.id > after)
    return [dict(row._mapping) for row in conn.execute(query)]
