"""CIDR containment over one address width: elementary intervals plus a nesting forest. PURE.

The CIDRs cut the address line into elementary intervals; each interval remembers its
innermost covering CIDR and each CIDR its parent (the smallest CIDR strictly containing it),
so a lookup is one ``searchsorted`` and the parent chain yields every nested match. A block
bitmap in front (blocks of ``2**shift`` addresses) turns away addresses far from any CIDR,
which is most of them.

IPv4 uses width 32 on the address; IPv6 uses width 64 on the high half of the address, for
prefixes up to /64 (longer IPv6 prefixes live in the key table, see ``index.py``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from phalanx.matcher.hashing import U64
from phalanx.matcher.keytable import IntArray, filter_pass, filter_shift

I32 = npt.NDArray[np.int32]
_MAX_FILTER_BITS = 22  # the build uses a temporary counter per block


class PrefixTable:
    """Unique CIDRs of one width, each with one or more refs."""

    def __init__(
        self,
        width: int,
        nets: U64,
        lengths: npt.NDArray[np.uint8],
        ref_starts: I32,
        refs: npt.NDArray[np.integer],
    ) -> None:
        self.width = width
        self.nets, self.lengths = nets, lengths
        self.ref_starts, self.refs = ref_starts, refs
        self.bounds, self.inner, self.parent = _sweep(width, nets, lengths)
        self._shift = width - min(_MAX_FILTER_BITS, width - filter_shift(len(nets), width))
        self._filter = _block_filter(width, nets, lengths, self._shift)

    @classmethod
    def from_items(
        cls, width: int, items: list[tuple[int, int, int]], ref_dtype: npt.DTypeLike
    ) -> PrefixTable:
        """Return a table of (network, prefix length, ref) items; duplicates share an entry."""
        items.sort()
        nets: list[int] = []
        lengths: list[int] = []
        starts: list[int] = []
        for position, (net, length, _) in enumerate(items):
            if not nets or nets[-1] != net or lengths[-1] != length:
                nets.append(net)
                lengths.append(length)
                starts.append(position)
        starts.append(len(items))
        return cls(
            width,
            np.array(nets, dtype=np.uint64),
            np.array(lengths, dtype=np.uint8),
            np.array(starts, dtype=np.int32),
            np.array([ref for _, _, ref in items], dtype=ref_dtype),
        )

    def __len__(self) -> int:
        return len(self.nets)

    @property
    def nbytes(self) -> int:
        """Return the bytes held by the table's arrays (filter included)."""
        arrays = (self.nets, self.lengths, self.ref_starts, self.refs)
        derived = (self.bounds, self.inner, self.parent, self._filter)
        return sum(a.nbytes for a in arrays + derived)

    def find(self, values: U64) -> tuple[IntArray, I32]:
        """Return (value positions, CIDR ids) for every CIDR containing each value."""
        if not len(self.nets) or not len(values):
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int32)
        candidates = filter_pass(self._filter, values, self._shift)
        segment = np.searchsorted(self.bounds, values[candidates], side="right") - 1
        inner = np.where(segment >= 0, self.inner[segment], -1)
        hit = inner >= 0
        positions, ids = [candidates[hit]], [inner[hit]]
        while True:  # climb to every enclosing CIDR (nesting depth <= width)
            parents = self.parent[ids[-1]]
            keep = parents >= 0
            if not keep.any():
                break
            positions.append(positions[-1][keep])
            ids.append(parents[keep])
        return np.concatenate(positions), np.concatenate(ids)

    def refs_of(self, cidr: int) -> npt.NDArray[np.integer]:
        """Return the refs of one CIDR entry."""
        return self.refs[self.ref_starts[cidr] : self.ref_starts[cidr + 1]]


def _sweep(width: int, nets: U64, lengths: npt.NDArray[np.uint8]) -> tuple[U64, I32, I32]:
    """Return elementary interval starts, their innermost CIDR, and each CIDR's parent."""
    top = 1 << width
    bounds: list[int] = []
    inner: list[int] = []
    parent = [-1] * len(nets)
    stack: list[tuple[int, int]] = []  # (exclusive end, cidr id), innermost last

    def mark(at: int, cidr: int) -> None:
        if at >= top:
            return
        if bounds and bounds[-1] == at:
            inner[-1] = cidr
        else:
            bounds.append(at)
            inner.append(cidr)

    # nets are sorted by (net, length): an enclosing CIDR always comes before what it holds
    for cidr, (net, length) in enumerate(zip(nets.tolist(), lengths.tolist(), strict=True)):
        while stack and stack[-1][0] <= net:
            end, _ = stack.pop()
            mark(end, stack[-1][1] if stack else -1)
        parent[cidr] = stack[-1][1] if stack else -1
        mark(net, cidr)
        stack.append((net + (1 << (width - length)), cidr))
    while stack:
        end, _ = stack.pop()
        mark(end, stack[-1][1] if stack else -1)
    return (
        np.array(bounds, dtype=np.uint64),
        np.array(inner, dtype=np.int32),
        np.array(parent, dtype=np.int32),
    )


def _block_filter(width: int, nets: U64, lengths: npt.NDArray[np.uint8], shift: int) -> U64:
    """Return a bitmap of the blocks of ``2**shift`` addresses that any CIDR touches."""
    blocks = 1 << (width - shift)
    counts = np.zeros(blocks + 1, dtype=np.int32)
    if len(nets):
        sizes = np.left_shift(np.uint64(1), (width - lengths.astype(np.uint64)) % np.uint64(64))
        sizes[lengths == 0] = 0  # /0 covers everything; handled below
        last = (nets + (sizes - np.uint64(1))) >> np.uint64(shift)
        last[lengths == 0] = blocks - 1
        np.add.at(counts, (nets >> np.uint64(shift)).astype(np.intp), 1)
        np.add.at(counts, last.astype(np.intp) + 1, -1)
    covered = np.cumsum(counts[:-1]) > 0
    padded = np.zeros(max(64, blocks), dtype=bool)
    padded[:blocks] = covered
    return np.packbits(padded, bitorder="little").view("<u8").astype(np.uint64)
