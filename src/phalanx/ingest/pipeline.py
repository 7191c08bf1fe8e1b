"""Contribution pipeline: parse -> prepare -> store -> audit, one small function per stage.

The outcome of an item is ``new`` or ``known`` from the caller's point of view: ``known``
only when the caller may already see a report of that observable (its own, or one the
policy shows it). A report hidden from the caller never turns ``new`` into ``known``.

Each accepted item also gets its ``novelty`` (novel, corroborating, published, benign) and
``points`` from the alliance stage (alliance/assess.py), under the same rule: the class the
caller is told, and the points, never depend on a report it may not see; the ledger keeps
the true order internally.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from phalanx.alliance import ledger, standing
from phalanx.alliance.assess import Assessment, Early, ValueFacts, assess, assess_early, value_facts
from phalanx.alliance.novelty import NAMES
from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput, TooLarge
from phalanx.formats.base import ParseProblem, ReadResult
from phalanx.hub import Hub
from phalanx.ingest.items import (
    Directory,
    ItemPreparer,
    Limits,
    Marking,
    PreparedItem,
    RejectedItem,
)
from phalanx.ingest.outcomes import Outcome, rendered_now
from phalanx.ingest.rows import (
    ledger_row,
    marking_fields,
    refresh_values,
    report_values,
    scope_of,
)
from phalanx.ingest.staged import Staged, usable
from phalanx.ingest.staged import credited_units as staged_credited_units
from phalanx.members.model import Principal
from phalanx.members.service import org_ids_by_name, redaction_rules
from phalanx.misp import sync as misp_sync
from phalanx.observables.normalize import normalize
from phalanx.sharing import communities as community_service
from phalanx.store import observables as observable_store
from phalanx.store import reports as report_store
from phalanx.store import scopes as scope_store
from phalanx.store import staging as staging_store
from phalanx.store import world as world_store
from phalanx.store.reports import OwnReport
from phalanx.store.tables import contributions


@dataclass
class ContributionResult:
    """The answer to a contribution (``body`` is set for a replay and when it was stored)."""

    contribution_id: str
    items: list[Outcome]
    replayed: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    points: float = 0.0
    row_id: int | None = None  # the contributions row (None for a replay)
    body: bytes | None = None
    reports_added: int = 0
    items_json: bytes | None = None  # the items' JSON array, when the write rendered it
    withdrawn: dict[str, int] | None = None  # MISP imports: reports withdrawn, by event uuid

    def response(self) -> bytes:
        """The API response body; serialise it after the write transaction where possible."""
        if self.body is not None:
            return self.body
        if self.items_json is None:
            self.body = orjson.dumps(self.to_json())
            return self.body
        # orjson.dumps(self.to_json()) byte for byte, around the items rendered already.
        head = orjson.dumps(self._head())
        self.body = b"".join((head[:-1], b',"items":', self.items_json, b"}"))
        return self.body

    def to_json(self) -> dict[str, Any]:
        """Return the API response body."""
        return {**self._head(), "items": [item.to_json() for item in self.items]}

    def _head(self) -> dict[str, Any]:
        head: dict[str, Any] = {
            "contribution_id": self.contribution_id,
            "counts": self.counts,
            "points": self.points,
        }
        if self.withdrawn is not None:
            head["withdrawn"] = self.withdrawn
        return head


@dataclass(frozen=True, slots=True)
class Request:
    """One contribution request after its format has been read."""

    records: Sequence[ReadResult]  # a sequence: it may be prepared twice
    defaults: Mapping[str, Any]
    format: str
    idempotency_key: str | None = None
    digest: str | None = None  # SHA-256 of the raw request, to spot reused idempotency keys
    # A published source's import (alliance/feeds.py): not scored; reports start at the
    # values' first-seen times (by item index) instead of now.
    published: bool = False
    first_seen: Mapping[int, datetime] | None = None
    # MISP imports: the events the records come from (misp/sync.py), a newer copy of an
    # event withdraws what the copy before it named and it does not. None: not MISP.
    misp_events: Sequence[misp_sync.EventStamp] | None = None


@dataclass(slots=True)
class Prepared:
    """A contribution's items validated outside the write transaction (CPU work only)."""

    policy_version: int
    now: datetime
    outcomes: dict[int, Outcome]  # by item index, in order; accepted items provisionally new
    first: dict[int, PreparedItem]  # first occurrence of each observable key
    facts: ValueFacts | None = None  # None for a published source's import (not scored)
    early: Early | None = None


