"""CSV exports with a header row, CRLF line ends and quoted cells."""

from __future__ import annotations

from pathlib import Path

from phalanx.matcher.logs.csv import read_csv
from phalanx.matcher.model import LogProblem, Observation
from phalanx.observables.kinds import ObservableType as T


def rows(samples: Path) -> list[bytes]:
    return [
        line.rstrip(b"\r")
        for line in samples.joinpath("firewall.csv").read_bytes().split(b"\n")
        if line
    ]


def test_columns_in_the_default_map_are_read_with_their_time(samples: Path) -> None:
    items = list(read_csv(rows(samples)))
    found = [(o.line, o.field, o.value) for o in items if isinstance(o, Observation)]
    assert found[:4] == [
        (2, "src_ip", "10.1.2.3"),
        (2, "dst_ip", "198.51.100.7"),
        (2, "domain", "cdn.evil.test"),
        (2, "url", "https://cdn.evil.test/js/app.js"),
    ]
    assert (5, "domain", "dl.evil.test") in found  # a quoted cell
    assert (7, "dst_ip", "2001:db8:bad::1") in found
    first = items[0]
    assert (
        isinstance(first, Observation)
        and first.ts is not None
        and first.ts.isoformat() == "2025-03-01T10:00:00+00:00"
    )
    assert [p for p in items if isinstance(p, LogProblem)] == [
        LogProblem(6, "expected 11 columns, got 5")
    ]


def test_field_maps_match_column_names_case_insensitively(samples: Path) -> None:
    items = list(read_csv(rows(samples), {"SHA256": T.SHA256}))
    assert [(o.line, o.value[:8]) for o in items if isinstance(o, Observation)] == [(5, "2c26b46b")]


def test_a_header_without_known_columns_is_reported() -> None:
    items = list(read_csv([b"a,b", b"1,2"]))
    assert items == [LogProblem(1, "no column of the header is in the field map")]
