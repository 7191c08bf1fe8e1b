"""What policy decides over: viewers, scopes, agreements, report facts, decisions. PURE."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import TLP


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading, for which organisation and purpose."""

    org_id: int
    country: str | None = None
    user_id: int | None = None
    purpose: str = "network-defense"
    hub_admin: bool = False


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a report is shared with: TLP, named recipients, communities, agreement, early access."""

    tlp: TLP
    orgs: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    communities: frozenset[int] = frozenset()
    agreement_id: int | None = None
    early_access: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Agreement:
    """A data-exchange agreement as a policy object. Empty kinds/labels/jurisdictions = any."""

    id: int
    parties: frozenset[int]
    purposes: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None = None
    kinds: frozenset[ObservableType] = frozenset()
    labels: frozenset[str] = frozenset()
    jurisdictions: frozenset[str] = frozenset()
    own_victims_only: bool = False
    personal_data: bool = False
    retention_days: int | None = None
    onward: bool = False
    revoked_at: datetime | None = None
    name: str = ""

    def active(self, now: datetime) -> bool:
        """True while the agreement is in force (inside its window and not revoked)."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)

    def retention_cutoff(self, now: datetime) -> datetime | None:
        """Reports created at or before this moment are past retention (None: kept)."""
        return None if self.retention_days is None else now - timedelta(days=self.retention_days)


@dataclass(frozen=True, slots=True)
class World:
    """Hub-wide facts decisions depend on; ``version`` changes whenever any of them does."""

    communities: Mapping[int, frozenset[int]] = field(default_factory=dict)
    agreements: Mapping[int, Agreement] = field(default_factory=dict)
    restricted: frozenset[int] = frozenset()  # organisations out of good standing
    version: int = 0
    # The next moment ``restricted`` changes by the clock alone (a grace period ending, an
    # override expiring); plans compiled from this world are recompiled then.
    changes_at: datetime | None = None

    def in_community(self, org_id: int, community_ids: frozenset[int]) -> bool:
        """True when the organisation belongs to any of the communities."""
        return any(org_id in self.communities.get(cid, frozenset()) for cid in community_ids)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """The facts about one report that the policy reads."""

    org_id: int
    scope: Scope
    kind: ObservableType
    created: datetime
    labels: frozenset[str] = frozenset()
    embargo_until: datetime | None = None
    victim_country: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Allow or deny, with the rule that decided and a reason an admin can read."""

    allowed: bool
    rule: str
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def allow(rule: str, reason: str) -> Decision:
    """Return an allowing decision."""
    return Decision(True, rule, reason)


def deny(rule: str, reason: str) -> Decision:
    """Return a denying decision."""
    return Decision(False, rule, reason)
