"""Stable 64-bit keys for observable values, computed for whole buffers at once. PURE.

Text keys are polynomial hashes over bytes, ``h = sum(c[j] * B**-(j - start)) mod 2**64`` with
an odd base ``B`` drawn per index (the seed is stored in the index file, so keys are stable
across processes, unlike Python's salted ``hash()``). Because the hash of any segment follows
from one prefix-sum array, a chunk of log lines is hashed with three numpy passes and then
every line, every parent-domain suffix and every URL host costs O(1) vectorised work.

IP keys are a bijective mix of the address (and prefix length), so two addresses never share
a key. A text key and an IP key collide with probability 2**-64 per pair; the index stores
keys, not values, so such a collision would surface as a false match (about 5e-7 expected
over 10**7 observations against 10**6 indicators).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
MASK64 = (1 << 64) - 1
BATCH_BYTES = 1 << 18  # keeps the power tables (16 B per byte) and prefix sums cache-sized
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TAG4 = np.uint64(0x4A7E_0000_0000_0000)
_TAG6 = np.uint64(0x6B1D_5EED_0000_0000)


def mix64(x: U64) -> U64:
    """Return the splitmix64 finaliser of each element (a bijection on 64-bit integers)."""
    x = x ^ (x >> _S30)
    x *= _C1
    x ^= x >> _S27
    x *= _C2
    x ^= x >> _S31
    return x


def ipv4_keys(addresses: U64) -> U64:
    """Return the table keys of IPv4 addresses given as integers."""
    return mix64(addresses ^ _TAG4)


def ipv6_keys(high: U64, low: U64, prefix_len: int) -> U64:
    """Return the table keys of IPv6 prefixes of one length (high/low 64-bit halves, masked)."""
    tag = _TAG6 ^ np.uint64(prefix_len)
    return mix64(mix64(high ^ tag) ^ low)


class SegmentHasher:
    """Polynomial hashes of byte segments; holds the power tables for one base (one index)."""

    def __init__(self, seed: int) -> None:
        base = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & MASK64
        self.seed = seed & MASK64
        self.base = base | 1  # odd, so invertible modulo 2**64
        self.inverse = pow(self.base, -1, 1 << 64)
        self._down = np.ones(1, dtype=np.uint64)  # B**-j
        self._up = np.ones(1, dtype=np.uint64)  # B**j

    def _powers(self, size: int) -> None:
        """Grow the power tables to at least ``size`` entries.

        They grow by an eighth more than asked: chunks of whole lines differ in length by a
        few bytes, and growing to the exact size would copy both tables on every chunk that
        is a little longer than all before it.
        """
        down, up = self._down, self._up
        if len(down) >= size:
            return
        size += size >> 3
        while len(down) < size:
            n, step = len(down), min(len(down), size - len(down))
            down = np.concatenate([down, down[:step] * np.uint64(pow(self.inverse, n, 1 << 64))])
            up = np.concatenate([up, up[:step] * np.uint64(pow(self.base, n, 1 << 64))])
        self._down, self._up = down, up

    def prefix(self, buf: npt.NDArray[np.uint8]) -> U64:
        """Return S with S[0] = 0 and S[i + 1] = sum(buf[j] * B**-j for j <= i)."""
        n = len(buf)
        self._powers(n + 1)
        out = np.empty(n + 1, dtype=np.uint64)
        out[0] = 0
        np.multiply(buf, self._down[:n], out=out[1:])
        np.cumsum(out[1:], out=out[1:])
        return out

    def segments(
        self, prefix: U64, starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]
    ) -> U64:
        """Return the keys of segments ``[starts[i], ends[i])`` of the buffer behind ``prefix``.

        A light finaliser (one xor-shift, one multiply) spreads the low bits of the polynomial
        into the top bits that the filters index; without it, structured text such as
        dotted-quad prefixes fills the filters unevenly. Text never holds NUL bytes, so no
        length term is needed.
        """
        keys = prefix.take(ends)
        keys -= prefix.take(starts)
        keys *= self._up.take(starts)
        keys ^= keys >> _S31
        keys *= _C2
        return keys

    def keys_of(self, values: list[bytes]) -> U64:
        """Return the keys of whole values, hashed in batches of about ``BATCH_BYTES``."""
        lengths = np.fromiter(map(len, values), dtype=np.intp, count=len(values))
        ends = np.cumsum(lengths + 1)
        cuts = np.searchsorted(
            ends, np.arange(BATCH_BYTES, int(ends[-1]) if len(ends) else 0, BATCH_BYTES)
        )
        parts = []
        for first, last in zip([0, *cuts.tolist()], [*cuts.tolist(), len(values)], strict=True):
            if last > first:
                buf = np.frombuffer(b"\n".join(values[first:last]), dtype=np.uint8)
                stop = ends[first:last] - (ends[first] - lengths[first])
                parts.append(self.segments(self.prefix(buf), stop - lengths[first:last], stop))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
