"""The standing rule, pure: rolling window, grace, trend, gap, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phalanx.alliance.tiers import (
    Override,
    StandingRule,
    Status,
    evaluate,
    next_change,
    restricted_at,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
RULE = StandingRule(min_points_per_day=1.0, window_days=30, grace_days=7)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_good_while_the_window_holds_enough() -> None:
    rows = [(at(0), 3000)]
    s = evaluate(rows, rule=RULE, now=at(10), joined=T0)
    assert (s.status, s.points, s.gap_points, s.below_since) == (Status.GOOD, 30.0, 0, None)
    assert s.restricted_from == at(37)  # the row leaves at day 30, then 7 days of grace


def test_grace_then_restricted_then_back() -> None:
    rows = [(at(0), 3000)]
    grace = evaluate(rows, rule=RULE, now=at(31), joined=T0)
    assert (grace.status, grace.below_since, grace.gap_points) == (Status.GRACE, at(30), 30.0)
    restricted = evaluate(rows, rule=RULE, now=at(37), joined=T0)
    assert restricted.status is Status.RESTRICTED
    short = evaluate([*rows, (at(38), 2999)], rule=RULE, now=at(38), joined=T0)
    assert (short.status, short.gap_points) == (Status.RESTRICTED, 0.01)
    assert short.below_since == at(30)
    good = evaluate([*rows, (at(38), 3000)], rule=RULE, now=at(38), joined=T0)
    assert good.status is Status.GOOD


def test_a_new_member_starts_in_grace() -> None:
    s = evaluate([], rule=RULE, now=at(1), joined=T0)
    assert (s.status, s.below_since, s.restricted_from) == (Status.GRACE, T0, at(7))


def test_the_run_start_is_exact_with_several_rows() -> None:
    rows = [(at(0), 1500), (at(5), 1500), (at(20), 1500)]
    # 45 points from day 20; 30 once the first row leaves (day 30); 15 from day 35.
    s = evaluate(rows, rule=RULE, now=at(36), joined=T0)
    assert s.below_since == at(35)
    future = evaluate(rows, rule=RULE, now=at(6), joined=T0)
    assert future.restricted_from == at(35 + 7)


def test_negative_points_pull_the_standing_down() -> None:
    rows = [(at(0), 4000), (at(1), -2000)]
    s = evaluate(rows, rule=RULE, now=at(2), joined=T0)
    assert (s.status, s.below_since) == (Status.GRACE, at(1))


def test_trend_compares_with_the_previous_window() -> None:
    rows = [(at(0), 6000), (at(40), 3000)]
    s = evaluate(rows, rule=RULE, now=at(45), joined=T0)
    assert (s.trend, s.previous_average_per_day, s.average_per_day) == ("falling", 2.0, 1.0)


def test_a_disabled_rule_never_restricts() -> None:
    s = evaluate([], rule=StandingRule(), now=at(100), joined=T0)
    assert (s.status, s.restricted_from, s.gap_points) == (Status.GOOD, None, 0.0)


def test_overrides_win_while_active() -> None:
    forced = Override(Status.GOOD, "onboarding", at(1), until=at(10))
    s = evaluate([], rule=RULE, now=at(8), joined=T0, override=forced)
    assert (s.status, s.computed_status) == (Status.GOOD, Status.RESTRICTED)
    assert restricted_at(at(7), forced, at(8)) is False
    assert restricted_at(at(7), forced, at(10)) is True
    assert next_change(at(7), forced, at(8)) == at(10)
    blocked = Override(Status.RESTRICTED, "abuse", at(1))
    assert restricted_at(None, blocked, at(2)) is True
    assert next_change(None, blocked, at(2)) is None
