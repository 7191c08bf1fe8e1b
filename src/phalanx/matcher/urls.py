"""Vectorised recognition of plain URLs among the lines a scan found special. PURE.

A line is a plain URL when its marks read ``scheme://host/...`` and nothing in it needs more
than the cheap canonicalisation (lower-case scheme and host): no port, user info, fragment,
percent escape, whitespace or non-ASCII byte, a non-empty path that starts with ``/``, and
none of the dot/slash pairs the full normaliser would rewrite (``/./``, ``//``, ``x./``).
Such lines are matched on the fast path; every other URL goes through ``probes.add_url``,
which applies the same rules one value at a time (and the full normaliser where present).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phalanx.matcher.keytable import IntArray
from phalanx.matcher.marks import COLON, DOT, QUERY, SLASH, Marks, count_per_line, line_marks

_MAX_SCHEME = 16
# Adjacent mark pairs that the cheap canonicalisation leaves but a normaliser may rewrite.
_ODD = np.zeros(64, dtype=np.bool_)
for _left, _right in ((SLASH, DOT), (SLASH, SLASH), (DOT, SLASH), (DOT, QUERY)):
    _ODD[_left * 8 + _right] = True


@dataclass(slots=True)
class UrlLines:
    """Plain URL lines and their hosts (``host_first``/``host_last``: the host's dot marks)."""

    lines: IntArray
    host_starts: IntArray
    host_ends: IntArray
    host_first: IntArray
    host_last: IntArray


def scan_urls(marks: Marks, starts: IntArray, ends: IntArray, candidates: IntArray) -> UrlLines:
    """Return the plain URLs among ``candidates`` (lines found special by the scan)."""
    codes, positions, buf = marks.codes, marks.positions, marks.buf
    candidates = candidates[codes[marks.first[candidates]] == COLON]  # "scheme:" first
    first = marks.first[candidates]
    colon = positions[first]
    ok = first + 2 < marks.last[candidates]
    at = [np.minimum(first + k, len(codes) - 1) for k in (1, 2)]
    ok &= (codes[at[0]] == SLASH) & (codes[at[1]] == SLASH)
    ok &= (positions[at[0]] == colon + 1) & (positions[at[1]] == colon + 2)
    scheme = colon - starts[candidates]
    head = buf[starts[candidates]] | 32
    letter = head - np.uint8(97) <= 25  # wraps below "a"
    second = buf[np.minimum(starts[candidates] + 1, len(buf) - 1)]
    defanged = (head == 104) & (((second | 32) == 120) | (second == 42))  # "hxxp", "h**p"
    ok &= (scheme >= 1) & (scheme <= _MAX_SCHEME) & letter & ~defanged
    lines, first = candidates[ok], first[ok]
    indices, runs = line_marks(marks, lines)
    line_codes = codes[indices]
    ok = count_per_line(line_codes >= COLON, runs) == 1  # the scheme's colon and nothing else
    ok &= count_per_line(_odd_pairs(line_codes, positions[indices]), runs) == 1  # "://"
    stops = np.flatnonzero(line_codes > DOT)  # the host ends at the first of these after "://"
    after = np.minimum(np.searchsorted(stops, runs + 3), max(len(stops) - 1, 0))
    term = indices[stops[after]] if len(stops) else first
    ok &= (term < marks.last[lines]) & (codes[term] == SLASH)  # in the line; not "host?q"
    host_starts, host_ends = positions[first] + 3, positions[term]
    ok &= host_ends > host_starts
    return UrlLines(lines[ok], host_starts[ok], host_ends[ok], first[ok] + 3, term[ok])


def _odd_pairs(codes: np.ndarray, positions: IntArray) -> np.ndarray:
    """Flag marks that start an odd adjacent pair (``//``, ``/.``, ``./``, ``.?``)."""
    odd = np.zeros(len(codes), dtype=np.bool_)
    if len(codes) > 1:
        pairs = codes[:-1] * np.uint8(8) + codes[1:]  # codes < 8: fits in a byte
        odd[:-1] = _ODD[pairs] & (positions[1:] == positions[:-1] + 1)
    return odd
