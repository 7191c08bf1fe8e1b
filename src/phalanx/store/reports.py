"""The reports table: bulk insert on the ingest hot path, policy-filtered reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    select,
    tuple_,
    update,
)

from phalanx.policy.labels import LIKE_ESCAPE, label_pattern
from phalanx.policy.plan import VisibilityPlan
from phalanx.store import world as world_store
from phalanx.store.db import Database
from phalanx.store.tables import observables, organisations, reports
from phalanx.store.visibility import allows, visible

CHUNK = 5_000
WITHDRAWALS = "reports_withdrawn"  # hub_meta counter (``withdrawals``)
FEW = 16  # observables read at most: filtered by the plan in Python, not in SQL
INSERT_COLUMNS = (
    "observable_id",
    "org_id",
    "contribution_id",
    "scope_id",
    "kind",
    "tlp",
    "pap",
    "labels",
    "confidence",
    "valid_from",
    "valid_until",
    "comment",
    "anonymous",
    "embargo_until",
    "victim_country",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Filters a reader may put on reports (all optional, combined with AND)."""

    type: str | None = None
    label: str | None = None
    tlp: str | None = None
    since: int | None = None  # microseconds; reports created or refreshed at/after this


def add_many(conn: Connection, db: Database, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert report rows given as tuples in INSERT_COLUMNS order."""
    # Observable order makes the observable_id index inserts one ordered sweep.
    db.bulk_insert(conn, "reports", INSERT_COLUMNS, sorted(rows, key=itemgetter(0)))


def visible_keys(conn: Connection, plan: VisibilityPlan, keys: Sequence[int]) -> set[int]:
    """Return which observable keys have at least one report the plan allows."""
    found: set[int] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        query = select(reports.c.observable_id).where(
            reports.c.observable_id.in_(chunk), visible(plan)
        )
        found.update(conn.execute(query.distinct()).scalars())
    return found


@dataclass(frozen=True, slots=True)
class OwnReport:
    """What re-reporting needs of a live report of one's own."""

    id: int
    labels: str
    confidence: int | None
    valid_until: int | None
    pap: str
    comment: str | None
    anonymous: bool
    embargo_until: int | None
    victim_country: str | None


def own_live(
    conn: Connection, org_id: int, keys: Sequence[int]
) -> dict[tuple[int, int], OwnReport]:
    """Return (observable key, scope id) -> the organisation's live report there."""
    found = {}
    for start in range(0, len(keys), CHUNK):
        query = select(
            reports.c.observable_id,
            reports.c.scope_id,
            reports.c.id,
            reports.c.labels,
            reports.c.confidence,
            reports.c.valid_until,
            reports.c.pap,
            reports.c.comment,
            reports.c.anonymous,
            reports.c.embargo_until,
            reports.c.victim_country,
        ).where(
            reports.c.observable_id.in_(keys[start : start + CHUNK]),
            reports.c.org_id == org_id,
            reports.c.revoked_at.is_(None),
        )
        for key, scope_id, *fields in conn.execute(query):
            found[(key, scope_id)] = OwnReport(*fields[:6], bool(fields[6]), *fields[7:])
    return found


def refresh(conn: Connection, changes: Sequence[dict[str, object]]) -> None:
    """Update re-reported rows (``id`` plus the columns to set, the same for every change)."""
    if changes:
        conn.execute(
            update(reports).where(reports.c.id == bindparam("rid")),
            [{"rid": c["id"], **{k: v for k, v in c.items() if k != "id"}} for c in changes],
        )


def withdraw(conn: Connection, org_id: int, keys: Sequence[int], at: int) -> int:
    """Revoke the organisation's live reports of these observables; return how many.

    A revoked report is kept (its points, sightings and feedback refer to it) but no read,
    export or channel serves it again (``visibility.visible``).
    """
    withdrawn = 0
    for start in range(0, len(keys), CHUNK):
        result = conn.execute(
            update(reports)
            .where(
                reports.c.observable_id.in_(keys[start : start + CHUNK]),
                reports.c.org_id == org_id,
                reports.c.revoked_at.is_(None),
            )
            .values(revoked_at=at, updated_at=at)
        )
        withdrawn += int(result.rowcount or 0)
    if withdrawn:
        world_store.bump(conn, WITHDRAWALS)
    return withdrawn


def withdrawals(conn: Connection) -> int:
    """How many withdrawals changed reports so far: channels recompute when it moves."""
    return world_store.counter(conn, WITHDRAWALS)


def for_keys(
    conn: Connection, plan: VisibilityPlan, keys: Sequence[int]
) -> list[dict[str, object]]:
    """Return the visible reports of these observables, with type, value and org name."""
    if len(keys) <= FEW:
        return _allowed(conn, plan, reports.c.observable_id.in_(list(keys)))
    rows: list[dict[str, object]] = []
    for start in range(0, len(keys), CHUNK):
        query = _joined().where(reports.c.observable_id.in_(keys[start : start + CHUNK]))
        query = query.where(visible(plan)).order_by(reports.c.id)
        rows.extend(dict(row._mapping) for row in conn.execute(query))
    return rows


def page_keys(
    conn: Connection, plan: VisibilityPlan, filters: ReportFilter, *, after: int | None, limit: int
) -> list[int]:
    """Return the next page of observable keys with a visible report matching the filters."""
    query = select(reports.c.observable_id).where(visible(plan), *_conditions(filters))
    if after is not None:
        query = query.where(reports.c.observable_id > after)
    query = query.group_by(reports.c.observable_id).order_by(reports.c.observable_id).limit(limit)
    return list(conn.execute(query).scalars())


def iter_visible(
    conn: Connection,
    plan: VisibilityPlan,
    filters: ReportFilter,
    *,
    batch: int = 2_000,
    by_observable: bool = False,
    by_contribution: bool = False,
) -> Iterator[list[dict[str, object]]]:
    """Yield batches of visible reports matching the filters (keyset pagination).

    Ordered by report id (oldest first), or by (observable, report id) so that all reports
    of one observable arrive together, or by (contribution, report id) likewise.
    """
    order: tuple[Column[Any], ...] = (reports.c.id,)
    if by_observable:
        order = (reports.c.observable_id, reports.c.id)
    elif by_contribution:
        order = (reports.c.contribution_id, reports.c.id)
    after: tuple[object, ...] | None = None
    while True:
        query = _joined().where(visible(plan), *_conditions(filters))
        if after is not None:
            query = query.where(tuple_(*order) > tuple_(*after))
        rows = [dict(row._mapping) for row in conn.execute(query.order_by(*order).limit(batch))]
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = tuple(last[column.key] for column in order)


def _allowed(
    conn: Connection, plan: VisibilityPlan, which: ColumnElement[bool]
) -> list[dict[str, object]]:
    """The live reports matching ``which`` that the plan allows, filtered in Python.

    For reads of a few observables (single lookups): the database would spend more time
    building the plan's scope sets than fetching the rows (see ``store/visibility.py``).
    """
    query = _joined().where(which, reports.c.revoked_at.is_(None)).order_by(reports.c.id)
    found = (row._mapping for row in conn.execute(query))
    return [dict(row) for row in found if allows(plan, row)]


def _joined() -> Select[tuple[object, ...]]:
    return (
        select(
            reports,
            observables.c.type.label("obs_type"),
            observables.c.value.label("obs_value"),
            organisations.c.name.label("org_name"),
            organisations.c.uuid.label("org_uuid"),
        )
        .join(observables, observables.c.id == reports.c.observable_id)
        .join(organisations, organisations.c.id == reports.c.org_id)
    )


def _conditions(filters: ReportFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.type:
        conditions.append(reports.c.kind == filters.type)
    if filters.label:
        conditions.append(reports.c.labels.like(label_pattern(filters.label), escape=LIKE_ESCAPE))
    if filters.tlp:
        conditions.append(reports.c.tlp == filters.tlp)
    if filters.since is not None:
        conditions.append(reports.c.updated_at >= filters.since)
    return [and_(*conditions)] if conditions else []


def by_ids(conn: Connection, plan: VisibilityPlan, ids: Sequence[int]) -> list[dict[str, object]]:
    """Return the visible reports among these ids."""
    query = _joined().where(reports.c.id.in_(list(ids)), visible(plan)).order_by(reports.c.id)
    return [dict(row._mapping) for row in conn.execute(query)]


def counts(
    conn: Connection, plan: VisibilityPlan
) -> tuple[dict[str, int], dict[str, int], int, int]:
    """Return visible report counts by kind and by TLP, the total, and distinct observables."""
    by_kind = {
        kind: n
        for kind, n in conn.execute(
            select(reports.c.kind, func.count()).where(visible(plan)).group_by(reports.c.kind)
        )
    }
    by_tlp = {
        tlp: n
        for tlp, n in conn.execute(
            select(reports.c.tlp, func.count()).where(visible(plan)).group_by(reports.c.tlp)
        )
    }
    distinct = conn.execute(
        select(func.count(reports.c.observable_id.distinct())).where(visible(plan))
    ).scalar_one()
    return by_kind, by_tlp, sum(by_kind.values()), int(distinct)
