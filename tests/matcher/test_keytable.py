"""The key table: exact lookups with duplicates, and a filter that rejects most misses."""

from __future__ import annotations

import numpy as np

from phalanx.matcher.keytable import KeyTable, build_filter, filter_pass


def test_find_and_expand_return_every_entry_of_present_keys_only() -> None:
    keys = np.array([50, 10, 30, 30, 70], dtype=np.uint64) << np.uint64(40)
    table = KeyTable.from_unsorted(
        keys, np.zeros(5, np.uint8), np.array([5, 1, 3, 4, 7], np.uint32)
    )
    queries = np.array([30, 31, 70, 10, 0], dtype=np.uint64) << np.uint64(40)
    found, first = table.find(queries)
    rows, entries = table.expand(found, first)
    pairs = sorted(zip(rows.tolist(), table.refs[entries].tolist(), strict=True))
    assert pairs == [(0, 3), (0, 4), (2, 7), (3, 1)]


def test_the_filter_lets_few_misses_through() -> None:
    rng = np.random.default_rng(1)
    table = KeyTable.from_unsorted(
        rng.integers(0, 2**63, 50000, dtype=np.uint64) * np.uint64(2),
        np.zeros(50000, np.uint8), np.zeros(50000, np.uint32),
    )  # fmt: skip
    misses = rng.integers(0, 2**63, 100000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    passed = filter_pass(table._filter, misses, table._shift)
    assert len(passed) / len(misses) < 0.06
    assert len(table.find(misses)[0]) == 0


def test_filter_pass_reads_exactly_the_bits_the_bitmap_sets() -> None:
    rng = np.random.default_rng(5)
    shift = 64 - 12
    present = rng.integers(0, 1 << 12, 300)
    words = build_filter(present.astype(np.uint64), shift)
    values = rng.integers(0, 1 << 63, 5000, dtype=np.uint64) << np.uint64(1)
    values[:300] = present.astype(np.uint64) << np.uint64(shift)
    expected = np.flatnonzero(np.isin(values >> np.uint64(shift), present.astype(np.uint64)))
    assert np.array_equal(filter_pass(words, values, shift), expected)
