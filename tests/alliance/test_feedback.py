"""Sighting bonuses and false-positive penalties through ``ledger.record_feedback``."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.alliance.ledger import record_feedback
from phalanx.errors import InvalidInput, NotFound

from .conftest import ledger, points

HASH = "3b5d5c3712955042212316173ccf37be800e0b0e4b0c2b1c6d5e4f3a2b1c0d9e"


def feedback(hub: Any, report_id: int, kind: str, by: Any) -> Any:
    with hub.db.transaction() as conn:
        return record_feedback(
            hub, conn, report_id=report_id, kind=kind, by_org=by.org_id, at=hub.clock()
        )


@pytest.fixture
def reported(api: Any, member: Any) -> tuple[Any, int, list[Any]]:
    finder = member("Finder Labs")
    others = [member(f"Watcher {n}") for n in range(7)]
    api.contribute(finder, [HASH], tlp="green", labels=["malware:emotet"])
    (report_id,) = api.report_ids(finder, HASH, "sha256")
    return finder, report_id, others


def test_independent_sightings_add_a_capped_bonus(hub: Any, api: Any, reported: Any) -> None:
    finder, report_id, others = reported
    assert feedback(hub, report_id, "sighting", finder) is None  # its own sighting
    first = feedback(hub, report_id, "sighting", others[0])
    assert (first.kind, first.points, first.report_id) == ("sighting", 2.0, report_id)
    assert first.reason == "sighting: another member saw this value independently"
    assert feedback(hub, report_id, "sighting", others[0]) is None  # same member again
    for watcher in others[1:]:
        feedback(hub, report_id, "sighting", watcher)
    assert points(api, finder) == 12.5 + 5 * 2.0  # at most five sighting members
    text = repr(ledger(api, finder))
    assert not any(w.name in text for w in others)


def test_a_confirmed_false_positive_takes_the_points_back(
    hub: Any, api: Any, reported: Any
) -> None:
    finder, report_id, others = reported
    feedback(hub, report_id, "sighting", others[0])
    row = feedback(hub, report_id, "false-positive", others[1])
    assert row.points == -17.5
    assert row.reason == "false positive confirmed: the report's 12.5 points taken back, minus 5"
    assert feedback(hub, report_id, "false-positive", others[2]) is None  # once per report
    assert points(api, finder) == 12.5 + 2.0 - 17.5


def test_sightings_of_unscored_values_earn_nothing(hub: Any, api: Any, member: Any) -> None:
    poster, watcher = member("Poster"), member("Watcher")
    api.contribute(poster, ["8.8.8.8"], tlp="green")  # benign: 0 points
    (report_id,) = api.report_ids(poster, "8.8.8.8", "ipv4")
    assert feedback(hub, report_id, "sighting", watcher) is None
    assert points(api, poster) == 0


def test_bad_feedback_is_refused_clearly(hub: Any, reported: Any) -> None:
    _finder, report_id, others = reported
    with pytest.raises(InvalidInput, match="sighting, false-positive"):
        feedback(hub, report_id, "like", others[0])
    with pytest.raises(NotFound, match="no report 999999"):
        feedback(hub, 999_999, "sighting", others[0])


def test_a_penalty_moves_the_standing_at_once(hub: Any, api: Any, reported: Any) -> None:
    finder, report_id, others = reported
    before = api.client.get("/api/v1/alliance/standing", headers=finder.auth).json()
    feedback(hub, report_id, "false-positive", others[0])
    after = api.client.get("/api/v1/alliance/standing", headers=finder.auth).json()
    assert (before["points_in_window"], after["points_in_window"]) == (12.5, -5.0)
