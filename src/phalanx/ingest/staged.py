"""Staging a prepared contribution's rows before its write transaction (SQLite).

The rows are built as if none of the contribution were stored yet and put in TEMP tables of
the connection the write transaction will run on (store/staging.py); that transaction then
moves them in one statement per table, dropping the rows its own checks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from phalanx.alliance import scoring
from phalanx.clock import to_micros
from phalanx.hub import Hub
from phalanx.ingest.outcomes import Rendered, render
from phalanx.ingest.rows import ledger_row, marking_fields, report_values, scope_of
from phalanx.members.model import Principal
from phalanx.policy.model import Scope
from phalanx.store import scopes as scope_store
from phalanx.store import staging as staging_store

if TYPE_CHECKING:
    from phalanx.ingest.pipeline import Prepared


@dataclass(slots=True)
class Staged:
    """A prepared contribution whose rows wait in its connection's TEMP tables."""

    prepared: Prepared
    scope_ids: dict[object, int]  # as pipeline._scope_id caches them: by id(marking), by scope
    created: frozenset[int] = frozenset()  # scopes made for this contribution (_create_scope)
    rendered: Rendered | None = None  # the outcomes' answer as prepared (ingest/outcomes.py)
    # The staged units the organisation had earned points for, up to ledger row ``mark``.
    credited: frozenset[str] = frozenset()
    mark: int = 0


def stage(hub: Hub, conn: Connection, *, principal: Principal, prepared: Prepared) -> Staged | None:
    """Stage the rows a prepared contribution will write, as if none of it were stored yet.

    Runs before the write transaction, on its connection (store/staging.py), which then
    drops the staged rows its own checks change: values that turn out stored, re-reports,
    assessments corrected for history. None when staging does not apply: on PostgreSQL
    (COPY is fast already) and for a published source's import (not scored).
    """
    early = prepared.early
    if not hub.db.is_sqlite or early is None:
        return None
    scope_ids: dict[object, int] = {}
    created: set[int] = set()
    fields: dict[int, tuple[tuple[object, ...], tuple[object, ...]]] = {}
    for item in prepared.first.values():
        marking = item.marking
        if id(marking) in fields:
            continue
        scope = scope_of(marking)
        found = scope_ids.get(scope)
        if found is None:
            found = scope_store.find(conn, scope)
            if found is None:
                found = _create_scope(hub, scope)
                created.add(found)
            scope_ids[scope] = found
        scope_ids[id(marking)] = found
        fields[id(marking)] = marking_fields(marking)
    org, at, found = principal.org_id, to_micros(prepared.now), early.found
    items = []
    report_slots: dict[tuple[int, str], int] = {}
    report_slot_rows: list[tuple[object, ...]] = []
    ledger_slots: dict[tuple[int, str, int], int] = {}
    ledger_slot_rows: list[tuple[object, ...]] = []
    for key, item in prepared.first.items():
        obs, marking = item.observable, item.marking
        kind = obs.type.value
        slot = report_slots.get((id(marking), kind))
        if slot is None:
            slot = report_slots[(id(marking), kind)] = len(report_slot_rows)
            values = report_values(fields[id(marking)], scope_ids[id(marking)], kind, at, at)
            report_slot_rows.append((slot, org, *values))
        assessment = found.get(key)
        if assessment is None:
            items.append((key, item.index, kind, obs.value, slot, None, None, None))
            continue
        points = assessment.score
        # A ledger row's shared columns follow from its points, reason and verdict alone.
        scored = (points.centipoints, points.reason, id(assessment.verdict))
        ledger_slot = ledger_slots.get(scored)
        if ledger_slot is None:
            ledger_slot = ledger_slots[scored] = len(ledger_slot_rows)
            row = ledger_row(org, at, key, assessment, None)
            ledger_slot_rows.append((ledger_slot, *staging_store.ledger_slot(row)))
        unit, unit_key = points.unit, scoring.unit_key(points.unit)
        items.append((key, item.index, kind, obs.value, slot, ledger_slot, unit, unit_key))
    staging_store.fill(
        conn,
        staging_store.Rows(
            items=items,
            report_slots=report_slot_rows,
            ledger_slots=ledger_slot_rows,
        ),
    )
    rendered = render(prepared.outcomes.values())
    # Read in this transaction, so the mark and the credited units agree.
    credited = frozenset(staging_store.credited_units(conn, org))
    mark = staging_store.ledger_mark(conn)
    return Staged(prepared, scope_ids, frozenset(created), rendered, credited, mark)


def credited_units(conn: Connection, staged: Staged, org_id: int) -> set[str]:
    """The staged items' credit units ``org_id`` has earned points for, in the write.

    Staging read them; the write reads only the ledger rows written since (an earlier
    write of the same organisation), rather than probing the ledger once per staged item
    while every other writer waits.
    """
    facts = staged.prepared.facts
    since = staging_store.credited_since(conn, org_id, staged.mark)
    if since and facts is not None:
        return set(staged.credited) | (since & set(facts.units.values()))
    return set(staged.credited)


def usable(conn: Connection, staged: Staged, prepared: Prepared) -> bool:
    """Whether the write transaction may use ``staged``: staged from this very preparation,
    and the scopes made for it still there (its rows name them)."""
    if staged.prepared is not prepared:
        return False
    return not staged.created or scope_store.existing(conn, staged.created) == staged.created


def _create_scope(hub: Hub, scope: Scope) -> int:
    # A scope nobody used yet (every scope of a new hub, a new recipient list): created in
    # a short transaction of its own, so that this contribution is staged too rather than
    # written row by row under the single writer. Scope rows are content-addressed and
    # never change, so one made for a contribution that then fails is reused later.
    with hub.db.transaction() as writer:
        return scope_store.get_or_create(writer, hub.db, scope)
