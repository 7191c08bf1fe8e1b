"""Record sightings and read feedback; every read goes through the viewer's plan.

Recording: a sighting attaches to the reports of its observable that the sighter may see
(``report_store.for_keys`` with the sighter's plan). When it may see none, the answer is
``unknown`` with exactly the reason a never-seen value gets, and nothing is stored. The
observable's feedback state and the contributors' reputations are updated in the same
transaction, from the stance changes the new statements cause.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection

from phalanx.alliance.feedback_points import score_sightings
from phalanx.audit.record import record as audit
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput
from phalanx.feedback import store
from phalanx.feedback.assess import (
    Assessment,
    VisibleReport,
    assess,
    evidence_json,
    totals,
    totals_json,
)
from phalanx.feedback.confidence import ConfidenceParams, parse_half_lives
from phalanx.feedback.events import FeedbackEvent, ReputationChanged, SightingRecorded
from phalanx.feedback.evidence import ObservableState, StanceChange
from phalanx.feedback.model import ItemProblem, SightingItem, SightingOutcome
from phalanx.feedback.reputation import reputation_deltas
from phalanx.hub import Hub
from phalanx.lookup.service import not_found
from phalanx.members.model import Principal
from phalanx.observables.ids import observable_key
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable
from phalanx.policy.model import Viewer
from phalanx.policy.plan import VisibilityPlan
from phalanx.store import reports as report_store

OUTCOMES = ("recorded", "duplicate", "unknown", "rejected")


@dataclass(frozen=True, slots=True)
class SightingRequest:
    """One POST of sightings after its body has been read."""

    items: Sequence[SightingItem | ItemProblem]
    source: str  # json | stix
    idempotency_key: str | None = None
    digest: str | None = None


@dataclass
class Recorded:
    """The answer to a request and the events to publish once it is committed."""

    body: bytes
    replayed: bool = False
    events: list[FeedbackEvent] = field(default_factory=list)


def confidence_params(hub: Hub) -> ConfidenceParams:
    """The confidence model's parameters from the hub's settings."""
    return ConfidenceParams(half_lives=parse_half_lives(hub.settings.half_lives))


def record_sightings(
    hub: Hub, conn: Connection, *, principal: Principal, viewer: Viewer, request: SightingRequest
) -> Recorded:
    """Record a request's sightings in the caller's transaction."""
    if request.idempotency_key:
        stored = store.find_request(conn, principal.org_id, request.idempotency_key)
        if stored is not None:
            if stored[0] != request.digest:
                raise InvalidInput(
                    "this Idempotency-Key was already used for a different request",
                    field="Idempotency-Key",
                )
            return Recorded(zlib.decompress(stored[1]), replayed=True)
    now = hub.clock()
    at = to_micros(now)
    outcomes: dict[int, SightingOutcome] = {}
    items = _fresh_items(conn, principal, request.items, outcomes)
    plan = hub.plan(conn, viewer)
    attached = _visible_reports(conn, plan, items)
    recordable = [i for i in items if attached.get(observable_key(i.observable))]
    for item in items:
        if not attached.get(observable_key(item.observable)):
            outcomes[item.index] = _outcome(
                item, "unknown", reason=not_found(item.observable).message
            )
    events = _store(hub, conn, principal, request, recordable, attached, outcomes, at)
    score_sightings(hub, conn, events)
    ordered = [outcomes[index] for index in sorted(outcomes)]
    counts = {name: sum(1 for o in ordered if o.outcome == name) for name in OUTCOMES}
    body = orjson.dumps({"counts": counts, "items": [o.to_json() for o in ordered]})
    audit(
        conn, hub.db, action="sighting.create", at=at, actor_org_id=principal.org_id,
        actor=principal.key_id, subject=f"sightings:{request.source}",
        details={"items": len(ordered), **counts, "digest": _digest(ordered)},
    )  # fmt: skip
    if request.idempotency_key and request.digest:
        store.add_request(
            conn, principal.org_id, request.idempotency_key, request.digest,
            zlib.compress(body, 1), at,
        )  # fmt: skip
    return Recorded(body, events=events)


def _fresh_items(
    conn: Connection,
    principal: Principal,
    items: Sequence[SightingItem | ItemProblem],
    outcomes: dict[int, SightingOutcome],
) -> list[SightingItem]:
    """Items to record: problems become ``rejected``, retried ids ``duplicate``."""
    keys = [i.item_key for i in items if isinstance(i, SightingItem) and i.item_key]
    known = store.known_items(conn, principal.org_id, keys) if keys else {}
    fresh: list[SightingItem] = []
    earlier: dict[str, int] = {}  # ids seen earlier in this request -> their item index
    for item in items:
        if isinstance(item, ItemProblem):
            outcomes[item.index] = SightingOutcome(
                item.index, item.input, "rejected", reason=item.reason, field=item.field
            )
        elif item.item_key and item.item_key in known:
            outcomes[item.index] = _outcome(
                item, "duplicate", reason=f"sighting {item.item_key!r} was already recorded",
                sighting_id=known[item.item_key],
            )  # fmt: skip
        elif item.item_key and item.item_key in earlier:
            reason = f"repeats item {earlier[item.item_key]} of this request (same id)"
            outcomes[item.index] = _outcome(item, "duplicate", reason=reason)
        else:
            if item.item_key:
                earlier[item.item_key] = item.index
            fresh.append(item)
    return fresh


def _visible_reports(
    conn: Connection, plan: VisibilityPlan, items: Sequence[SightingItem]
) -> dict[int, dict[int, int]]:
    """Observable key -> {report id: contributor org} of the reports the sighter may see."""
    keys = sorted({observable_key(i.observable) for i in items})
    # A stored value under the same 64-bit key but another value is a different observable.
    wanted = {(i.observable.type.value, i.observable.value) for i in items}
    attached: dict[int, dict[int, int]] = defaultdict(dict)
    for row in report_store.for_keys(conn, plan, keys):
        if (row["obs_type"], row["obs_value"]) in wanted:
            attached[int(row["observable_id"])][int(row["id"])] = int(row["org_id"])
    return attached


def _store(
    hub: Hub,
    conn: Connection,
    principal: Principal,
    request: SightingRequest,
    items: list[SightingItem],
    attached: dict[int, dict[int, int]],
    outcomes: dict[int, SightingOutcome],
    at: int,
) -> list[FeedbackEvent]:
    if not items:
        return []
    keys = sorted({observable_key(i.observable) for i in items})
    states = store.lock_states(conn, hub.db, keys, at)
    added: dict[int, int] = defaultdict(int)
    changes: list[StanceChange] = []
    rows, links, events = [], {}, []
    contributors: dict[int, int] = {}
    for item in items:
        key = observable_key(item.observable)
        reports = attached[key]
        contributors.update(reports)
        public_id = str(uuid.uuid4())
        first, last = to_micros(item.first_seen), to_micros(item.last_seen)
        changes += states[key].record(
            sorted(reports), principal.org_id, item.kind, item.count, first, last,
            named=not item.anonymous,
        )  # fmt: skip
        added[key] += 1
        rows.append(_row(principal, item, key, public_id, request.source, first, last, at))
        links[public_id] = sorted(reports)
        outcomes[item.index] = _outcome(item, "recorded", sighting_id=public_id)
        events.append(
            SightingRecorded(
                public_id,
                principal.org_id,
                item.observable.type.value,
                item.observable.value,
                item.kind.value,
                item.count,
                tuple(sorted(reports)),
                at,
            )
        )
    store.save_states(conn, states, added, at)
    store.add_sightings(conn, rows, links)
    deltas = reputation_deltas(changes, contributors)
    store.add_reputation(conn, hub.db, deltas, at)
    for org_id, rep in store.reputations_of(conn, deltas).items():
        events.append(ReputationChanged(org_id, rep.confirmed, rep.false_positives, rep.score))
    return events


def _row(
    principal: Principal, item: SightingItem, key: int, public_id: str, source: str,
    first: int, last: int, at: int,
) -> dict[str, object]:  # fmt: skip
    return {
        "public_id": public_id, "org_id": principal.org_id, "api_key_id": principal.key_db_id,
        "observable_id": key, "kind": item.kind.value, "count": item.count, "first_seen": first,
        "last_seen": last, "context": item.context, "anonymous": item.anonymous,
        "source": source, "item_key": item.item_key, "created_at": at,
    }  # fmt: skip


def _outcome(
    item: SightingItem, outcome: str, *, reason: str | None = None, sighting_id: str | None = None
) -> SightingOutcome:
    obs = item.observable
    return SightingOutcome(
        item.index, item.input, outcome, obs.type.value, obs.value, item.kind.value,
        reason=reason, sighting_id=sighting_id or None,
    )  # fmt: skip


def _digest(outcomes: list[SightingOutcome]) -> str:
    sha = hashlib.sha256()
    for o in outcomes:
        sha.update(f"{o.index}\t{o.type}\t{o.value}\t{o.kind}\t{o.outcome}\n".encode())
    return sha.hexdigest()


# --- reading --------------------------------------------------------------------------------


def assess_observable(
    hub: Hub, conn: Connection, viewer: Viewer, obs: Observable
) -> tuple[Assessment, dict[int, str]]:
    """The viewer's assessment of one observable; NotFound exactly as for an unknown value."""
    found = assess_keys(hub, conn, viewer, hub.plan(conn, viewer), [observable_key(obs)])
    if not found:
        raise not_found(obs)
    assessment = next(iter(found.values()))
    return assessment, store.org_names(conn, assessment.named)