def prepare(hub: Hub, conn: Connection, *, principal: Principal, request: Request) -> Prepared:
    """Parse, normalise and validate a contribution in a read transaction.

    Normalising tens of thousands of values is the costly part of ingest; doing it before
    the write transaction lets several API workers prepare in parallel while one writes.
    """
    now = hub.clock()
    version = world_store.policy_version(conn)
    outcomes, first = _first_occurrences(_prepare(hub, conn, principal, request, now))
    if request.published:
        return Prepared(version, now, outcomes, first)
    facts = value_facts(hub, first.values())
    early = assess_early(conn, org_id=principal.org_id, items=first, facts=facts)
    for key, found in early.found.items():  # provisional: the write corrects what history changes
        _note(outcomes[first[key].index], found)
    return Prepared(version, now, outcomes, first, facts, early)


def _note(outcome: Outcome, found: Assessment) -> None:
    outcome.novelty = NAMES[found.verdict.shown]
    outcome.points = found.score.points if found.first_report else 0.0


def _first_occurrences(
    items: list[PreparedItem | RejectedItem],
) -> tuple[dict[int, Outcome], dict[int, PreparedItem]]:
    outcomes: dict[int, Outcome] = {}
    first: dict[int, PreparedItem] = {}
    for item in items:
        if isinstance(item, RejectedItem):
            outcomes[item.index] = Outcome(item.index, item.input, "rejected", reason=item.reason)
            continue
        earlier = first.get(item.key)
        if earlier is not None:
            outcomes[item.index] = _outcome(item, "known", f"repeats item {earlier.index}")
        else:
            first[item.key] = item
            outcomes[item.index] = _outcome(item, "new")
    return outcomes, first


def contribute(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    request: Request,
    prepared: Prepared | None = None,
) -> tuple[bytes, bool]:
    """Run a contribution in the caller's transaction; return (JSON body, was it a replay)."""
    result = run(hub, conn, principal=principal, request=request, prepared=prepared)
    return result.response(), result.replayed


def run(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    request: Request,
    prepared: Prepared | None = None,
    staged: Staged | None = None,
) -> ContributionResult:
    """Run a contribution in the caller's transaction and return its result.

    ``prepared`` comes from ``prepare`` on the same request; it is redone here when sharing
    policy (communities, agreements) changed in between, so items are always validated
    against the policy they are stored under. ``staged`` is ``stage`` of that preparation
    on this transaction's connection; it is ignored when the preparation was redone. The
    response body is serialised here only when an Idempotency-Key means it must be
    stored; otherwise the caller does it after the transaction, outside the single SQLite
    writer.
    """
    hub.db.lock_contributions(conn, principal.org_id)
    if request.idempotency_key:
        stored = replay(conn, principal, request)
        if stored is not None:
            return ContributionResult("", [], replayed=True, body=stored)
    if prepared is None or prepared.policy_version != world_store.policy_version(conn):
        prepared = prepare(hub, conn, principal=principal, request=request)
    if staged is not None and not usable(conn, staged, prepared):
        staged = None
    classified = _classify(hub, conn, principal, prepared, request.published, staged)
    result = _store(hub, conn, principal, request, classified, prepared, staged)
    if request.misp_events is not None:
        result.withdrawn = misp_sync.sync(
            hub,
            conn,
            principal=principal,
            events=request.misp_events,
            named=misp_sync.named_by_event(request.records, result.items),
            at=to_micros(prepared.now),
        )
    if request.idempotency_key:
        conn.execute(
            contributions.update()
            .where(contributions.c.id == result.row_id)
            .values(response=zlib.compress(result.response(), 1))
        )
    return result


def note_growth(hub: Hub, result: ContributionResult) -> None:
    """After the commit: let the store refresh its planner statistics of the grown tables."""
    for table in ("observables", "reports", "alliance_ledger"):
        hub.db.grew(table, result.reports_added)


def replay(conn: Connection, principal: Principal, request: Request) -> bytes | None:
    """The stored answer to this request's Idempotency-Key, or None (checks the digest)."""
    row = conn.execute(
        select(contributions.c.request_digest, contributions.c.response).where(
            contributions.c.org_id == principal.org_id,
            contributions.c.idempotency_key == request.idempotency_key,
        )
    ).first()
    if row is None:
        return None
    if row.request_digest != request.digest:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request",
            field="Idempotency-Key",
        )
    return zlib.decompress(row.response)


def _directory(hub: Hub, conn: Connection, principal: Principal) -> Directory:
    return Directory(
        orgs=org_ids_by_name(conn),
        org_id=principal.org_id,
        communities=community_service.ids_by_name(conn),
        member_of=community_service.memberships(conn, principal.org_id),
        agreements=hub.world(conn).agreements,
        redaction=redaction_rules(conn, principal.org_id, hub.settings.redaction_names),
    )


