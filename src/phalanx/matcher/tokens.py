"""Vectorised scan of a buffer of newline-separated tokens. PURE.

The fast path covers plain tokens (domains, hex hashes, dotted IPv4 addresses, and junk that
matches nothing) and plain URLs (``urls.py``). The scan returns what the lookups need and
nothing more, because almost no line matches and every hit is re-checked before it is
reported. It produces three kinds of probes, each tied to its line and its "how":

- keys: whole segments to look up exactly (the line; a URL; a URL's host);
- suffixes: every segment after a dot of a DNS name, up to the name's end (parent domains).
  Only names whose last label starts with a letter get them (RFC 1123 2.1), so addresses
  and hashes do not;
- quads: dotted-quad-shaped segments, with the ends of their ``"a."``, ``"a.b."`` and
  ``"a.b.c."`` prefixes, for the CIDR pre-filter (``quads.py``).

Lines shaped like IPv6 addresses are listed for a batch parse. Other lines with special bytes
(whitespace, ``:``, ``@``, ``/``, ``%``, non-ASCII...) or ending with a dot go to the slow path
(``probes.py``) unless they are plain URLs. A dotted quad with a zero-padded octet (``010``)
is not an IPv4 address (spec-notes 6.4: ambiguous), so it needs no special care: its text
matches no canonical key and no CIDR prefix.

Numpy notes that shape this module: one ``translate`` and one ``flatnonzero`` on a bool view
find every newline, dot and special byte ("marks") at once; everything per line is then
derived from the positions of the marks, never by reducing over bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phalanx.matcher.keytable import IntArray
from phalanx.matcher.marks import COLON, DOT, Marks, count_per_line, find_marks, line_marks
from phalanx.matcher.urls import scan_urls

_Bool = npt.NDArray[np.bool_]
_U8 = npt.NDArray[np.uint8]
KEY_LINE, KEY_URL, KEY_HOST = 0, 1, 2  # what a key probe is


@dataclass(slots=True)
class Scan:
    """What the lookups need from one buffer (positions are offsets into ``data``)."""

    data: bytes  # the scanned bytes (CRLF folded to LF)
    marks: Marks
    starts: IntArray
    ends: IntArray
    fast: _Bool  # non-empty line handled here
    slow: IntArray  # line numbers for the Python path
    ipv6: IntArray  # lines shaped like IPv6 addresses (parsed in a batch by match.py)
    key_lines: IntArray
    key_starts: IntArray
    key_ends: IntArray
    key_kinds: _U8  # KEY_LINE, KEY_URL, KEY_HOST
    suffix_lines: IntArray
    suffix_starts: IntArray
    suffix_ends: IntArray  # the end of the name the suffix belongs to
    quad_lines: IntArray
    quad_starts: IntArray
    quad_ends: IntArray
    quad_prefix_ends: IntArray  # n x 3
    quad_hosts: _Bool  # the quad is a URL's host
    url_lines: IntArray
    url_host_starts: IntArray
    url_host_ends: IntArray


def scan(data: bytes, *, top_level: bool = True) -> Scan:
    """Return the scan of ``data``, which must end with a newline.

    ``top_level=False`` leaves out the top-level-domain suffixes (``com`` of ``a.evil.com``):
    only needed when some indicator is a bare TLD.
    """
    if data.find(b"\r") >= 0:
        data = data.replace(b"\r\n", b"\n")  # a lone CR stays and makes its line slow
    marks = find_marks(data)
    buf, positions = marks.buf, marks.positions
    ends = positions[marks.last]
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    slow = np.zeros(len(ends), dtype=np.bool_)
    specials = np.cumsum(marks.codes > DOT)  # a line is special if it has a special mark
    slow[specials[marks.last] != np.where(marks.first > 0, specials[marks.first - 1], 0)] = True
    slow |= (lengths > 0) & (buf[ends - 1] == 46)  # "evil.test." goes the careful way
    plain = np.flatnonzero((lengths > 0) & ~slow)
    special = np.flatnonzero(slow)
    urls = scan_urls(marks, starts, ends, special)
    slow[urls.lines] = False
    ipv6 = _ipv6_shaped(marks, np.flatnonzero(slow))  # special lines that are not URLs
    slow[ipv6] = False
    fast = np.zeros(len(ends), dtype=np.bool_)
    fast[plain] = True
    fast[urls.lines] = True
    names = Names(
        np.concatenate([plain, urls.lines]),
        np.concatenate([starts[plain], urls.host_starts]),
        np.concatenate([ends[plain], urls.host_ends]),
        np.concatenate([marks.first[plain], urls.host_first]),
        np.concatenate([marks.last[plain], urls.host_last]),
        np.repeat([False, True], [len(plain), len(urls.lines)]),
    )
    key_kinds = np.repeat(
        np.array([KEY_LINE, KEY_URL, KEY_HOST], dtype=np.uint8),
        [len(plain), len(urls.lines), len(urls.lines)],
    )
    dots, tld = _last_labels(marks, names)
    suffix_lines, suffix_starts, suffix_ends = _suffixes(marks, names, dots, tld, top_level)
    quad_lines, quad_starts, quad_ends, quad_prefix_ends, quad_hosts = _quads(
        marks, names, dots, tld
    )
    return Scan(
        data, marks, starts, ends, fast, np.flatnonzero(slow), ipv6,
        np.concatenate([plain, urls.lines, urls.lines]),
        np.concatenate([starts[plain], starts[urls.lines], urls.host_starts]),
        np.concatenate([ends[plain], ends[urls.lines], urls.host_ends]),
        key_kinds, suffix_lines, suffix_starts, suffix_ends,
        quad_lines, quad_starts, quad_ends, quad_prefix_ends, quad_hosts,
        urls.lines, urls.host_starts, urls.host_ends,
    )  # fmt: skip


@dataclass(slots=True)
class Names:
    """Name-like segments (plain lines, then URL hosts) and the mark range of their dots."""

    lines: IntArray
    starts: IntArray
    ends: IntArray
    first: IntArray  # index of the first mark inside the segment
    stop: IntArray  # index just past the segment's last dot mark
    hosts: _Bool  # the segment is a URL's host


def _last_labels(marks: Marks, names: Names) -> tuple[IntArray, _U8]:
    """Return each name's dot count and the first byte of its last label."""
    dots = names.stop - names.first
    after_dot = marks.positions[np.maximum(names.stop - 1, 0)] + 1
    return dots, marks.buf[np.where(dots > 0, after_dot, names.starts)]


