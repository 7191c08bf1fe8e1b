"""Give-to-get standing: rolling average of points, grace period, trend and gap. PURE.

The rule: a member is in good standing while its points over the last ``window_days`` (a
rolling window ending now) average at least ``min_points_per_day``. Below that it is in
*grace* for ``grace_days``; after that it is *restricted* (policy/decide.py withholds AMBER
and AMBER+STRICT intelligence that reaches it through a community) until its average is back
above the line. A member's standing cannot start before it joined, so a new member has the
grace period to make its first contributions. ``min_points_per_day = 0`` turns the rule off.

The points sum S(t) over the window (t - W, t] changes only when a ledger row enters (at its
time) or leaves (its time + W), so the past and the future (assuming no new points) are
evaluated exactly at those moments: when the current below-the-line run began, and when a
member now in good standing will drop below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

Entry = tuple[datetime, int]  # (when, centipoints): one ledger row


class Status(StrEnum):
    """Standing states."""

    GOOD = "good"
    GRACE = "grace"
    RESTRICTED = "restricted"


@dataclass(frozen=True, slots=True)
class StandingRule:
    """The configurable good-standing rule."""

    min_points_per_day: float = 0.0
    window_days: int = 30
    grace_days: int = 14
    # Deployment non-compliance counts as a downgrade (PHALANX_COMPLIANCE_CONSEQUENCE).
    compliance_downgrade: bool = False

    @property
    def enabled(self) -> bool:
        """False when no minimum is set (everyone is in good standing)."""
        return self.min_points_per_day > 0

    @property
    def window(self) -> timedelta:
        """The rolling window."""
        return timedelta(days=self.window_days)

    @property
    def grace(self) -> timedelta:
        """The grace period."""
        return timedelta(days=self.grace_days)

    @property
    def required_centipoints(self) -> int:
        """Points the window must hold, in hundredths."""
        return round(self.min_points_per_day * self.window_days * 100)

    def lookback(self, now: datetime) -> datetime:
        """Ledger rows older than this cannot change the standing at ``now`` or later."""
        return now - 2 * self.window - self.grace


@dataclass(frozen=True, slots=True)
class Override:
    """An administrator's override: forced status, why, by whom, until when (None: open)."""

    status: Status  # GOOD or RESTRICTED
    reason: str
    at: datetime
    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        """True while the override applies."""
        return self.at <= now and (self.until is None or now < self.until)


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's standing at one moment, with everything needed to explain it."""

    status: Status
    computed_status: Status  # what the rule alone says (differs under an override)
    points: float  # points in the current window
    average_per_day: float
    required_per_day: float
    gap_points: float  # points still needed now to be back in good standing (0 when good)
    previous_average_per_day: float  # the window before the current one
    trend: str  # rising | falling | steady
    below_since: datetime | None  # start of the current below-the-line run
    restricted_from: datetime | None  # when AMBER community access is (or will be) lost
    override: Override | None = None
    non_compliant: bool = False  # restricted because it does not deploy what it receives


def evaluate(
    entries: Sequence[Entry],
    *,
    rule: StandingRule,
    now: datetime,
    joined: datetime,
    override: Override | None = None,
) -> Standing:
    """The standing at ``now`` from the member's ledger rows (only those after ``lookback``)."""
    window = rule.window
    current = _sum(entries, now, window)
    previous = _sum(entries, now - window, window)
    required = rule.required_centipoints
    below_since: datetime | None = None
    restricted_from: datetime | None = None
    if rule.enabled:
        if current < required:
            below_since = max(_run_start(entries, rule, now), joined)
            restricted_from = below_since + rule.grace
        else:
            restricted_from = max(_drop(entries, rule, now), joined) + rule.grace
    computed = _status(rule, now, below_since, restricted_from)
    status = computed
    if override is not None and override.active(now):
        status = override.status
    days = rule.window_days
    return Standing(
        status=status,
        computed_status=computed,
        points=current / 100,
        average_per_day=round(current / 100 / days, 4),
        required_per_day=rule.min_points_per_day,
        gap_points=max(required - current, 0) / 100 if rule.enabled else 0.0,
        previous_average_per_day=round(previous / 100 / days, 4),
        trend=_trend(current, previous),
        below_since=below_since,
        restricted_from=restricted_from,
        override=override,
    )


def restricted_at(
    restricted_from: datetime | None, override: Override | None, now: datetime
) -> bool:
    """True when AMBER community access is withheld at ``now`` (stored form of a standing)."""
    if override is not None and override.active(now):
        return override.status is Status.RESTRICTED
    return restricted_from is not None and now >= restricted_from


def next_change(
    restricted_from: datetime | None, override: Override | None, now: datetime
) -> datetime | None:
    """The next moment ``restricted_at`` may change without a new ledger row (None: never)."""
    moments = [restricted_from]
    if override is not None:
        moments += [override.at, override.until]
    later = [m for m in moments if m is not None and m > now]
    return min(later, default=None)


def downgraded_for_compliance(standing: Standing, now: datetime) -> Standing:
    """The standing of a member whose deployment non-compliance counts as a tier downgrade:
    restricted from now (or earlier, if the points rule already says so), overrides aside."""
    restricted = now if standing.restricted_from is None else min(standing.restricted_from, now)
    status = Status.RESTRICTED
    if standing.override is not None and standing.override.active(now):
        status = standing.override.status
    return replace(
        standing,
        status=status,
        computed_status=Status.RESTRICTED,
        restricted_from=restricted,
        non_compliant=True,
    )


def with_override(standing: Standing, override: Override | None, now: datetime) -> Standing:
    """The same standing under another override."""
    status = standing.computed_status
    if override is not None and override.active(now):
        status = override.status
    return replace(standing, status=status, override=override)


def _status(
    rule: StandingRule, now: datetime, below_since: datetime | None, restricted: datetime | None
) -> Status:
    if below_since is None:
        return Status.GOOD
    return Status.RESTRICTED if restricted is not None and now >= restricted else Status.GRACE


def _sum(entries: Sequence[Entry], end: datetime, window: timedelta) -> int:
    start = end - window
    return sum(points for at, points in entries if start < at <= end)


def _run_start(entries: Sequence[Entry], rule: StandingRule, now: datetime) -> datetime:
    # S(t) is constant between moments where a row enters (at) or leaves (at + W): walk those
    # moments back from now while the sum stays below the line.
    window, required = rule.window, rule.required_centipoints
    moments = sorted({m for at, _ in entries for m in (at, at + window) if m <= now}, reverse=True)
    start = rule.lookback(now)
    for moment in moments:
        if moment <= start:
            break
        if _sum(entries, moment - timedelta(microseconds=1), window) >= required:
            return moment
    return start


def _drop(entries: Sequence[Entry], rule: StandingRule, now: datetime) -> datetime:
    # With no new points the sum only falls, at the moments rows leave the window.
    window, required = rule.window, rule.required_centipoints
    for moment in sorted({at + window for at, _ in entries if at + window > now}):
        if _sum(entries, moment, window) < required:
            return moment
    return now + window  # unreachable while the rule is enabled; kept for safety


def _trend(current: int, previous: int) -> str:
    if current > previous:
        return "rising"
    return "falling" if current < previous else "steady"
