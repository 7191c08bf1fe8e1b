"""Suricata EVE events of every type the matcher reads, and broken lines."""

from __future__ import annotations

from pathlib import Path

from phalanx.matcher.logs.eve import read_eve
from phalanx.matcher.model import LogProblem
from phalanx.observables.kinds import ObservableType as T


def observations(samples: Path, field_map=None):  # type: ignore[no-untyped-def]
    items = list(read_eve(samples.joinpath("eve.json").read_bytes().splitlines(), field_map))
    return [o for o in items if not isinstance(o, LogProblem)], [
        p for p in items if isinstance(p, LogProblem)
    ]


def test_each_event_type_yields_its_fields(samples: Path) -> None:
    found, _ = observations(samples)
    fields = {(o.line, o.field, o.value) for o in found}
    assert (1, "dns.rrname", "cdn.evil.test") in fields
    assert (1, "dns.answers", "198.51.100.7") in fields
    assert (2, "http.url", "http://dl.evil.test/payload/Stage2.bin?id=7") in fields
    assert (3, "tls.sni", "login.phish.example") in fields
    assert (3, "tls.fingerprint", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d") in fields
    assert (
        4,
        "fileinfo.sha256",
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    ) in fields
    assert (5, "dest_ip", "203.0.113.200") in fields  # flow
    assert (6, "tls.sni", "c2.evil.test") in fields  # alert with its app-layer section
    assert not [o for o in found if o.line == 7]  # stats: nothing to match
    assert all(o.ts is not None for o in found)


def test_broken_lines_are_counted_with_reasons(samples: Path) -> None:
    _, problems = observations(samples)
    assert [p.line for p in problems] == [8, 9, 10]
    assert problems[0].reason.startswith("invalid JSON") and "event_type" in problems[1].reason


def test_a_field_map_replaces_the_defaults(samples: Path) -> None:
    found, _ = observations(samples, {"tls.sni": T.DOMAIN})
    assert [(o.line, o.value) for o in found] == [(3, "login.phish.example"), (6, "c2.evil.test")]
