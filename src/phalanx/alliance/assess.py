"""Novelty and points for a contribution's accepted items: the pipeline's alliance stage.

Set-based: one query reads every earlier report of the batch's observables (their owners'
kinds, scopes and labels), one reads which credit units the contributor was already credited
for; visibility of each earlier report is decided in Python by the contributor's plan
(``store.visibility.allows``, the twin of the SQL every read uses). Nothing here tells the
contributor more than that plan allows: hidden reports change only the true class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from phalanx.alliance import ledger
from phalanx.alliance.novelty import NO_PRIOR, Novelty, Prior, Verdict, classify
from phalanx.alliance.scoring import (
    ItemContext,
    Score,
    credit_unit,
    reputation_factor,
    score,
    weighted,
)
from phalanx.alliance.warninglist_files import load_index, public_suffixes
from phalanx.alliance.warninglists import WarninglistIndex
from phalanx.feedback import store as feedback_store
from phalanx.feedback.reputation import reputation_score
from phalanx.members.model import OrgKind
from phalanx.observables.kinds import ObservableType
from phalanx.policy.labels import decode_labels
from phalanx.policy.plan import VisibilityPlan
from phalanx.store.tables import organisations, reports
from phalanx.store.visibility import allows

if TYPE_CHECKING:
    from phalanx.hub import Hub
    from phalanx.ingest.items import PreparedItem

CHUNK = 5_000
CORROBORATING = Novelty.CORROBORATING


# Not frozen: one per item on the ingest hot path.
@dataclass(slots=True)
class Assessment:
    """One accepted item's novelty (shown and true) and its points."""

    verdict: Verdict
    score: Score
    first_report: bool  # the contributor had not reported this observable before


def warninglist_index(hub: Hub) -> WarninglistIndex:
    """The hub's warninglist index (built once per process and configuration)."""
    return load_index(hub.settings.warninglists, hub.settings.warninglists_dir)


@dataclass(slots=True)
class ValueFacts:
    """What depends on the values alone: their warninglist and their credit unit, by key.

    Worked out while a contribution is prepared, outside the write transaction: several
    API workers do it in parallel, while writes are one at a time.
    """

    listed: dict[int, str | None]
    units: dict[int, str]


def value_facts(hub: Hub, items: Iterable[PreparedItem]) -> ValueFacts:
    """The warninglist and credit unit of each distinct observable among ``items``."""
    index = warninglist_index(hub)
    suffixes = public_suffixes()
    by_kind: dict[ObservableType, dict[int, str]] = {}
    for item in items:
        by_kind.setdefault(item.observable.type, {})[item.key] = item.observable.value
    listed: dict[int, str | None] = {}
    units: dict[int, str] = {}
    for kind, values in by_kind.items():
        listed.update(zip(values, index.match_kind(kind, list(values.values())), strict=True))
        units.update((key, credit_unit(kind, value, suffixes)) for key, value in values.items())
    return ValueFacts(listed, units)


@dataclass(slots=True)
class Early:
    """Assessments worked out before the write transaction, as if nothing were stored yet.

    The write transaction then corrects only the items whose credit unit turns out to have
    history (an earlier report of one of its values, or points already earned for it), so
    the per-item scoring runs in parallel API workers rather than under the single writer.
    """

    factor: float
    found: dict[int, Assessment]


def assess_early(
    conn: Connection, *, org_id: int, items: Mapping[int, PreparedItem], facts: ValueFacts
) -> Early:
    """Assess ``items`` as if the store held no report and no credit for any of them."""
    factor = _reputation_factor(conn, org_id)
    return Early(factor, _score_items(items.items(), {}, facts, set(), factor))


def assess(
    hub: Hub,
    conn: Connection,
    *,
    org_id: int,
    plan: VisibilityPlan,
    items: Mapping[int, PreparedItem],
    existed: Sequence[int],
    facts: ValueFacts | None = None,
    early: Early | None = None,
    credited: set[str] | None = None,
) -> tuple[dict[int, Assessment], set[int] | None]:
    """Assess each first occurrence of an observable in a contribution (by observable key).

    ``facts`` is :func:`value_facts` of the items when the caller worked them out already;
    ``early`` is :func:`assess_early` of the same items, which is corrected, not redone;
    ``credited`` is which of the items' credit units earned the organisation points
    before, when the caller read it already. Returns the assessments and the keys whose
    early result was replaced (None when none was used).
    """
    priors = _priors(conn, plan, org_id, existed)
    if facts is None:
        facts = value_facts(hub, items.values())
    units = facts.units
    if credited is None:
        credited = ledger.credited_units(conn, org_id, sorted({units[key] for key in items}))
    factor = _reputation_factor(conn, org_id)
    if early is None or early.factor != factor:
        return _score_items(items.items(), priors, facts, credited, factor), None
    # Items affect each other only through the credit unit (the first to earn for a unit
    # credits it), so a unit with no history keeps its early result exactly.
    history = credited | {units[key] for key in priors}
    found = early.found
    if not history:
        return found, set()
    redo = [(key, item) for key, item in items.items() if units[key] in history]
    found.update(_score_items(redo, priors, facts, credited, factor))
    return found, {key for key, _ in redo}