def assess_keys(
    hub: Hub, conn: Connection, viewer: Viewer, plan: VisibilityPlan, keys: Sequence[int]
) -> dict[int, Assessment]:
    """Assessments of the observables (by key) that the viewer may see, for many at once."""
    grouped: dict[int, list[VisibleReport]] = defaultdict(list)
    kinds: dict[int, ObservableType] = {}
    for row in report_store.for_keys(conn, plan, keys):
        key = int(row["observable_id"])
        kinds[key] = ObservableType(row["obs_type"])
        grouped[key].append(_visible(row))
    states = store.states_for(conn, list(grouped))
    reputations = store.reputations_of(conn, {r.org_id for rs in grouped.values() for r in rs})
    scores = {org: rep.score for org, rep in reputations.items()}
    now, params = hub.clock(), confidence_params(hub)
    return {
        key: assess(
            kinds[key],
            reports,
            states.get(key, ObservableState()),
            scores,
            viewer_org=viewer.org_id,
            now=now,
            params=params,
        )
        for key, reports in grouped.items()
    }


def _visible(row: dict[str, object]) -> VisibleReport:
    return VisibleReport(
        id=int(str(row["id"])),
        org_id=int(str(row["org_id"])),
        confidence=None if row["confidence"] is None else int(str(row["confidence"])),
        reported_at=int(str(row["updated_at"])),
        valid_until=None if row["valid_until"] is None else int(str(row["valid_until"])),
    )


def impact(
    conn: Connection, principal: Principal, *, after: int | None, limit: int
) -> tuple[list[dict[str, object]], int | None]:
    """Feedback on the caller's own live reports (impact), a page at a time by report id."""
    rows = store.own_reports_with_feedback(conn, principal.org_id, after=after, limit=limit)
    named_orgs: set[int] = set()
    entries = []
    for row in rows:
        per_org = ObservableState.from_bytes(row["state"]).reports.get(int(row["id"]), {})
        named = {o: e for o, e in per_org.items() if o == principal.org_id or e.named}
        if per_org:
            named_orgs |= set(named)
            entries.append((row, totals(per_org), named))
    names = store.org_names(conn, named_orgs)
    page = [
        {
            "report_id": row["id"],
            "type": row["obs_type"],
            "value": row["obs_value"],
            "sightings": totals_json(t),
            "organisations": [
                evidence_json(names.get(o, str(o)), e)
                for o, e in sorted(named.items(), key=lambda item: names.get(item[0], ""))
            ],
        }
        for row, t, named in entries
    ]
    return page, (int(str(rows[-1]["id"])) if len(rows) == limit else None)
