"""The pooled opinion of the organisations a viewer may see speak about an observable. PURE.

Each organisation counts once. It is *positive* when it contributed a report the viewer may
see or its stance (evidence.py) is ``seen``; *negative* when its stance is
``false-positive`` — which overrides its own report, since a contributor flagging its own
report as a false positive has withdrawn its support. Then, with p positive and n negative
organisations:

- ``positive`` when n = 0, or p / (p + n) >= 3/4;
- ``negative`` when p = 0, or p / (p + n) <= 1/4;
- ``disputed`` otherwise (a sizeable minority disagrees).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from phalanx.feedback.evidence import OrgEvidence, Stance

CLEAR_MAJORITY = 0.75


class Verdict(StrEnum):
    """The pooled opinion."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    DISPUTED = "disputed"


@dataclass(frozen=True, slots=True)
class Opinion:
    """The verdict and how many distinct organisations stand on each side."""

    verdict: Verdict
    positive: int
    negative: int


def pooled_opinion(contributors: Iterable[int], evidence: Mapping[int, OrgEvidence]) -> Opinion:
    """Pool the contributors of visible reports and the visible evidence, per organisation."""
    negative = {org for org, e in evidence.items() if e.stance is Stance.FALSE_POSITIVE}
    positive = set(contributors) | {org for org, e in evidence.items() if e.stance is Stance.SEEN}
    positive -= negative
    return Opinion(verdict(len(positive), len(negative)), len(positive), len(negative))


def verdict(positive: int, negative: int) -> Verdict:
    """The verdict for these numbers of organisations."""
    if negative == 0:
        return Verdict.POSITIVE
    if positive == 0:
        return Verdict.NEGATIVE
    share = positive / (positive + negative)
    if share >= CLEAR_MAJORITY:
        return Verdict.POSITIVE
    if share <= 1 - CLEAR_MAJORITY:
        return Verdict.NEGATIVE
    return Verdict.DISPUTED
