"""Compile the policy for one viewer into a plan that storage turns into SQL. PURE.

Visibility depends on scopes (shared by many reports) and on a few report-level facts
(embargo, kind, labels, victim country, age). A plan is: the viewer's own reports, plus
clauses "scope in S and <report-level conditions>". Each scope is decided once per viewer
with the same functions ``decide`` uses; ``store/visibility.py`` renders the clauses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from phalanx.policy.decide import decide_agreement, decide_marking
from phalanx.policy.model import Scope, Viewer, World


class Embargo(StrEnum):
    """How a clause treats a report's embargo."""

    LIFTED = "lifted"  # visible only once the embargo (if any) has ended
    ACTIVE = "active"  # visible only while an embargo is running (early access alone)
    ANY = "any"  # visible either way


@dataclass(frozen=True, slots=True)
class Clause:
    """Reports in ``scopes`` are visible when these report-level conditions hold."""

    scopes: frozenset[int]
    embargo: Embargo
    kinds: frozenset[str] = frozenset()  # empty: any kind
    labels: frozenset[str] = frozenset()  # empty: any labels; else at least one of them
    victim_country: str | None = None  # required victim country
    retention_days: int | None = None  # only reports younger than this


@dataclass(frozen=True, slots=True)
class VisibilityPlan:
    """Which reports one viewer may see, in terms storage can filter on."""

    org_id: int
    clauses: tuple[Clause, ...]
    now: datetime  # the moment the plan is evaluated at (embargo and retention use it)
    stable_until: datetime | None = None  # the plan must be recompiled at this moment

    @property
    def scopes(self) -> frozenset[int]:
        """Every scope some clause may show (for callers that need a quick superset)."""
        return frozenset().union(*(c.scopes for c in self.clauses))


_Key = tuple[Embargo, frozenset[str], frozenset[str], str | None, int | None]


def compile_plan(
    viewer: Viewer, scopes: Mapping[int, Scope], world: World, now: datetime
) -> VisibilityPlan:
    """Decide every scope once for this viewer and group scopes with equal conditions."""
    groups: dict[_Key, set[int]] = defaultdict(set)
    for scope_id, scope in scopes.items():
        key = _classify(viewer, scope, world, now)
        if key is not None:
            groups[key].add(scope_id)
    clauses = tuple(
        Clause(frozenset(ids), embargo, kinds, labels, victim, days)
        for (embargo, kinds, labels, victim, days), ids in sorted(
            groups.items(), key=lambda item: min(item[1])
        )
    )
    return VisibilityPlan(viewer.org_id, clauses, now, _stable_until(world, now))


def _classify(viewer: Viewer, scope: Scope, world: World, now: datetime) -> _Key | None:
    early = viewer.org_id in scope.early_access
    if scope.agreement_id is not None:
        if not decide_agreement(viewer, scope, world, now):
            return None
        agreement = world.agreements[scope.agreement_id]
        return (
            Embargo.ANY if early else Embargo.LIFTED,
            frozenset(kind.value for kind in agreement.kinds),
            agreement.labels,
            viewer.country or "" if agreement.own_victims_only else None,
            agreement.retention_days,
        )
    visible = bool(decide_marking(viewer, scope, world))
    if visible:
        return (Embargo.ANY if early else Embargo.LIFTED, frozenset(), frozenset(), None, None)
    if early:
        return (Embargo.ACTIVE, frozenset(), frozenset(), None, None)
    return None


def _stable_until(world: World, now: datetime) -> datetime | None:
    # An agreement starting, ending or being revoked later changes the plan then, and so
    # does a member's standing changing by the clock.
    moments = [world.changes_at] if world.changes_at is not None and world.changes_at > now else []
    moments += [
        moment
        for agreement in world.agreements.values()
        for moment in (agreement.valid_from, agreement.valid_until, agreement.revoked_at)
        if moment is not None and moment > now
    ]
    return min(moments, default=None)
