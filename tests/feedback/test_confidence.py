"""The confidence model, opinions and reputation with pinned clocks (pure, no store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phalanx.channels.model import ChannelFilter, DeliveryEntry, Use, select_entries
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput
from phalanx.feedback.assess import Assessment, VisibleReport, assess
from phalanx.feedback.confidence import ConfidenceParams, decay, parse_half_lives
from phalanx.feedback.delivery import with_feedback
from phalanx.feedback.evidence import ObservableState, Stance
from phalanx.feedback.model import SightingKind
from phalanx.feedback.opinion import Verdict, verdict
from phalanx.feedback.reputation import reputation_deltas, reputation_score
from phalanx.observables.kinds import ObservableType as T
from phalanx.policy.markings import PAP, TLP

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONTRIBUTOR, VIEWER = 1, 99
REPORT = 500
FULL_TRUST = {CONTRIBUTOR: 1.0}


def report(*, confidence: int | None = 100, age: timedelta = timedelta(0), **kw: object):
    return VisibleReport(REPORT, CONTRIBUTOR, confidence, to_micros(NOW - age), **kw)  # type: ignore[arg-type]


def statement(
    state: ObservableState, org: int, kind: SightingKind, *, ago: timedelta = timedelta(0)
) -> None:
    moment = to_micros(NOW - ago)
    state.record([REPORT], org, kind, 1, moment, moment, named=False)


def score(kind: T, *, at: datetime, state: ObservableState | None = None, **kw: object) -> int:
    reports = [report(**kw)]  # type: ignore[arg-type]
    result = assess(
        kind, reports, state or ObservableState(), FULL_TRUST, viewer_org=VIEWER, now=at
    )
    return result.confidence.score


@pytest.mark.parametrize(
    ("kind", "half_life"),
    [(T.IPV4, 14), (T.IPV6, 14), (T.CIDR, 30), (T.URL, 60), (T.DOMAIN, 90), (T.SHA256, 3650)],
)
def test_decay_curve_halves_once_per_half_life_of_the_kind(kind: T, half_life: int) -> None:
    curve = [score(kind, at=NOW + timedelta(days=half_life * n)) for n in range(4)]
    assert curve == [100, 50, 25, 12]


def test_ips_fade_fast_domains_slower_hashes_barely() -> None:
    month = NOW + timedelta(days=30)
    ip, domain, sha = (score(kind, at=month) for kind in (T.IPV4, T.DOMAIN, T.SHA256))
    assert (ip, domain, sha) == (23, 79, 99)


def test_half_lives_are_configurable() -> None:
    params = ConfidenceParams(half_lives=parse_half_lives(["ipv4=7", "hash=30d"]))
    assert params.half_life(T.IPV4) == 7 and params.half_life(T.SHA1) == 30
    assert params.half_life(T.DOMAIN) == 90  # untouched kinds keep their default
    week = assess(
        T.IPV4, [report()], ObservableState(), FULL_TRUST,
        viewer_org=VIEWER, now=NOW + timedelta(days=7), params=params,
    )  # fmt: skip
    assert week.confidence.score == 50
    for bad in (["ipv4"], ["ipv4=0"], ["pirate=3"], ["ipv4=soon"]):
        with pytest.raises(InvalidInput):
            parse_half_lives(bad)
    assert decay(-5, 14) == 1.0  # a report from the future does not count extra


def test_initial_confidence_is_report_confidence_times_reputation() -> None:
    result = assess(
        T.DOMAIN, [report(confidence=80)], ObservableState(), {CONTRIBUTOR: 0.5},
        viewer_org=VIEWER, now=NOW,
    )  # fmt: skip
    assert (result.confidence.initial, result.confidence.score) == (40, 40)
    unrated = assess(
        T.DOMAIN, [report(confidence=None)], ObservableState(), {}, viewer_org=VIEWER, now=NOW
    )
    assert unrated.confidence.score == 50  # no confidence given: 50; unknown org: trusted


def test_one_and_ten_independent_sightings() -> None:
    def with_sighters(n: int) -> int:
        state = ObservableState()
        for org in range(10, 10 + n):
            statement(state, org, SightingKind.SEEN)
        base = report(confidence=50)
        found = assess(T.IPV4, [base], state, {CONTRIBUTOR: 0.8}, viewer_org=VIEWER, now=NOW)
        return found.confidence.score

    assert [with_sighters(n) for n in (0, 1, 10)] == [40, 58, 98]


def test_repeated_sightings_of_one_organisation_count_once() -> None:
    state = ObservableState()
    for _ in range(10):
        statement(state, 10, SightingKind.SEEN)
    statement(state, CONTRIBUTOR, SightingKind.SEEN)  # the contributor's own: no extra witness
    found = assess(
        T.IPV4, [report(confidence=50)], state, {CONTRIBUTOR: 0.8}, viewer_org=VIEWER, now=NOW
    )
    assert found.confidence.score == 58
    assert found.totals.seen == 11 and found.totals.seen_orgs == 2


def test_an_old_sighting_weighs_less_and_a_fresh_one_revives_a_stale_report() -> None:
    stale = score(T.IPV4, at=NOW, age=timedelta(days=56))  # four half-lives: 6
    old, fresh = ObservableState(), ObservableState()
    statement(old, 10, SightingKind.SEEN, ago=timedelta(days=14))
    statement(fresh, 10, SightingKind.SEEN)
    revived_old = score(T.IPV4, at=NOW, age=timedelta(days=56), state=old)
    revived = score(T.IPV4, at=NOW, age=timedelta(days=56), state=fresh)
    assert (stale, revived_old, revived) == (6, 20, 34)


def test_a_false_positive_halves_and_withdraws_the_reporter() -> None:
    state = ObservableState()
    statement(state, 10, SightingKind.FALSE_POSITIVE)
    assert score(T.DOMAIN, at=NOW, confidence=80, state=state) == 40
    own = ObservableState()
    statement(own, CONTRIBUTOR, SightingKind.FALSE_POSITIVE)  # the contributor retracts
    assert score(T.DOMAIN, at=NOW, confidence=80, state=own) == 0
    later = ObservableState()
    statement(later, 10, SightingKind.FALSE_POSITIVE, ago=timedelta(hours=2))
    statement(later, 10, SightingKind.SEEN, ago=timedelta(hours=1))  # seen again since
    assert later.reports[REPORT][10].stance is Stance.SEEN
    assert score(T.DOMAIN, at=NOW, confidence=80, state=later) == 86


def test_expiry_by_valid_until_by_the_contributor_or_the_viewer_only() -> None:
    def expired(state: ObservableState, **kw: object) -> bool:
        reports = [report(**kw)]  # type: ignore[arg-type]
        return assess(
            T.URL, reports, state, FULL_TRUST, viewer_org=VIEWER, now=NOW
        ).confidence.expired

    assert not expired(ObservableState())
    assert expired(ObservableState(), valid_until=to_micros(NOW))
    assert not expired(ObservableState(), valid_until=to_micros(NOW) + 1)
    by_owner, by_other, by_viewer = ObservableState(), ObservableState(), ObservableState()
    statement(by_owner, CONTRIBUTOR, SightingKind.EXPIRED)
    statement(by_other, 10, SightingKind.EXPIRED)  # cannot retire someone else's report
    statement(by_viewer, VIEWER, SightingKind.EXPIRED)
    assert expired(by_owner) and not expired(by_other) and expired(by_viewer)
    statement(by_viewer, VIEWER, SightingKind.SEEN)  # seen again after it said expired
    assert not expired(by_viewer)
    retired_earlier = ObservableState()
    statement(retired_earlier, CONTRIBUTOR, SightingKind.EXPIRED, ago=timedelta(days=2))
    assert expired(retired_earlier, age=timedelta(days=3))
    assert not expired(retired_earlier, age=timedelta(days=1))  # reported again since


def entry(**kw: object) -> DeliveryEntry:
    base = {
        "type": T.DOMAIN, "value": "evil.example", "labels": ("c2",), "confidence": 80,
        "tlp": TLP.GREEN, "pap": PAP.GREEN, "report_ref": "r1", "first_seen": NOW,
    }  # fmt: skip
    return DeliveryEntry(**(base | kw))  # type: ignore[arg-type]


def channel(entries: list[DeliveryEntry], now: datetime | None = None) -> list[str]:
    kept = select_entries(entries, ChannelFilter(), use=Use.BLOCK, kinds=frozenset(T), now=now)
    return [e.value for e in kept]


def test_expiry_removes_an_item_from_a_channel() -> None:
    live, lapsing = entry(), entry(value="old.example", valid_until=NOW - timedelta(seconds=1))
    assert channel([live, lapsing]) == ["evil.example", "old.example"]
    assert channel([live, lapsing], now=NOW) == ["evil.example"]
    state = ObservableState()
    statement(state, CONTRIBUTOR, SightingKind.EXPIRED)
    assessment = assess(T.DOMAIN, [report()], state, FULL_TRUST, viewer_org=VIEWER, now=NOW)
    assert channel([with_feedback(live, assessment)], now=NOW) == []
    assert with_feedback(live, None) is live


def test_min_confidence_filters_on_the_feedback_score() -> None:
    state = ObservableState()
    statement(state, 10, SightingKind.FALSE_POSITIVE)
    assessment: Assessment = assess(
        T.DOMAIN, [report(confidence=80)], state, FULL_TRUST, viewer_org=VIEWER, now=NOW
    )
    adjusted = with_feedback(entry(confidence=80), assessment)
    assert adjusted.confidence == 40
    strict = ChannelFilter(min_confidence=50)
    assert select_entries([adjusted], strict, use=Use.LOOKUP, kinds=frozenset(T)) == []


def test_reputation_is_beta_smoothed_precision() -> None:
    assert reputation_score(0, 0) == pytest.approx(0.8)
    assert reputation_score(6, 0) == pytest.approx(10 / 11)
    assert reputation_score(0, 3) == pytest.approx(0.5)
    assert reputation_score(96, 24) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        reputation_score(-1, 0)


def test_reputation_counts_each_pair_by_its_latest_stance() -> None:
    state = ObservableState()
    contributors = {REPORT: CONTRIBUTOR}
    seen = state.record([REPORT], 10, SightingKind.SEEN, 1, 1, 1, named=False)
    assert reputation_deltas(seen, contributors) == {CONTRIBUTOR: (1, 0)}
    again = state.record([REPORT], 10, SightingKind.SEEN, 5, 2, 2, named=False)
    assert again == []  # no new stance: no new judgement
    flipped = state.record([REPORT], 10, SightingKind.FALSE_POSITIVE, 1, 3, 3, named=False)
    assert reputation_deltas(flipped, contributors) == {CONTRIBUTOR: (-1, 1)}
    own = state.record([REPORT], CONTRIBUTOR, SightingKind.SEEN, 1, 4, 4, named=False)
    assert reputation_deltas(own, contributors) == {}
    expired = state.record([REPORT], 11, SightingKind.EXPIRED, 1, 5, 5, named=False)
    assert expired == []


@pytest.mark.parametrize(
    ("positive", "negative", "expected"),
    [
        (1, 0, Verdict.POSITIVE), (0, 1, Verdict.NEGATIVE), (3, 1, Verdict.POSITIVE),
        (2, 1, Verdict.DISPUTED), (1, 1, Verdict.DISPUTED), (1, 2, Verdict.DISPUTED),
        (1, 3, Verdict.NEGATIVE),
    ],
)  # fmt: skip
def test_pooled_opinion_verdicts(positive: int, negative: int, expected: Verdict) -> None:
    assert verdict(positive, negative) is expected


def test_state_round_trips_and_merges_reports_without_double_counting() -> None:
    state = ObservableState()
    state.record([1, 2], 10, SightingKind.SEEN, 3, 100, 200, named=True)
    state.record([2], 10, SightingKind.SEEN, 2, 300, 400, named=True)
    state.record([2], 11, SightingKind.FALSE_POSITIVE, 1, 500, 500, named=False)
    copy = ObservableState.from_bytes(state.to_bytes())
    assert copy.to_bytes() == state.to_bytes()
    both = assess(
        T.IPV4, [VisibleReport(1, 1, 50, 0), VisibleReport(2, 1, 50, 0)], copy, {},
        viewer_org=VIEWER, now=NOW,
    )  # fmt: skip
    assert (both.totals.seen, both.totals.first_seen, both.totals.last_seen) == (5, 100, 400)
    only_first = assess(T.IPV4, [VisibleReport(1, 1, 50, 0)], copy, {}, viewer_org=VIEWER, now=NOW)
    assert (only_first.totals.seen, only_first.totals.false_positive_orgs) == (3, 0)
    assert set(both.named) == {10}  # org 11 stayed anonymous
