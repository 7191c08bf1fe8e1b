"""Segment hashing: stable, position-independent, spread enough for the filters."""

from __future__ import annotations

import numpy as np

from phalanx.matcher.hashing import SegmentHasher, ipv4_keys, mix64


def test_a_segment_hashes_the_same_wherever_it_sits_and_across_batches() -> None:
    hasher = SegmentHasher(5)
    buf = np.frombuffer(b"x.evil.test\nevil.test\n", dtype=np.uint8)
    prefix = hasher.prefix(buf)
    in_place = hasher.segments(prefix, np.array([2, 12]), np.array([11, 21]))
    alone = hasher.keys_of([b"evil.test", b"evil.test"])
    assert in_place[0] == in_place[1] == alone[0] == alone[1]


def test_keys_depend_on_the_seed_not_on_the_process() -> None:
    # A literal: Python's hash() is salted per process, these keys must not be.
    assert SegmentHasher(1).keys_of([b"evil.test"]).tolist() == [
        SegmentHasher(1).keys_of([b"evil.test"])[0]
    ]
    assert (
        SegmentHasher(1).keys_of([b"evil.test"])[0] != SegmentHasher(2).keys_of([b"evil.test"])[0]
    )
    assert int(SegmentHasher(1).keys_of([b"ab"])[0]) == _reference_key(1, b"ab")


def _reference_key(seed: int, text: bytes) -> int:
    hasher = SegmentHasher(seed)
    mask = (1 << 64) - 1
    raw = sum(c * pow(hasher.inverse, j, 1 << 64) for j, c in enumerate(text)) & mask
    raw ^= raw >> 31
    return (raw * 0x94D049BB133111EB) & mask


def test_batches_split_long_inputs_without_changing_keys() -> None:
    values = [f"host{i}.example".encode() for i in range(120000)]  # > 1 MiB joined
    keys = SegmentHasher(3).keys_of(values)
    assert len(keys) == len(values) and len(set(keys.tolist())) == len(values)
    assert keys[100000] == SegmentHasher(3).keys_of([values[100000]])[0]


def test_top_bits_of_structured_text_are_spread() -> None:
    texts = [f"{a}.{b}.{c}.".encode() for a in range(10, 14) for b in range(256) for c in range(64)]
    top = SegmentHasher(9).keys_of(texts) >> np.uint64(44)  # 2**20 buckets, as a filter uses
    random_buckets = 2**20 * (1 - (1 - 2**-20) ** len(texts))  # expected for random keys
    assert len(np.unique(top)) > 0.98 * random_buckets


def test_ip_keys_are_a_bijection() -> None:
    values = np.arange(100000, dtype=np.uint64)
    assert len(np.unique(ipv4_keys(values))) == len(values)
    assert len(np.unique(mix64(values))) == len(values)


def test_power_tables_grow_with_headroom_and_keys_stay_the_same() -> None:
    hasher = SegmentHasher(4)
    line = b"a.evil.test\n" * 1000
    first = hasher.keys_of([line[:-1]])
    grown = len(hasher._down)
    assert grown > len(line)  # headroom: a slightly longer chunk reuses the tables
    hasher.prefix(np.frombuffer(line + b"x", dtype=np.uint8))
    assert len(hasher._down) == grown
    assert hasher.keys_of([line[:-1]])[0] == first[0] == SegmentHasher(4).keys_of([line[:-1]])[0]
