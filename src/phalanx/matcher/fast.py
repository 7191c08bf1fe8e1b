"""The vectorised half of matching: look up a scan's probes and verify the hits. PURE.

Everything up to the hits is numpy; hits (about 1% of lines) are then checked one by one in
Python against the rules of ``probes.py`` and turned into plain tuples. Hit handling reads
its arrays through ``tolist()`` first: touching numpy scalars one at a time costs a few
hundred nanoseconds each, which at 1% hits would be a fifth of the whole budget.
"""

from __future__ import annotations

import re
import socket
import struct

import numpy as np
import numpy.typing as npt

from phalanx.matcher.hashing import U64
from phalanx.matcher.index import KINDS, MatchIndex
from phalanx.matcher.keytable import IntArray
from phalanx.matcher.model import CIDR, EXACT, PARENT_DOMAIN, URL_HOST
from phalanx.matcher.probes import DOMAIN_RE
from phalanx.matcher.resolve import Hit
from phalanx.matcher.tokens import KEY_HOST, KEY_URL, Scan, parse_quads
from phalanx.observables.kinds import HASH_TYPES
from phalanx.observables.kinds import ObservableType as T

_IPISH = frozenset({T.IPV4, T.CIDR})
# Indicator kinds a fast-path line may hit, by the kind hint of its value.
ALLOWED: dict[T | None, frozenset[T]] = {
    None: frozenset(KINDS),
    T.DOMAIN: frozenset({T.DOMAIN, T.IPV4, T.CIDR}),
    T.URL: frozenset({T.URL, T.DOMAIN, T.IPV4, T.CIDR}),
    T.IPV4: _IPISH, T.IPV6: _IPISH, T.CIDR: _IPISH,
    **{kind: frozenset(HASH_TYPES) for kind in HASH_TYPES},
}  # fmt: skip
_BY_PROBE = {  # what each key probe may hit
    KEY_URL: frozenset({T.URL}),
    KEY_HOST: frozenset({T.DOMAIN, T.IPV4}),
}
_PLAIN = frozenset(KINDS) - {T.URL}
_NOTHING: frozenset[T] = frozenset()


def match_fast(index: MatchIndex, lines: Scan, hints: list[T | None] | None) -> list[Hit]:
    """Return the verified hits of the scan's fast-path probes."""
    text, canonical = canonical_text(lines)
    prefix = index.hasher.prefix(text)
    keys = index.hasher.segments(prefix, lines.key_starts, lines.key_ends)
    parents = index.hasher.segments(prefix, lines.suffix_starts, lines.suffix_ends)
    queries, positions = index.keys.find(np.concatenate([keys, parents]))
    hits: list[Hit] = []
    if len(queries):
        queries, entries = index.keys.expand(queries, positions)
        _key_hits(index, lines, canonical, hints, queries, entries, len(keys), hits)
    if index.quads.count and len(lines.quad_lines):
        _cidr_hits(index, lines, prefix, hints, hits)
    return hits


def _key_hits(
    index: MatchIndex, lines: Scan, canonical: bytes, hints: list[T | None] | None,
    queries: IntArray, entries: IntArray, key_count: int, hits: list[Hit],
) -> None:  # fmt: skip
    """Verify key-table hits of key probes and suffix probes; append them to ``hits``."""
    suffix = queries >= key_count
    key_rows, suffix_rows = queries[~suffix], queries[suffix] - key_count
    probe_lines = np.concatenate([lines.key_lines[key_rows], lines.suffix_lines[suffix_rows]])
    probe_kinds = np.concatenate([lines.key_kinds[key_rows], np.full(len(suffix_rows), -1)])
    starts = np.concatenate([lines.key_starts[key_rows], lines.suffix_starts[suffix_rows]])
    ends = np.concatenate([lines.key_ends[key_rows], lines.suffix_ends[suffix_rows]])
    entries = np.concatenate([entries[~suffix], entries[suffix]])
    line_starts = lines.starts[probe_lines]
    in_host, host_starts = _hosts_of(lines, probe_lines, probe_kinds == -1)
    # the name a suffix is a parent of starts at the URL's host, or at the line
    name_starts = np.where(probe_kinds == -1, np.where(in_host, host_starts, line_starts), starts)
    rows = zip(
        probe_lines.tolist(), probe_kinds.tolist(), starts.tolist(), ends.tolist(),
        index.keys.kinds[entries].tolist(), index.keys.refs[entries].tolist(),
        line_starts.tolist(), lines.ends[probe_lines].tolist(), name_starts.tolist(),
        in_host.tolist(), strict=True,
    )  # fmt: skip
    data, is_name = lines.data, _DOMAIN_B.fullmatch
    for line, probe, start, end, code, ref, line_start, line_end, name_start, host in rows:
        kind = KINDS[code]
        if probe == -1:  # a parent domain (of the line, or of a URL's host)
            if kind is not T.DOMAIN:
                continue
            how = URL_HOST if host else PARENT_DOMAIN
        else:
            if kind not in _BY_PROBE.get(probe, _PLAIN):
                continue
            how = URL_HOST if probe == KEY_HOST else EXACT
        if hints and kind not in ALLOWED.get(hints[line], _NOTHING):
            continue
        if kind is T.DOMAIN and how != EXACT and not is_name(canonical, name_start, end):
            continue  # a suffix of something that is not a domain name
        value = canonical[start:end].decode("ascii")
        hits.append((line, data[line_start:line_end].decode("ascii"), ref, kind, value, how))


