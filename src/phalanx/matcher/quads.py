"""A text pre-filter for IPv4 CIDR containment. PURE.

An address ``a.b.c.d`` can only be inside a CIDR if its text prefix ``"a.b.c."`` (or, for
short prefixes, ``"a.b."`` / ``"a."``) is one the CIDRs cover. Those prefixes are hashed
like any other text, so the scan checks an IPv4 line with one bitmap probe on a key it gets
almost for free, and only lines that pass are parsed and searched in the prefix table.

Expansion: a CIDR of length >= 16 covers up to 256 ``/24`` prefixes, 8-15 up to 256 ``/16``
prefixes, shorter ones up to 256 ``/8`` prefixes; ``/16`` and ``/8`` prefixes are probed
only when such CIDRs exist.
"""

from __future__ import annotations

import numpy as np

from phalanx.matcher.hashing import U64, SegmentHasher
from phalanx.matcher.keytable import IntArray, build_filter, filter_pass, filter_shift
from phalanx.matcher.prefixes import PrefixTable

_BITS_SCALE = 2  # twice the key table's bits per key: fewer false passes, tiny table


class QuadFilter:
    """Which dotted-quad text prefixes any IPv4 CIDR covers."""

    def __init__(self, cidrs: PrefixTable, hasher: SegmentHasher) -> None:
        texts: list[bytes] = []
        depths = [False, False, False]  # probe "a.", "a.b.", "a.b.c."
        for net, length in zip(cidrs.nets.tolist(), cidrs.lengths.tolist(), strict=True):
            level = 2 if length >= 16 else 1 if length >= 8 else 0
            depths[level] = True
            octets = level + 1
            first = net >> (32 - 8 * octets)
            count = 1 << max(0, 8 * octets - length)
            for block in range(first, first + count):
                parts = block.to_bytes(octets, "big")
                texts.append(b"".join(b"%d." % part for part in parts))
        self.depths = tuple(depths)
        self._shift = filter_shift(len(texts) * _BITS_SCALE)
        keys = hasher.keys_of(texts)
        self._filter = build_filter(keys >> np.uint64(self._shift), self._shift)
        self.count = len(texts)

    @property
    def nbytes(self) -> int:
        """Return the bytes held by the bitmap."""
        return int(self._filter.nbytes)

    def passes(self, keys: U64) -> IntArray:
        """Return the positions of ``keys`` that may be covered by a CIDR."""
        if not self.count or not len(keys):
            return np.empty(0, dtype=np.intp)
        return filter_pass(self._filter, keys, self._shift)