def _prepare(
    hub: Hub, conn: Connection, principal: Principal, request: Request, now: datetime
) -> list[PreparedItem | RejectedItem]:
    preparer = ItemPreparer(
        request.defaults,
        directory=_directory(hub, conn, principal),
        normalize=normalize,
        now=now,
        limits=Limits(max_comment_chars=hub.settings.max_comment_chars),
    )
    limit = hub.settings.max_items_per_contribution
    items: list[PreparedItem | RejectedItem] = []
    for index, record_ in enumerate(request.records):
        if index >= limit:
            raise TooLarge(
                f"a contribution may hold at most {limit} items; split it",
                limit=limit,
                unit="items",
            )
        if isinstance(record_, ParseProblem):
            where = f"line {record_.line}: " if record_.line is not None else ""
            items.append(RejectedItem(index, record_.input, where + record_.reason))
        else:
            items.append(preparer.prepare(index, record_))
    return items


# Not frozen: one per item, and frozen __init__ costs several times more.
@dataclass(slots=True)
class Accepted:
    """An item that will become (or refresh) a report."""

    item: PreparedItem
    key: int
    scope_id: int
    existing: OwnReport | None  # own live report to refresh
    assessment: Assessment | None = None


@dataclass(slots=True)
class Classified:
    """What the write transaction settled about a contribution's first occurrences."""

    # Every accepted item; with staged rows, only those the store or history changed (the
    # staged rows stand for the others as prepared).
    accepted: list[Accepted]
    redone: set[int] | None  # keys whose early assessment was replaced (None: all)
    collisions: set[int]  # keys rejected because another value is stored under them


def _classify(
    hub: Hub,
    conn: Connection,
    principal: Principal,
    prepared: Prepared,
    published: bool = False,
    staged: Staged | None = None,
) -> Classified:
    """Settle each first occurrence's outcome against the store (in ``prepared.outcomes``)."""
    outcomes, first = prepared.outcomes, dict(prepared.first)
    if staged is None:
        rows = [(k, i.observable.type.value, i.observable.value) for k, i in first.items()]
        stored = observable_store.store_many(conn, hub.db, rows)
    else:
        stored = staging_store.store_observables(conn, first.keys())
    for key in stored.collisions:
        item = first.pop(key)
        reason = "internal key collision with another stored value; please report this"
        outcomes[item.index] = Outcome(item.index, item.input, "rejected", reason=reason)
    # An observable stored only now has no reports yet: neither known nor one of ours.
    existed = [key for key in first if key in stored.existed]
    plan = hub.plan(conn, hub.viewer(principal))
    seen = report_store.visible_keys(conn, plan, existed)
    own = report_store.own_live(conn, principal.org_id, existed)
    assessed, redone = (
        ({}, None)
        if published
        else assess(
            hub,
            conn,
            org_id=principal.org_id,
            plan=plan,
            items=first,
            existed=existed,
            facts=prepared.facts,
            # A collision's early result may have credited a unit: redo those from scratch.
            early=None if stored.collisions else prepared.early,
            credited=None
            if staged is None
            else staged_credited_units(conn, staged, principal.org_id),
        )
    )
    if staged is not None and redone is not None:
        # Staged rows and provisional outcomes hold for every other item already.
        touched = redone.union(existed)
        first = {key: item for key, item in first.items() if key in touched}
    scope_ids: dict[object, int] = {} if staged is None else dict(staged.scope_ids)
    accepted = []
    for key, item in first.items():
        scope_id = _scope_id(hub, conn, item.marking, scope_ids)
        found = assessed.get(key)
        accepted.append(Accepted(item, key, scope_id, own.get((key, scope_id)), found))
        outcome = outcomes[item.index]
        if key in seen:
            outcome.outcome = "known"
        if found is not None:
            _note(outcome, found)
    return Classified(accepted, redone, stored.collisions)


def _scope_id(hub: Hub, conn: Connection, marking: Marking, cache: dict[object, int]) -> int:
    found = cache.get(id(marking))
    if found is not None:
        return found
    scope = scope_of(marking)
    # Items with per-item overrides carry their own Marking objects, but nearly all of them
    # share a handful of scopes: look each distinct scope up once per contribution.
    found = cache.get(scope)
    if found is None:
        found = cache[scope] = scope_store.get_or_create(conn, hub.db, scope)
    cache[id(marking)] = found
    return found


def _outcome(item: PreparedItem, outcome: str, reason: str | None = None) -> Outcome:
    obs = item.observable
    redacted = item.marking.redacted
    return Outcome(item.index, item.input, outcome, obs.type.value, obs.value, reason, redacted)


