"""Summaries of a match run: the Rich table, and matches aggregated into sightings. PURE.

Sightings group matches by indicator (type and canonical value) and carry the count and the
first and last time seen, taken from the log lines when the format has timestamps. The
payload items are what ``POST /api/v1/sightings`` takes: ``{"type", "value", "sighting":
"seen", "count", "first_seen", "last_seen"}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from phalanx.matcher.model import HOWS, Match

if TYPE_CHECKING:
    from phalanx.matcher.run import MatchSummary


@dataclass(slots=True)
class _Seen:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None


class SightingAggregator:
    """Counts matches per indicator, with first and last timestamps."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}

    def add(self, match: Match) -> None:
        """Count one match."""
        key = (match.indicator_type.value, match.indicator_value)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = _Seen()
        seen.count += 1
        if match.ts is not None:
            seen.first = match.ts if seen.first is None else min(seen.first, match.ts)
            seen.last = match.ts if seen.last is None else max(seen.last, match.ts)

    def items(self) -> list[dict[str, Any]]:
        """Return the sightings payload items, most seen first."""
        ordered = sorted(self._seen.items(), key=lambda item: (-item[1].count, item[0]))
        return [
            {
                "type": kind,
                "value": value,
                "sighting": "seen",
                "count": seen.count,
                "first_seen": seen.first.isoformat() if seen.first else None,
                "last_seen": seen.last.isoformat() if seen.last else None,
            }
            for (kind, value), seen in ordered
        ]


def aggregate_sightings(matches: Iterable[Match]) -> list[dict[str, Any]]:
    """Return sightings payload items for ``matches``, one per indicator."""
    aggregator = SightingAggregator()
    for match in matches:
        aggregator.add(match)
    return aggregator.items()


def render_summary(summary: MatchSummary) -> Table:
    """Return a Rich table of what a run read, matched and could not read."""
    table = Table(title=f"phalanx match ({summary.format})", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("sources", ", ".join(summary.sources) or "-")
    table.add_row("lines read", f"{summary.lines:,}")
    table.add_row("observations", f"{summary.observations:,}")
    table.add_row("matches", f"{summary.matches:,}")
    for how in HOWS:
        if summary.by_how.get(how):
            table.add_row(f"  how: {how}", f"{summary.by_how[how]:,}")
    for kind, count in sorted(summary.by_type.items()):
        table.add_row(f"  indicator type: {kind}", f"{count:,}")
    for fmt, count in summary.malformed.items():
        table.add_row(f"malformed lines ({fmt})", f"{count:,}")
    for source, line, reason in summary.problems:
        table.add_row(f"  e.g. {source}:{line}", reason)
    table.add_row("elapsed", f"{summary.elapsed:.2f} s")
    table.add_row(
        "rate", f"{summary.rate:,.0f} lines/s, {summary.observation_rate:,.0f} observations/s"
    )
    return table
