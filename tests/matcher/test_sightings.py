"""Sightings aggregation and the summary table."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from phalanx.matcher import Match, MatchIndex
from phalanx.matcher.run import run_match
from phalanx.matcher.sightings import SightingAggregator, aggregate_sightings, render_summary
from phalanx.observables.kinds import ObservableType as T


def at(minute: int) -> datetime:
    return datetime(2025, 3, 1, 10, minute, tzinfo=UTC)


def test_matches_group_by_indicator_with_first_and_last_seen() -> None:
    matches = [
        Match(1, "query", "a.evil.test", 2, T.DOMAIN, "evil.test", "parent-domain", at(5)),
        Match(2, "query", "evil.test", 2, T.DOMAIN, "evil.test", "exact", at(1)),
        Match(3, "host", "b.evil.test", 9, T.DOMAIN, "evil.test", "parent-domain", at(9)),
        Match(4, None, "198.51.100.7", 1, T.IPV4, "198.51.100.7", "exact", None),
    ]
    assert aggregate_sightings(matches) == [
        {"type": "domain", "value": "evil.test", "sighting": "seen", "count": 3,
         "first_seen": "2025-03-01T10:01:00+00:00", "last_seen": "2025-03-01T10:09:00+00:00"},
        {"type": "ipv4", "value": "198.51.100.7", "sighting": "seen", "count": 1,
         "first_seen": None, "last_seen": None},
    ]  # fmt: skip


def test_a_run_feeds_sightings_and_renders_a_summary(
    samples: Path, sample_index: MatchIndex
) -> None:
    sightings = SightingAggregator()
    summary = run_match(
        [str(samples / "eve.json")], "eve", sample_index, io.BytesIO(), sightings=sightings
    )
    items = sightings.items()
    assert items[0]["value"] == "evil.test" and sum(i["count"] for i in items) == summary.matches
    console = Console(file=io.StringIO(), width=140)
    console.print(render_summary(summary))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for expected in (
        "lines read",
        "10",
        "how: parent-domain",
        "malformed lines (eve)",
        "3",
        "eve.json:8",
    ):
        assert expected in text
