"""Vectorised IPv6 parsing against ipaddress, on every written form."""

from __future__ import annotations

import ipaddress
import random

from phalanx.matcher.ipv6 import parse_ipv6
from phalanx.matcher.tokens import scan


def test_parsing_agrees_with_ipaddress_or_declines() -> None:
    rng = random.Random(11)
    values = []
    for _ in range(2000):
        bits = rng.choice((128, 64, 20, 4))
        address = ipaddress.IPv6Address((rng.getrandbits(16) << 112) | rng.getrandbits(bits))
        values.append(
            rng.choice((address.compressed, address.exploded, address.compressed.upper()))
        )
    values += ["::", "::1", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"]
    odd = [
        ":1:2:",
        "1::2::3",
        "12:30:45",
        "1:2:3:4:5:6:7:8:9",
        "abcde::1",
        "g::1",
        "1:::2",
        "::ffff:1.2.3.4",
        "::ffff:102:304",
    ]
    lines = scan(("\n".join(values + odd) + "\n").encode())
    assert len(lines.ipv6) == len(values) + len(odd)
    high, low, parsed = parse_ipv6(lines, lines.ipv6)
    for row, text in enumerate(values + odd):
        if parsed[row]:
            assert (int(high[row]) << 64) | int(low[row]) == int(ipaddress.IPv6Address(text)), text
        else:  # declined: invalid, or IPv4 in disguise (the slow path handles both)
            assert text in odd, text
    assert parsed[: len(values)].all() and not parsed[len(values) :].any()
