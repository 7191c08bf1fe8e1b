"""Saving and loading the index: round trip, versions, damage."""

from __future__ import annotations

import struct

import pytest

from phalanx.errors import InvalidInput, Unsupported
from phalanx.matcher import MatchIndex, build_index, match_lines
from phalanx.matcher.index_file import MAGIC
from phalanx.observables.kinds import ObservableType as T

ITEMS = [
    (1, T.IPV4, "198.51.100.7"), (2, T.CIDR, "203.0.113.0/24"), (3, T.CIDR, "203.0.113.128/25"),
    (4, T.DOMAIN, "evil.test"), (5, T.IPV6, "2001:db8::1"), (6, T.CIDR, "2001:db8::/48"),
    (7, T.CIDR, "2001:db8::1:0/120"), (8, T.URL, "http://evil.test/A"), (2**40, T.MD5, "ab" * 16),
]  # fmt: skip
LINES = [
    "198.51.100.7",
    "203.0.113.200",
    "x.evil.test",
    "2001:db8::1",
    "2001:db8::1:7",
    "http://evil.test/A",
    "AB" * 16,
]


def test_round_trip_keeps_every_match_and_the_seed() -> None:
    index = build_index(ITEMS, seed=42)
    loaded = MatchIndex.from_bytes(index.to_bytes())
    assert (loaded.seed, len(loaded), loaded.long6) == (42, len(index), index.long6)
    assert list(match_lines(loaded, LINES)) == list(match_lines(index, LINES))
    assert len(list(match_lines(loaded, LINES))) == 11
    assert loaded.to_bytes() == index.to_bytes()


def test_an_empty_index_round_trips() -> None:
    loaded = MatchIndex.from_bytes(build_index([]).to_bytes())
    assert len(loaded) == 0 and list(match_lines(loaded, LINES)) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: b"not an index at all", "bad magic"),
        (lambda data: b"", "bad magic"),
        (lambda data: data[:-9], "checksum"),
        (lambda data: data[:40] + bytes([data[40] ^ 1]) + data[41:], "checksum"),
    ],
)
def test_damaged_files_raise_a_clear_error(damage, message: str) -> None:  # type: ignore[no-untyped-def]
    data = build_index(ITEMS).to_bytes()
    with pytest.raises(InvalidInput, match=message):
        MatchIndex.from_bytes(damage(data))


def test_another_format_version_is_unsupported() -> None:
    data = bytearray(build_index(ITEMS).to_bytes())
    struct.pack_into("<I", data, len(MAGIC), 99)
    with pytest.raises(Unsupported, match="version 99"):
        MatchIndex.from_bytes(bytes(data))


def test_consistent_checksum_but_inconsistent_arrays_is_caught() -> None:
    import zlib

    data = bytearray(build_index(ITEMS).to_bytes())
    body = data[:-4]
    at = body.index(b"keys\0")  # the first array's name; corrupt its sorted order
    start = at + 16 + 8 + 8
    body[start : start + 8], body[start + 8 : start + 16] = (
        body[start + 8 : start + 16],
        body[start : start + 8],
    )
    with pytest.raises(InvalidInput, match="not sorted"):
        MatchIndex.from_bytes(bytes(body) + struct.pack("<I", zlib.crc32(body)))
