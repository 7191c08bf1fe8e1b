"""The policy facts of stored STIX objects that are not observables. PURE.

Indicators and SCOs also become reports through the contribution pipeline; every stored
object version (those included) carries its own policy columns, and an object that is not an
observable (malware, a relationship, a report, a marking definition...) has the *context*
kind. It is not an observable kind, so an agreement that lists observable kinds never covers
it: ``decide()`` denies it there, exactly as the SQL ``kind IN (...)`` does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

from phalanx.observables.kinds import ObservableType
from phalanx.policy.model import ReportFacts, Scope


class ContextKind(str):
    """A kind outside ObservableType that reads like one (``.value``) in decide()'s reasons."""

    __slots__ = ()

    @property
    def value(self) -> str:
        """The stored kind."""
        return str(self)


CONTEXT_KIND = ContextKind("stix-object")


def object_facts(*, org_id: int, scope: Scope, created: datetime) -> ReportFacts:
    """What decide() reads about a stored context object: no labels, embargo or victim."""
    facts = ReportFacts(
        org_id=org_id, scope=scope, kind=ObservableType.STIX_PATTERN, created=created
    )
    return replace(facts, kind=cast(ObservableType, CONTEXT_KIND))
