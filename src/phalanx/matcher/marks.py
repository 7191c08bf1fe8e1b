"""Marks: where the newlines, dots and special bytes of a buffer are. PURE.

A few comparisons and one ``flatnonzero`` on a bool array (several times faster than on
uint8) find them all; the scanners then work on these positions instead of on bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phalanx.matcher.keytable import IntArray

_Bool = npt.NDArray[np.bool_]
_U8 = npt.NDArray[np.uint8]
# Mark codes (order matters: > DOT sends a plain line to the slow path, >= COLON a URL).
NEWLINE, DOT, SLASH, QUERY, BENIGN, COLON, OTHER = 0, 1, 2, 3, 4, 5, 6
_URL_BENIGN = b"=&+;,!*'()$~[]"  # harmless in a URL's path or query


def _codes() -> npt.NDArray[np.uint8]:
    """Return the code of each byte value, as a mark."""
    codes = np.full(256, OTHER, dtype=np.uint8)
    for char, code in ((10, NEWLINE), (46, DOT), (47, SLASH), (58, COLON), (63, QUERY)):
        codes[char] = code
    for char in _URL_BENIGN:
        codes[char] = BENIGN
    return codes


CODES = _codes()


@dataclass(slots=True)
class Marks:
    """Positions of newlines, dots and special bytes, and where each line's marks are."""

    buf: _U8
    positions: IntArray  # byte offset of each mark
    codes: _U8  # NEWLINE, DOT, SLASH...
    first: IntArray  # per line: index of its first mark
    last: IntArray  # per line: index of its newline mark


def find_marks(data: bytes) -> Marks:
    """Return the marks of ``data`` (which must end with a newline)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    positions = np.flatnonzero(~_plain(buf))
    codes = CODES[buf[positions]]
    last = np.flatnonzero(codes == NEWLINE)
    first = np.empty_like(last)
    first[:1] = 0
    first[1:] = last[:-1] + 1
    return Marks(buf, positions, codes, first, last)


def _plain(buf: _U8) -> _Bool:
    """Flag the bytes of ``[A-Za-z0-9_-]`` (everything else is a mark).

    A handful of SIMD comparisons on uint8 (wrapping below "a" and "0") beat a
    ``bytes.translate`` table by about a third here.
    """
    plain = (buf | np.uint8(32)) - np.uint8(97) <= 25
    plain |= buf - np.uint8(48) <= 9
    plain |= buf == 45
    plain |= buf == 95
    return plain


def line_marks(marks: Marks, lines: IntArray) -> tuple[IntArray, IntArray]:
    """Return the indices of every mark of ``lines`` (newlines included), and where each
    line's marks start in that list: work on a few special lines without touching the rest."""
    sizes = marks.last[lines] - marks.first[lines] + 1
    starts = np.cumsum(sizes) - sizes
    indices = np.arange(int(sizes.sum())) - np.repeat(starts - marks.first[lines], sizes)
    return indices, starts


def count_per_line(flags: _Bool, starts: IntArray) -> IntArray:
    """Return how many of ``flags`` are set in each run beginning at ``starts``."""
    if not len(starts):
        return np.zeros(0, dtype=np.intp)
    return np.add.reduceat(flags.astype(np.intp), starts)
