"""One viewer's assessment of one observable: sightings, opinion, confidence. PURE.

Built only from the reports the viewer may see and the evidence attached to them. What it
shows of other organisations (README "Sightings, opinions and confidence"):

- totals: how many times it was seen and by how many organisations, how many
  organisations called it a false positive or expired, first and last times — aggregate
  numbers that name nobody;
- per organisation: only the viewer's own, and organisations that sighted it without
  anonymity (``"anonymous": false``) — a choice to be named, like a named report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from phalanx.clock import format_timestamp, from_micros
from phalanx.feedback.confidence import (
    ConfidenceParams,
    ConfidenceResult,
    ReportInput,
    confidence,
)
from phalanx.feedback.evidence import ObservableState, OrgEvidence, Stance, merge_by_org
from phalanx.feedback.opinion import Opinion, pooled_opinion
from phalanx.observables.kinds import ObservableType


@dataclass(frozen=True, slots=True)
class VisibleReport:
    """A report the viewer may see, as the assessment reads it (times in microseconds)."""

    id: int
    org_id: int
    confidence: int | None
    reported_at: int
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    """Aggregate feedback: counts and times, no names."""

    seen: int
    seen_orgs: int
    false_positive_orgs: int
    expired_orgs: int
    first_seen: int | None
    last_seen: int | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one viewer may learn from feedback on one observable."""

    kind: ObservableType
    totals: Totals
    opinion: Opinion
    confidence: ConfidenceResult
    named: dict[int, OrgEvidence]  # org id -> evidence the viewer may see attributed


def assess(
    kind: ObservableType,
    reports: Sequence[VisibleReport],
    state: ObservableState,
    reputations: Mapping[int, float],
    *,
    viewer_org: int,
    now: datetime,
    params: ConfidenceParams | None = None,
) -> Assessment:
    """Assess an observable from the visible reports and the evidence attached to them."""
    evidence = merge_by_org(state.visible(r.id for r in reports))
    inputs = [ReportInput(r.org_id, r.confidence, r.reported_at, r.valid_until) for r in reports]
    result = confidence(
        kind, inputs, evidence, reputations, viewer_org=viewer_org, now=now, params=params
    )
    return Assessment(
        kind=kind,
        totals=totals(evidence),
        opinion=pooled_opinion({r.org_id for r in reports}, evidence),
        confidence=result,
        named={o: e for o, e in evidence.items() if o == viewer_org or e.named},
    )


def totals(evidence: Mapping[int, OrgEvidence]) -> Totals:
    """Aggregate evidence of several organisations."""
    firsts = [e.seen_first for e in evidence.values() if e.seen_first is not None]
    lasts = [e.seen_last for e in evidence.values() if e.seen_last is not None]
    return Totals(
        seen=sum(e.seen for e in evidence.values()),
        seen_orgs=sum(1 for e in evidence.values() if e.seen),
        false_positive_orgs=sum(1 for e in evidence.values() if e.stance is Stance.FALSE_POSITIVE),
        expired_orgs=sum(1 for e in evidence.values() if e.expired),
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
    )


def assessment_json(assessment: Assessment, org_names: Mapping[int, str]) -> dict[str, Any]:
    """The API form; ``org_names`` names the organisations in ``assessment.named``."""
    t, o, c = assessment.totals, assessment.opinion, assessment.confidence
    return {
        "sightings": totals_json(t),
        "organisations": [
            evidence_json(org_names.get(org_id, str(org_id)), e)
            for org_id, e in sorted(
                assessment.named.items(), key=lambda item: org_names.get(item[0], "")
            )
        ],
        "opinion": {"verdict": o.verdict.value, "positive": o.positive, "negative": o.negative},
        "confidence": {
            "score": c.score,
            "initial": c.initial,
            "half_life_days": c.half_life_days,
            "expired": c.expired,
        },
    }


def totals_json(t: Totals) -> dict[str, Any]:
    """The API form of aggregate feedback."""
    return {
        "seen": t.seen,
        "seen_organisations": t.seen_orgs,
        "false_positive_organisations": t.false_positive_orgs,
        "expired_organisations": t.expired_orgs,
        "first_seen": _time(t.first_seen),
        "last_seen": _time(t.last_seen),
    }


def evidence_json(name: str, e: OrgEvidence) -> dict[str, Any]:
    """One named organisation's feedback."""
    stance = {Stance.NONE: None, Stance.SEEN: "seen", Stance.FALSE_POSITIVE: "false-positive"}
    return {
        "org": name,
        "seen": e.seen,
        "first_seen": _time(e.seen_first),
        "last_seen": _time(e.seen_last),
        "false_positives": e.false_positives,
        "stance": stance[e.stance],
        "expired": e.expired,
    }


def _time(micros: int | None) -> str | None:
    return None if micros is None else format_timestamp(from_micros(micros))