def _store(
    hub: Hub,
    conn: Connection,
    principal: Principal,
    request: Request,
    classified: Classified,
    prepared: Prepared,
    staged: Staged | None = None,
) -> ContributionResult:
    outcomes, now, accepted = prepared.outcomes, prepared.now, classified.accepted
    ordered = list(outcomes.values())  # built in item order; replacements keep their place
    counts = {name: 0 for name in ("new", "known", "rejected")}
    for outcome in ordered:
        counts[outcome.outcome] += 1
    public_id = str(uuid.uuid4())
    at = to_micros(now)
    contribution_id = conn.execute(
        insert(contributions).values(
            public_id=public_id,
            org_id=principal.org_id,
            api_key_id=principal.key_db_id,
            format=request.format,
            idempotency_key=request.idempotency_key,
            request_digest=request.digest,
            created_at=at,
            item_count=len(ordered),
            new_count=counts["new"],
            known_count=counts["known"],
            rejected_count=counts["rejected"],
        )
    ).inserted_primary_key[0]
    if staged is None:
        rows, refreshed = _report_rows(principal, accepted, contribution_id, at, request.first_seen)
        report_store.add_many(conn, hub.db, rows)
        added = len(rows)
    else:
        refreshed = [
            refresh_values(entry.existing, entry.item.marking, at)
            for entry in accepted
            if entry.existing is not None
        ]
        # Re-reports refresh the own report instead; collisions store nothing.
        dropped = {entry.key for entry in accepted if entry.existing is not None}
        staging_store.discard(conn, staging_store.REPORTS, dropped | classified.collisions)
        added = staging_store.move_reports(conn, contribution_id)
    report_store.refresh(conn, refreshed)
    points = _score(hub, conn, principal, classified, contribution_id, now, staged)
    if staged is None:
        items_json, lines = None, "".join([o.digest_line() for o in ordered])
    else:
        items_json, lines = rendered_now(ordered, staged.rendered)
    record(
        conn,
        hub.db,
        action="contribution.create",
        at=at,
        actor_org_id=principal.org_id,
        actor=principal.key_id,
        subject=f"contribution:{public_id}",
        details={
            "format": request.format,
            "items": len(ordered),
            **counts,
            "reports_added": added,
            "reports_refreshed": len(refreshed),
            "points": points,
            "digest": hashlib.sha256(lines.encode()).hexdigest(),
        },
    )
    return ContributionResult(
        public_id,
        ordered,
        counts=counts,
        points=points,
        row_id=contribution_id,
        reports_added=added,
        items_json=items_json,
    )


def _score(
    hub: Hub,
    conn: Connection,
    principal: Principal,
    classified: Classified,
    contribution_id: int,
    now: datetime,
    staged: Staged | None = None,
) -> float:
    """Write the ledger rows of a contribution's first reports; re-evaluate the standing.

    With ``staged``, the staged rows stand for every accepted item whose early assessment
    was kept (not redone); the others are dropped and written here.
    """
    at, redone = to_micros(now), classified.redone
    stale: set[int] | None = None  # the items written here (None: all of them)
    moved = centipoints = 0
    if staged is not None:
        stale = set(staged.prepared.first) if redone is None else set(redone)
        stale |= classified.collisions
        staging_store.discard(conn, staging_store.LEDGER, stale)
        moved = staging_store.move_ledger(conn, contribution_id)
        centipoints = staging_store.staged_points(conn) if moved else 0
    rows = [
        ledger_row(principal.org_id, at, entry.key, a, contribution_id)
        for entry in classified.accepted
        if (stale is None or entry.key in stale)
        and (a := entry.assessment) is not None
        and a.first_report
    ]
    if not rows and not moved:
        return 0.0
    ledger.add_rows(conn, hub, rows)
    if hub.worlds.rule.enabled:
        standing.refresh(hub, conn, org_id=principal.org_id, now=now)
    return (centipoints + sum(int(row[3]) for row in rows)) / 100  # type: ignore[call-overload]


def _report_rows(
    principal: Principal,
    accepted: list[Accepted],
    contribution_id: int,
    at: int,
    first_seen: Mapping[int, datetime] | None = None,
) -> tuple[list[tuple[object, ...]], list[dict[str, object]]]:
    rows: list[tuple[object, ...]] = []
    refreshed: list[dict[str, object]] = []
    encoded: dict[int, tuple[tuple[object, ...], tuple[object, ...]]] = {}
    for entry in accepted:
        marking = entry.item.marking
        if entry.existing is not None:
            refreshed.append(refresh_values(entry.existing, marking, at))
            continue
        fields = encoded.get(id(marking))
        if fields is None:
            fields = encoded[id(marking)] = marking_fields(marking)
        seen = first_seen.get(entry.item.index) if first_seen else None
        valid_from = at if seen is None else min(to_micros(seen), at)
        kind = entry.item.observable.type.value
        values = report_values(fields, entry.scope_id, kind, valid_from, at)
        rows.append((entry.key, principal.org_id, contribution_id, *values))
    return rows, refreshed