# DOMAIN_RE on the canonical bytes (ASCII here), so a hit needs no decode to be checked
_DOMAIN_B = re.compile(DOMAIN_RE.pattern.encode())


def _cidr_hits(
    index: MatchIndex, lines: Scan, prefix: U64, hints: list[T | None] | None, hits: list[Hit]
) -> None:
    """Parse the dotted quads that pass the quad filter; look them up in the CIDR table."""
    passed = []
    for depth, wanted in enumerate(index.quads.depths):
        if wanted:
            ends = lines.quad_prefix_ends[:, depth]
            passed.append(
                index.quads.passes(index.hasher.segments(prefix, lines.quad_starts, ends))
            )
    rows = np.unique(np.concatenate(passed)) if len(passed) > 1 else passed[0]
    values, valid = parse_quads(
        lines.data, lines.quad_starts[rows], lines.quad_ends[rows], lines.quad_prefix_ends[rows]
    )
    rows, values = rows[valid], values[valid]
    positions, cidrs = index.cidr4.find(values)
    if not len(positions):
        return
    table = index.cidr4
    counts = table.ref_starts[cidrs + 1] - table.ref_starts[cidrs]
    refs = table.refs[np.repeat(table.ref_starts[cidrs], counts) + _ranks(counts)]
    positions, cidrs = np.repeat(positions, counts), np.repeat(cidrs, counts)
    rows = rows[positions]
    quad_lines = lines.quad_lines[rows]
    lengths = table.lengths[cidrs]
    # the network of each hit, masked here rather than one Python int at a time
    networks = values[positions] & (_MASK32 << (32 - lengths.astype(np.uint64)))
    found = zip(
        quad_lines.tolist(), lines.quad_hosts[rows].tolist(), networks.tolist(),
        lengths.tolist(), refs.tolist(),
        lines.starts[quad_lines].tolist(), lines.ends[quad_lines].tolist(), strict=True,
    )  # fmt: skip
    data, ntoa, pack = lines.data, socket.inet_ntoa, _U32.pack
    for line, host, network, length, ref, start, end in found:
        if hints and T.CIDR not in ALLOWED.get(hints[line], _NOTHING):
            continue
        text = ntoa(pack(network)) if length == 32 else f"{ntoa(pack(network))}/{length}"
        hits.append((line, data[start:end].decode(), ref, T.CIDR, text, URL_HOST if host else CIDR))


_MASK32 = np.uint64(0xFFFFFFFF)
_U32 = struct.Struct(">I")


def _hosts_of(lines: Scan, probe_lines: IntArray, suffixes: npt.NDArray[np.bool_]):  # type: ignore[no-untyped-def]
    """Return (suffix of a URL's host, where that host starts) for each probe."""
    if not len(lines.url_lines):
        return np.zeros(len(probe_lines), dtype=np.bool_), np.zeros(len(probe_lines), dtype=np.intp)
    row = np.minimum(np.searchsorted(lines.url_lines, probe_lines), len(lines.url_lines) - 1)
    return suffixes & (lines.url_lines[row] == probe_lines), lines.url_host_starts[row]


def _ranks(counts: IntArray) -> IntArray:
    """Return 0..count-1 for each count, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def canonical_text(lines: Scan) -> tuple[npt.NDArray[np.uint8], bytes]:
    """Return the scanned bytes lower-cased, except in URL paths, which are case-sensitive,
    as an array and as bytes (copied only when some URL path has upper-case letters)."""
    lowered = lines.data.lower()
    text = np.frombuffer(lowered, dtype=np.uint8)
    if len(lines.url_lines):
        raw = np.frombuffer(lines.data, dtype=np.uint8)
        upper = np.flatnonzero(raw - np.uint8(65) <= 25)  # A-Z (uint8 wraps below "A")
        path_starts = np.full(len(lines.ends) + 1, np.iinfo(np.intp).max, dtype=np.intp)
        path_starts[lines.url_lines] = lines.url_host_ends
        in_path = upper[upper >= path_starts[np.searchsorted(lines.ends, upper)]]
        if len(in_path):
            text = text.copy()
            text[in_path] = raw[in_path]
            lowered = text.tobytes()
    return text, lowered
