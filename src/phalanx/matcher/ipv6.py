"""Vectorised parsing and matching of IPv6-shaped lines. PURE.

A line shaped like an IPv6 address (hex digits and colons only) is parsed with numpy: its
colons cut it into groups of at most four hex digits, ``::`` shows up as one empty group
inside or two at either end, and groups left of it fill slots from 0 while groups right of
it end in slot 7. Addresses written with a dotted tail (``::ffff:1.2.3.4``), IPv4-mapped
addresses and lines that do not parse are handed back for the one-by-one path, which gives
the same answers, slowly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from phalanx.matcher.hashing import U64, ipv6_keys
from phalanx.matcher.index import KINDS, MatchIndex
from phalanx.matcher.keytable import IntArray
from phalanx.matcher.marks import COLON
from phalanx.matcher.model import CIDR, EXACT
from phalanx.matcher.resolve import Hit, network_text
from phalanx.matcher.tokens import Scan
from phalanx.observables.kinds import ObservableType as T

_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[48:58] = np.arange(10)
_HEX[97:103] = np.arange(10, 16)
_HEX[65:71] = np.arange(10, 16)
_LOW64 = (1 << 64) - 1
_Bool = npt.NDArray[np.bool_]


def match_ipv6(index: MatchIndex, lines: Scan, rows: IntArray) -> tuple[list[Hit], IntArray]:
    """Return the hits of IPv6-shaped lines ``rows``, and the lines left for the slow path."""
    high, low, parsed = parse_ipv6(lines, rows)
    fallback, rows = rows[~parsed], rows[parsed]
    high, low = high[parsed], low[parsed]
    found: list[tuple[int, int, int, T, str]] = []  # (row, address, ref, kind, how)
    positions, cidrs = index.cidr6.find(high)
    table = index.cidr6
    counts = table.ref_starts[cidrs + 1] - table.ref_starts[cidrs]
    refs = table.refs[np.repeat(table.ref_starts[cidrs], counts) + _ranks(counts)]
    positions, lengths = np.repeat(positions, counts), np.repeat(table.lengths[cidrs], counts)
    for position, length, ref in zip(
        positions.tolist(), lengths.tolist(), refs.tolist(), strict=True
    ):
        found.append((position, length, ref, T.CIDR, CIDR))
    if index.long6 and len(rows):
        # one lookup for every prefix length: the per-call cost dominates at a few thousand
        keys = [
            ipv6_keys(high, low & np.uint64((_LOW64 << (128 - length)) & _LOW64), length)
            for length in index.long6
        ]
        queries, firsts = index.keys.find(np.concatenate(keys))
        queries, entries = index.keys.expand(queries, firsts)
        kinds, refs = index.keys.kinds[entries].tolist(), index.keys.refs[entries].tolist()
        count = len(rows)
        for query, code, ref in zip(queries.tolist(), kinds, refs, strict=True):
            kind = KINDS[code]
            length = index.long6[query // count]
            found.append((query % count, length, ref, kind, EXACT if kind is T.IPV6 else CIDR))
    hits: list[Hit] = []
    data, starts, ends = lines.data, lines.starts, lines.ends
    for position, length, ref, kind, how in found:
        line = int(rows[position])
        address = (int(high[position]) << 64) | int(low[position])
        observed = data[starts[line] : ends[line]].decode()
        hits.append((line, observed, ref, kind, network_text(address, length, 128), how))
    return hits, fallback


def parse_ipv6(lines: Scan, rows: IntArray) -> tuple[U64, U64, _Bool]:
    """Return (high halves, low halves, parsed) of IPv6-shaped lines ``rows``."""
    marks = lines.marks
    first, colons = marks.first[rows], marks.last[rows] - marks.first[rows]
    groups = colons + 1
    owner = np.repeat(np.arange(len(rows)), groups)
    rank = _ranks(groups)
    end_mark = np.repeat(first, groups) + rank  # group g ends at the line's mark g
    ends = marks.positions[end_mark]
    # group g > 0 starts after mark g - 1; group 0 at the line's start (index clipped)
    starts = np.where(
        rank == 0,
        np.repeat(lines.starts[rows], groups),
        marks.positions.take(end_mark - 1, mode="clip") + 1,
    )
    sizes = ends - starts
    ok = (sizes <= 4) & ((rank == 0) | (marks.codes[end_mark - 1] == COLON))  # no dots
    value = np.zeros(len(sizes), dtype=np.uint64)
    for k in range(4):  # hex digits from the last one
        digit = _HEX[marks.buf[ends - k - 1]]
        used = sizes > k
        ok &= (digit < 16) | ~used
        value |= np.where(used, digit, 0).astype(np.uint64) << np.uint64(4 * k)
    empty = sizes == 0
    gap, gap_end = _first_and_last(owner[empty], rank[empty], len(rows))
    zeros = np.bincount(owner[empty], minlength=len(rows))
    parsed = (np.bincount(owner[~ok], minlength=len(rows)) == 0) & (colons <= 8)
    parsed &= _valid_gaps(zeros, gap, gap_end, colons)
    slots = np.where(rank < gap[owner], rank, rank + 7 - colons[owner])
    keep = ~empty & parsed[owner]
    table = np.zeros((len(rows), 8), dtype=np.uint64)
    table[owner[keep], slots[keep]] = value[keep]
    high, low = _join(table[:, :4]), _join(table[:, 4:])
    mapped = (high == 0) & ((low >> np.uint64(32)) == 0xFFFF)  # IPv4: the slow path says so
    return high, low, parsed & ~mapped


def _first_and_last(owners: IntArray, ranks: IntArray, count: int) -> tuple[IntArray, IntArray]:
    """Return per line the first and last of ``ranks`` (8 and -1 when a line has none).

    ``owners`` is sorted, so each line's entries are one run (cheaper than ``ufunc.at``).
    """
    first, last = np.full(count, 8, dtype=np.intp), np.full(count, -1, dtype=np.intp)
    if len(owners):
        starts = np.flatnonzero(np.diff(owners, prepend=-1))
        ends = np.append(starts[1:], len(owners)) - 1
        first[owners[starts]], last[owners[ends]] = ranks[starts], ranks[ends]
    return first, last


def _valid_gaps(zeros: IntArray, gap: IntArray, gap_end: IntArray, colons: IntArray) -> _Bool:
    """Whether empty groups form no ``::`` (8 groups) or exactly one, in a legal place."""
    plain = (zeros == 0) & (colons == 7)
    inner = (zeros == 1) & (gap > 0) & (gap < colons) & (colons <= 7)
    edge = (zeros == 2) & (gap_end == gap + 1) & ((gap == 0) | (gap == colons - 1))
    only = (zeros == 3) & (colons == 2)
    valid: _Bool = plain | inner | edge | only
    return valid


def _join(quarters: U64) -> U64:
    """Return four 16-bit columns joined into one 64-bit value per row."""
    joined = quarters[:, 0] << np.uint64(48)
    joined |= quarters[:, 1] << np.uint64(32)
    joined |= quarters[:, 2] << np.uint64(16)
    joined |= quarters[:, 3]
    return joined


def _ranks(counts: IntArray) -> IntArray:
    """Return 0..count-1 for each count, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
