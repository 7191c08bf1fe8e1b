"""Zeek TSV logs written the way Zeek writes them, with a malformed row in each."""

from __future__ import annotations

from pathlib import Path

from phalanx.matcher.logs.zeek import read_zeek
from phalanx.matcher.model import LogProblem
from phalanx.observables.kinds import ObservableType as T


def read(samples: Path, name: str, field_map=None):  # type: ignore[no-untyped-def]
    return list(read_zeek(samples.joinpath(name).read_bytes().splitlines(), field_map))


def test_conn_log_yields_both_hosts_with_time(samples: Path) -> None:
    items = read(samples, "conn.log")
    values = [(o.line, o.field, o.value) for o in items if not isinstance(o, LogProblem)]
    assert values[:2] == [(9, "id.orig_h", "10.1.2.3"), (9, "id.resp_h", "198.51.100.7")]
    assert ("id.resp_h", "2001:db8:bad::1") in [(f, v) for _, f, v in values]
    first = items[0]
    assert (
        not isinstance(first, LogProblem)
        and first.ts is not None
        and first.ts.isoformat() == "2025-03-01T10:00:01.123456+00:00"
    )
    assert [p for p in items if isinstance(p, LogProblem)] == [
        LogProblem(13, "expected 21 fields, got 5")
    ]


def test_dns_log_sets_are_split_and_unset_fields_skipped(samples: Path) -> None:
    items = read(samples, "dns.log")
    answers = [o.value for o in items if not isinstance(o, LogProblem) and o.field == "answers"]
    assert answers == ["198.51.100.7", "93.184.216.34", "relay.phish.example", "203.0.113.9"]
    assert sum(isinstance(o, LogProblem) for o in items) == 1


def test_http_log_builds_urls_from_host_and_uri(samples: Path) -> None:
    urls = [
        (o.kind_hint, o.value)
        for o in read(samples, "http.log")
        if not isinstance(o, LogProblem) and o.field == "url"
    ]
    assert urls[0] == (T.URL, "http://dl.evil.test/payload/Stage2.bin?id=7")
    assert len(urls) == 3


def test_files_log_yields_hashes_and_a_field_map_replaces_defaults(samples: Path) -> None:
    hashes = [
        o.value
        for o in read(samples, "files.log", {"sha256": T.SHA256})
        if not isinstance(o, LogProblem)
    ]
    assert hashes == ["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"]


def test_rows_before_the_header_are_problems() -> None:
    items = list(
        read_zeek([b"1.0\tC1\t10.0.0.1", b"#fields\tts\tid.orig_h", b"1.0\t10.0.0.2"], None)
    )
    assert items[0] == LogProblem(1, "data before the #fields header")
    assert not isinstance(items[1], LogProblem) and items[1].value == "10.0.0.2"
