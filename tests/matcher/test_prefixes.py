"""CIDR containment: nested networks, edges, IPv4 and the high half of IPv6."""

from __future__ import annotations

import random

import numpy as np

from phalanx.matcher.prefixes import PrefixTable


def test_every_enclosing_network_is_found() -> None:
    items = [
        (0x0A000000, 8, 1),
        (0x0A010000, 16, 2),
        (0x0A010100, 24, 3),
        (0x0A010100, 24, 4),
        (0x0A010180, 25, 5),
        (0xFFFFFFFF, 32, 6),
        (0, 0, 7),
    ]
    table = PrefixTable.from_items(32, items, np.uint32)
    values = np.array([0x0A010181, 0x0A020000, 0x0B000000, 0xFFFFFFFF], dtype=np.uint64)
    positions, cidrs = table.find(values)
    found = sorted(
        (p, r)
        for p, c in zip(positions.tolist(), cidrs.tolist(), strict=True)
        for r in table.refs_of(c).tolist()
    )
    assert found == [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (0, 7),
        (1, 1),
        (1, 7),
        (2, 7),
        (3, 6),
        (3, 7),
    ]


def test_random_nested_networks_agree_with_plain_prefix_comparison() -> None:
    rng = random.Random(4)
    networks = []
    for ref in range(300):
        length = rng.randint(1, 32) if ref % 3 else rng.randint(60, 64)
        width = 64 if length > 32 else 32
        address = rng.getrandbits(width) if rng.random() < 0.5 else 0x0A000000 | rng.getrandbits(12)
        networks.append((width, address >> (width - length) << (width - length), length, ref))
    for width in (32, 64):
        items = [(n, length, ref) for w, n, length, ref in networks if w == width]
        table = PrefixTable.from_items(width, list(items), np.uint32)
        probes = [rng.getrandbits(width) for _ in range(500)] + [n for n, _, _ in items]
        positions, cidrs = table.find(np.array(probes, dtype=np.uint64))
        found = {
            (p, r)
            for p, c in zip(positions.tolist(), cidrs.tolist(), strict=True)
            for r in table.refs_of(c).tolist()
        }
        expected = {
            (p, ref)
            for p, value in enumerate(probes)
            for n, length, ref in items
            if value >> (width - length) == n >> (width - length)
        }
        assert found == expected