def _suffixes(
    marks: Marks, names: Names, dots: IntArray, tld: _U8, top_level: bool
) -> tuple[IntArray, IntArray, IntArray]:
    """Return the parent-domain probes (lines, starts, ends): after every dot of a name
    whose last label starts with a letter (but the last dot unless ``top_level``)."""
    letter = (tld | 32) - np.uint8(97) <= 25  # wraps below "a"
    counts = np.where((dots > 0) & letter, dots if top_level else dots - 1, 0)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    dot_marks = np.arange(len(offsets)) - offsets + np.repeat(names.first, counts)
    return (
        np.repeat(names.lines, counts),
        marks.positions[dot_marks] + 1,
        np.repeat(names.ends, counts),
    )


def _quads(
    marks: Marks, names: Names, dots: IntArray, tld: _U8
) -> tuple[IntArray, IntArray, IntArray, IntArray, _Bool]:
    """Return the dotted-quad-shaped names (three dots, 7-15 bytes, last label starting
    with a digit): lines, starts, ends, the ends of their three prefixes (n x 3), and
    whether each is a URL's host."""
    lengths = names.ends - names.starts
    shaped = (dots == 3) & (lengths >= 7) & (lengths <= 15) & (tld - np.uint8(48) <= 9)
    rows = np.flatnonzero(shaped)
    first = names.first[rows]
    prefix_ends = np.empty((len(rows), 3), dtype=np.intp)
    for k in range(3):
        np.add(marks.positions.take(first + k), 1, out=prefix_ends[:, k])
    return names.lines[rows], names.starts[rows], names.ends[rows], prefix_ends, names.hosts[rows]


def _ipv6_shaped(marks: Marks, candidates: IntArray) -> IntArray:
    """Return the lines among ``candidates`` whose only marks are two or more colons (dots)."""
    indices, runs = line_marks(marks, candidates)
    codes = marks.codes[indices]
    colons = count_per_line(codes == COLON, runs)
    others = count_per_line((codes > DOT) & (codes != COLON), runs)
    shaped: IntArray = candidates[(colons >= 2) & (others == 0)]
    return shaped


def parse_quads(
    data: bytes, starts: IntArray, ends: IntArray, prefix_ends: IntArray
) -> tuple[npt.NDArray[np.uint64], _Bool]:
    """Parse dotted-quad-shaped segments: (values, valid) where valid means 4 octets <= 255
    written without leading zeros.

    Works on flat arrays of 4 octets per segment (numpy reductions over a tiny axis are
    slow), reading "all four octets are fine" by viewing four bools as one uint32.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    octet_ends = np.empty((len(starts), 4), dtype=np.intp)
    octet_ends[:, :3] = prefix_ends - 1
    octet_ends[:, 3] = ends
    octet_starts = np.empty_like(octet_ends)
    octet_starts[:, 0] = starts
    octet_starts[:, 1:] = prefix_ends
    last = octet_ends.ravel() - 1
    width = last - octet_starts.ravel() + 1
    ones, tens, hundreds = (buf[last - k] - np.uint8(48) for k in range(3))  # wraps: not digit
    two, three = width >= 2, width >= 3
    ok = (width >= 1) & (width <= 3) & (ones <= 9) & ((tens <= 9) | ~two)
    ok &= (hundreds <= 9) | ~three
    ok &= ~((two & ~three & (tens == 0)) | (three & (hundreds == 0)))  # "010" is not an octet
    octets = ones + np.uint16(10) * tens * two + np.uint16(100) * hundreds * three
    ok &= octets <= 255
    octets = octets.astype(np.uint64).reshape(-1, 4)
    values = (octets[:, 0] << np.uint64(24)) | (octets[:, 1] << np.uint64(16))
    values |= (octets[:, 2] << np.uint64(8)) | octets[:, 3]
    return values, ok.view(np.uint32) == 0x01010101
