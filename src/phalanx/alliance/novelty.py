"""Novelty: is an accepted item new anywhere, already reported, published, or benign? PURE.

Two answers per item. The *true* class follows the hub's real order of reports and is kept in
the internal ledger. The *shown* class is what the contributor is told, and what its points are
computed from: an item reported earlier only under markings the contributor may not see is
shown as ``novel`` (DESIGN: never an existence oracle), so neither the answer nor the points
hint at the hidden report.

Order of the rules: ``benign`` (on a warninglist) before ``published`` (reported by a published
source; those reports are TLP:CLEAR, so telling is no leak) before ``corroborating`` (another
member reported it before) before ``novel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class Novelty(StrEnum):
    """The novelty classes of an accepted item."""

    NOVEL = "novel"  # first anywhere (as far as the contributor may know)
    CORROBORATING = "corroborating"  # already reported by another member
    PUBLISHED = "published"  # in a published source
    BENIGN = "benign"  # on a warninglist of known-benign values


@dataclass(frozen=True, slots=True)
class Prior:
    """What the hub holds about earlier reports of one observable, by other organisations."""

    published: bool = False  # a published source reported it
    others: bool = False  # another member reported it, under any marking
    others_visible: bool = False  # another member reported it where the contributor may see
    own: bool = False  # the contributor itself reported it before
    visible_labels: frozenset[str] = frozenset()  # labels of the earlier reports it may see


NO_PRIOR = Prior()
# The plain names, for hot paths: ``.value`` on an enum member is a descriptor call.
NAMES: dict[Novelty, str] = {member: member.value for member in Novelty}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The class the contributor is told, the true class, and the warninglist that decided."""

    shown: Novelty
    true: Novelty
    warninglist: str | None = None


def classify(prior: Prior, warninglist: str | None = None) -> Verdict:
    """Classify one accepted item from the facts about earlier reports of its observable."""
    if warninglist is not None:
        return _benign(warninglist)
    if prior.published:
        return _PUBLISHED
    if prior.others:
        return _CORROBORATING if prior.others_visible else _HIDDEN_CORROBORATION
    return _NOVEL


# Verdicts are immutable and few: shared, not made anew for each of a million items.
_NOVEL = Verdict(Novelty.NOVEL, Novelty.NOVEL)
_PUBLISHED = Verdict(Novelty.PUBLISHED, Novelty.PUBLISHED)
_CORROBORATING = Verdict(Novelty.CORROBORATING, Novelty.CORROBORATING)
_HIDDEN_CORROBORATION = Verdict(Novelty.NOVEL, Novelty.CORROBORATING)


@cache
def _benign(warninglist: str) -> Verdict:
    return Verdict(Novelty.BENIGN, Novelty.BENIGN, warninglist)
