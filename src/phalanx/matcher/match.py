"""Match observations against a :class:`MatchIndex`. PURE (bytes and values in, matches out).

Two entry points share one engine:

- :meth:`Matcher.match_text` takes a buffer of lines (one observation per line, prose lines
  mined for IOCs) — the hot path: lines are scanned, hashed and looked up with numpy
  (``tokens.py``), and only lines that are not plain tokens go through Python (``probes.py``);
- :meth:`Matcher.match_batch` takes :class:`Observation` values from the log readers, joins
  them into the same kind of buffer and runs the same engine, honouring kind hints.

Every fast-path hit is re-checked against the rules in ``probes.py`` before it is reported.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Literal

import numpy as np

from phalanx.errors import PhalanxError
from phalanx.matcher.fast import match_fast
from phalanx.matcher.index import MatchIndex
from phalanx.matcher.ipv6 import match_ipv6
from phalanx.matcher.keytable import IntArray
from phalanx.matcher.model import (
    LogProblem,
    Match,
    Observation,
)
from phalanx.matcher.probes import Probes, add_value
from phalanx.matcher.resolve import UrlNormaliser, resolve
from phalanx.matcher.tokens import Scan, scan
from phalanx.observables.kinds import ObservableType as T

_IP_LIKE = frozenset({None, T.DOMAIN, T.IPV4, T.IPV6, T.CIDR})


def load_url_normaliser() -> UrlNormaliser | None:
    """Return the full URL normaliser (``phalanx.observables.normalize``), or None if absent."""
    try:
        from phalanx.observables.normalize import normalize  # optional, loaded on first use
    except ImportError:
        return None

    def normalise(value: str) -> str | None:
        try:
            return normalize(value, T.URL).value
        except (PhalanxError, ValueError):
            return None

    return normalise


@dataclass(slots=True)
class BatchResult:
    """Matches from one buffer or batch, with what was looked at and what could not be read."""

    matches: list[Match]
    observations: int
    lines: int = 0
    problems: list[LogProblem] = field(default_factory=list)


class Matcher:
    """Matches buffers and observation batches against one index."""

    def __init__(
        self, index: MatchIndex, *, url_normaliser: UrlNormaliser | Literal["auto"] | None = "auto"
    ) -> None:
        self.index = index
        self._normaliser = load_url_normaliser() if url_normaliser == "auto" else url_normaliser

    def match_text(self, data: bytes, first_line: int = 1) -> BatchResult:
        """Match a buffer of lines; line ``i`` of ``data`` is reported as ``first_line + i``."""
        if not data.endswith(b"\n"):
            data += b"\n"
        lines = scan(data, top_level=self.index.tld_domains)
        hits = match_fast(self.index, lines, None)
        six, fallback = match_ipv6(self.index, lines, lines.ipv6)
        hits += six
        observations = int(np.count_nonzero(lines.fast)) + len(lines.ipv6) - len(fallback)
        probes, problems = Probes(), []
        _add_ipv6_lines(lines, fallback, probes, None)
        slow = lines.slow
        for line, start, end in zip(
            slow.tolist(), lines.starts[slow].tolist(), lines.ends[slow].tolist(), strict=True
        ):
            raw = lines.data[start:end]
            try:
                add_value(probes, line, raw.decode(), None)
            except UnicodeDecodeError as error:
                reason = f"not UTF-8 ({error.reason} at byte {error.start})"
                problems.append(LogProblem(first_line + line, reason))
        resolve(self.index, probes, hits, self._normaliser)
        hits.sort(key=itemgetter(0))  # stable: a line's hits keep their order
        matches = [Match(first_line + t, None, o, r, k, v, h) for t, o, r, k, v, h in hits]
        return BatchResult(matches, observations + len(probes.observed), len(lines.ends), problems)

    def match_batch(self, observations: Sequence[Observation]) -> BatchResult:
        """Match log observations (kind hints honoured)."""
        if not observations:
            return BatchResult([], 0)
        data = "\n".join([o.value.replace("\n", " ").replace("\r", " ") for o in observations])
        lines = scan(data.encode() + b"\n", top_level=self.index.tld_domains)
        hints = [o.kind_hint for o in observations]
        _force_slow(lines, _misfits(lines, hints))
        hits = match_fast(self.index, lines, hints)
        ip_like = np.array([hint in _IP_LIKE for hint in hints], dtype=np.bool_)[lines.ipv6]
        six, fallback = match_ipv6(self.index, lines, lines.ipv6[ip_like])
        hits += six
        fallback = np.concatenate([fallback, lines.ipv6[~ip_like]])
        count = int(np.count_nonzero(lines.fast)) + len(lines.ipv6) - len(fallback)
        probes = Probes()
        _add_ipv6_lines(lines, fallback, probes, hints)
        for token in lines.slow.tolist():
            add_value(probes, token, observations[token].value, hints[token])
        resolve(self.index, probes, hits, self._normaliser)
        matches = []
        for token, observed, ref, kind, value, how in sorted(hits, key=itemgetter(0)):
            seen = observations[token]
            matches.append(Match(seen.line, seen.field, observed, ref, kind, value, how, seen.ts))
        return BatchResult(matches, count + len(probes.observed), len(observations))


def _add_ipv6_lines(
    lines: Scan, shaped: IntArray, probes: Probes, hints: list[T | None] | None
) -> None:
    """Queue IPv6-shaped lines the vectorised parser left (dotted tails, mapped, odd hints)."""
    data = lines.data
    for line, start, end in zip(
        shaped.tolist(), lines.starts[shaped].tolist(), lines.ends[shaped].tolist(), strict=True
    ):
        text = data[start:end].decode()
        if hints and hints[line] not in _IP_LIKE:
            add_value(probes, line, text, hints[line])
            continue
        try:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        except OSError:
            continue  # "12:30:45" and friends
        if number >> 32 == 0xFFFF:  # ::ffff:a.b.c.d is IPv4: let the general path say so
            add_value(probes, line, text, None)
            continue
        probes.ip(probes.origin(line, text), number, True, None)


def _misfits(lines: Scan, hints: list[T | None]) -> list[int]:
    """Return hinted tokens whose fast-path reading disagrees with their hint."""
    urls = set(lines.url_lines.tolist())
    return [
        token
        for token, hint in enumerate(hints)
        if hint is not None
        and ((token in urls) != (hint is T.URL) or hint is T.EMAIL)
        and lines.fast[token]
    ]


def _force_slow(lines: Scan, tokens: list[int]) -> None:
    """Move tokens from the fast path to the slow path (their probes are dropped)."""
    if not tokens:
        return
    lines.fast[tokens] = False
    lines.slow = np.union1d(lines.slow, np.array(tokens, dtype=np.intp))
    fast = lines.fast
    keep = fast[lines.key_lines]
    for name in ("key_lines", "key_starts", "key_ends", "key_kinds"):
        setattr(lines, name, getattr(lines, name)[keep])
    keep = fast[lines.suffix_lines]
    for name in ("suffix_lines", "suffix_starts", "suffix_ends"):
        setattr(lines, name, getattr(lines, name)[keep])
    keep = fast[lines.quad_lines]
    for name in ("quad_lines", "quad_starts", "quad_ends", "quad_prefix_ends", "quad_hosts"):
        setattr(lines, name, getattr(lines, name)[keep])
    keep = fast[lines.url_lines]
    for name in ("url_lines", "url_host_starts", "url_host_ends"):
        setattr(lines, name, getattr(lines, name)[keep])


def match_lines(
    index: MatchIndex,
    lines: Iterable[bytes | str],
    *,
    first_line: int = 1,
    batch: int = 65536,
    url_normaliser: UrlNormaliser | Literal["auto"] | None = "auto",
) -> Iterator[Match]:
    """Yield the matches of ``lines`` (one observation per line), in line order."""
    matcher = Matcher(index, url_normaliser=url_normaliser)
    iterator = iter(lines)
    while chunk := list(islice(iterator, batch)):
        encoded = [line.encode() if isinstance(line, str) else line for line in chunk]
        data = b"\n".join(part.replace(b"\n", b" ") for part in encoded) + b"\n"
        yield from matcher.match_text(data, first_line).matches
        first_line += len(chunk)


def match_observations(
    index: MatchIndex,
    observations: Iterable[Observation],
    *,
    batch: int = 8192,
    url_normaliser: UrlNormaliser | Literal["auto"] | None = "auto",
) -> Iterator[Match]:
    """Yield the matches of log observations, batch by batch."""
    matcher = Matcher(index, url_normaliser=url_normaliser)
    iterator = iter(observations)
    while chunk := list(islice(iterator, batch)):
        yield from matcher.match_batch(chunk).matches