def _reputation_factor(conn: Connection, org_id: int) -> float:
    return reputation_factor(
        feedback_store.reputations_of(conn, [org_id])[org_id].score, reputation_score(0, 0)
    )


def _score_items(
    items: Iterable[tuple[int, PreparedItem]],
    priors: Mapping[int, Prior],
    facts: ValueFacts,
    credited: set[str],
    factor: float,
) -> dict[int, Assessment]:
    """Score items in contribution order; ``credited`` gains each unit that earns points."""
    listed, units = facts.listed, facts.units
    # Items sharing a marking, kind and class score alike: score each combination once
    # (weighted already: the factor is the same for every item).
    same: dict[tuple[object, ...], tuple[int, str]] = {}
    label_sets: dict[int, frozenset[str]] = {}
    found: dict[int, Assessment] = {}
    for key, item in items:
        obs, marking = item.observable, item.marking
        prior = priors.get(key, NO_PRIOR)
        verdict = classify(prior, listed[key])
        unit = units[key]
        plain = not prior.own and unit not in credited and verdict.shown is not CORROBORATING
        cache_key = (verdict.shown, verdict.warninglist, obs.type, id(marking))
        hit = same.get(cache_key) if plain else None
        if hit is not None:
            if hit[0] > 0:
                credited.add(unit)
            found[key] = Assessment(verdict, Score(hit[0], hit[1], unit), True)
            continue
        labels = label_sets.get(id(marking))
        if labels is None:
            labels = label_sets[id(marking)] = frozenset(marking.labels)
        described = bool(marking.comment)
        context = ItemContext(obs.type, obs.value, labels, marking.confidence, described)
        points = score(
            context,
            verdict,
            unit=unit,
            seen_labels=prior.visible_labels,
            already_reported=prior.own,
            credited_for=_describe(unit) if unit in credited else None,
        )
        points = weighted(points, factor)
        if plain:
            same[cache_key] = (points.centipoints, points.reason)
        if points.centipoints > 0:
            credited.add(unit)
        found[key] = Assessment(verdict, points, not prior.own)
    return found


def _priors(
    conn: Connection, plan: VisibilityPlan, org_id: int, keys: Sequence[int]
) -> dict[int, Prior]:
    facts: dict[int, dict[str, object]] = {}
    for start in range(0, len(keys), CHUNK):
        query = (
            select(
                reports.c.observable_id,
                reports.c.org_id,
                reports.c.scope_id,
                reports.c.kind,
                reports.c.labels,
                reports.c.embargo_until,
                reports.c.victim_country,
                reports.c.created_at,
                reports.c.revoked_at,
                organisations.c.kind.label("org_kind"),
            )
            .join(organisations, organisations.c.id == reports.c.org_id)
            .where(
                reports.c.observable_id.in_(keys[start : start + CHUNK]),
                reports.c.revoked_at.is_(None),
            )
        )
        for row in conn.execute(query):
            m = row._mapping
            fact = facts.setdefault(m["observable_id"], {"labels": set()})
            if m["org_id"] == org_id:
                fact["own"] = True
            elif m["org_kind"] == OrgKind.PUBLISHED:
                fact["published"] = True
            else:
                fact["others"] = True
                if allows(plan, m):
                    fact["others_visible"] = True
                    fact["labels"].update(decode_labels(m["labels"]))  # type: ignore[union-attr]
    return {
        key: Prior(
            published=bool(f.get("published")),
            others=bool(f.get("others")),
            others_visible=bool(f.get("others_visible")),
            own=bool(f.get("own")),
            visible_labels=frozenset(f["labels"]),  # type: ignore[arg-type]
        )
        for key, f in facts.items()
    }


@cache
def _describe(unit: str) -> str:
    kind, _, value = unit.partition(":")
    return f"the {kind} {value}"
