"""An organisation's statements attached to different reports merge as one statement order."""

from __future__ import annotations

import orjson

from phalanx.feedback.evidence import ObservableState, Stance, merge_by_org
from phalanx.feedback.model import SightingKind as K

ORG = 7
T = 1_800_000_000_000_000


def _state(*statements: tuple[tuple[int, ...], K, int]) -> ObservableState:
    state = ObservableState()
    for reports, kind, last in statements:
        state.record(reports, ORG, kind, 1, last, last, named=True)
    return state


def test_a_later_seen_at_the_same_time_clears_expired_seen_on_fewer_reports() -> None:
    # "expired" reached reports 1 and 2; the later "seen" at the same moment only report 1.
    state = _state(((1, 2), K.EXPIRED, T), ((1,), K.SEEN, T))
    assert not state.reports[1][ORG].expired
    assert state.reports[2][ORG].expired
    assert not merge_by_org(state.visible([1, 2]))[ORG].expired
    assert merge_by_org(state.visible([2]))[ORG].expired


def test_the_later_of_two_statements_at_one_moment_wins_in_any_report_order() -> None:
    state = _state(((2,), K.SEEN, T), ((1, 2), K.EXPIRED, T))
    for order in ([1, 2], [2, 1]):
        assert merge_by_org(state.visible(order))[ORG].expired
    stances = _state(((1, 2), K.FALSE_POSITIVE, T), ((2,), K.SEEN, T))
    for order in ([1, 2], [2, 1]):
        assert merge_by_org(stances.visible(order))[ORG].stance is Stance.SEEN
    # An earlier moment loses whatever the order it was stated in.
    older = _state(((1,), K.EXPIRED, T), ((2,), K.SEEN, T - 1))
    assert merge_by_org(older.visible([1, 2]))[ORG].expired


def test_the_statement_count_survives_storage() -> None:
    state = _state(((1, 2), K.EXPIRED, T), ((1,), K.SEEN, T))
    again = ObservableState.from_bytes(state.to_bytes())
    assert again.stated == 2
    assert again.reports == state.reports
    again.record((2,), ORG, K.SEEN, 1, T, T, named=True)
    assert not merge_by_org(again.visible([1, 2]))[ORG].expired


def test_format_1_states_are_read_with_their_meaning() -> None:
    # Format 1 cleared "expired" on a later "seen" at or after it: one left standing at the
    # moment of the latest "seen" was stated after it, and still counts as expired.
    row = [3, T - 5, T, 0, None, T, int(Stance.SEEN), T, 1]
    old = {"v": 1, "r": {"4": {str(ORG): row}, "5": {str(ORG): [*row[:5], None, *row[6:]]}}}
    state = ObservableState.from_bytes(orjson.dumps(old))
    assert state.reports[4][ORG].expired
    assert not state.reports[5][ORG].expired
    assert state.reports[4][ORG].seen == 3
    assert orjson.loads(state.to_bytes())["v"] == 2
