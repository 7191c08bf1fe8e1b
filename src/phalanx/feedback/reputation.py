"""Contributor reputation: how often an organisation's reports hold up. PURE.

Every (report, other organisation) pair with a stance counts once, by its latest stance:
*confirmed* when that organisation last said ``seen``, *false positive* when it last said
``false-positive``. An organisation's statements about its own reports do not count, and
``expired`` says nothing about precision. The score is the Beta-smoothed precision

    reputation = (confirmed + a) / (confirmed + false_positives + a + b)

with the prior a = 4, b = 1 (a newcomer starts at 0.8, as if it had five earlier judgements,
four of them good), so a few early false positives dent a reputation without ruining it and
a long record dominates the prior.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from phalanx.feedback.evidence import Stance, StanceChange


@dataclass(frozen=True, slots=True)
class ReputationPrior:
    """Pseudo-counts of the Beta prior: ``confirmed`` good and ``false_positives`` bad."""

    confirmed: float = 4.0
    false_positives: float = 1.0

    @property
    def mean(self) -> float:
        """The score of an organisation nobody has judged yet."""
        return self.confirmed / (self.confirmed + self.false_positives)


DEFAULT_PRIOR = ReputationPrior()


@dataclass(frozen=True, slots=True)
class Reputation:
    """An organisation's record and score."""

    org_id: int
    confirmed: int = 0
    false_positives: int = 0
    prior: ReputationPrior = DEFAULT_PRIOR

    @property
    def score(self) -> float:
        """The smoothed precision, in (0, 1)."""
        return reputation_score(self.confirmed, self.false_positives, self.prior)


def reputation_score(
    confirmed: int, false_positives: int, prior: ReputationPrior = DEFAULT_PRIOR
) -> float:
    """Beta-smoothed precision of an organisation's reports (the function scoring uses)."""
    if confirmed < 0 or false_positives < 0:
        raise ValueError("counts cannot be negative")
    good = confirmed + prior.confirmed
    return good / (good + false_positives + prior.false_positives)


def reputation_deltas(
    changes: Iterable[StanceChange], contributors: Mapping[int, int]
) -> dict[int, tuple[int, int]]:
    """(confirmed, false positives) to add per contributor for these stance changes.

    ``contributors`` maps report ids to the organisation that contributed them.
    """
    deltas: dict[int, list[int]] = {}
    for change in changes:
        owner = contributors.get(change.report_id)
        if owner is None or owner == change.org_id:
            continue
        delta = deltas.setdefault(owner, [0, 0])
        for stance, sign in ((change.before, -1), (change.after, 1)):
            if stance is Stance.SEEN:
                delta[0] += sign
            elif stance is Stance.FALSE_POSITIVE:
                delta[1] += sign
    return {org: (d[0], d[1]) for org, d in deltas.items() if d != [0, 0]}
