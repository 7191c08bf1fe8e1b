"""Resolve gathered probes (``probes.py``) against an index, in bulk. PURE."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from phalanx.matcher.hashing import ipv6_keys
from phalanx.matcher.index import KINDS, MatchIndex
from phalanx.matcher.model import CIDR, EXACT, URL_NORMALISED
from phalanx.matcher.prefixes import PrefixTable
from phalanx.matcher.probes import Probes
from phalanx.observables.kinds import ObservableType as T

# (token, observed, ref, indicator kind, indicator value, how)
Hit = tuple[int, str, int, T, str, str]
UrlNormaliser = Callable[[str], str | None]
_LOW64 = (1 << 64) - 1
# Features the cheap URL canonicalisation leaves alone but the full normaliser may change.
_UNUSUAL_URL = re.compile(r"%|\\|[^\x21-\x7e]|/\.\.?(?:[/?]|$)|(?<!:)(?<!:/)//|\.(?:[:/?]|$)")
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}")


def resolve(
    index: MatchIndex, probes: Probes, hits: list[Hit], normaliser: UrlNormaliser | None
) -> None:
    """Append the hits of every probe to ``hits``; run the URL normaliser where it may help."""
    url_origins = _resolve_texts(index, probes, probes.texts, probes.text_origin, hits)
    if probes.ips:
        _resolve_ips(index, probes, hits)
    if normaliser is None or not probes.urls:
        return
    texts: list[str] = []
    origins: list[int] = []
    for origin, value, cheap in probes.urls:
        if origin in url_origins or not _looks_unnormalised(value, cheap):
            continue
        full = normaliser(value)
        if full and full != cheap:
            texts.append(full)
            origins.append(origin)
    if texts:
        second = Probes()
        second.observed, second.tokens = probes.observed, probes.tokens
        for origin, text in zip(origins, texts, strict=True):
            second.text(origin, text, URL_NORMALISED, frozenset({T.URL}))
        _resolve_texts(index, second, second.texts, second.text_origin, hits)


def _resolve_texts(
    index: MatchIndex, probes: Probes, texts: list[str], origins: list[int], hits: list[Hit]
) -> set[int]:
    """Resolve text probes; return the origins that hit a URL indicator."""
    if not texts:
        return set()
    queries, positions = index.keys.find(index.hasher.keys_of([t.encode() for t in texts]))
    url_origins: set[int] = set()
    kinds, refs = index.keys.kinds, index.keys.refs
    for query, first in zip(queries.tolist(), positions.tolist(), strict=True):
        origin = origins[query]
        for entry in index.keys.entries(first):
            kind = KINDS[kinds[entry]]
            if kind in probes.text_kinds[query]:
                token, observed = probes.tokens[origin], probes.observed[origin]
                how = probes.text_how[query]
                hits.append((token, observed, int(refs[entry]), kind, texts[query], how))
                url_origins.update((origin,) if kind is T.URL else ())
    return url_origins


def _resolve_ips(index: MatchIndex, probes: Probes, hits: list[Hit]) -> None:
    """Resolve IP probes: IPv4/IPv6 CIDR containment and IPv6 exact/long-prefix keys."""
    six = np.array(probes.ip_six, dtype=np.bool_)
    addresses = probes.ips
    v4 = np.flatnonzero(~six)
    if len(v4):
        values = np.array([addresses[i] for i in v4.tolist()], dtype=np.uint64)
        _cidr_hits(probes, hits, v4, values, 32, index.cidr4)
    v6 = np.flatnonzero(six)
    if not len(v6):
        return
    packed = b"".join([addresses[i].to_bytes(16, "big") for i in v6.tolist()])
    halves = np.frombuffer(packed, dtype=">u8").reshape(-1, 2).astype(np.uint64)
    high, low = halves[:, 0].copy(), halves[:, 1].copy()
    _cidr_hits(probes, hits, v6, high, 128, index.cidr6)
    for length in index.long6:
        mask = np.uint64((_LOW64 << (128 - length)) & _LOW64)
        queries, positions = index.keys.find(ipv6_keys(high, low & mask, length))
        for query, first in zip(queries.tolist(), positions.tolist(), strict=True):
            probe = int(v6[query])
            value = network_text(addresses[probe], length, 128)
            for entry in index.keys.entries(first):
                kind = KINDS[index.keys.kinds[entry]]
                how = EXACT if kind is T.IPV6 else CIDR
                _ip_hit(probes, hits, probe, int(index.keys.refs[entry]), kind, value, how)


def _cidr_hits(
    probes: Probes,
    hits: list[Hit],
    probe_ids: npt.NDArray[np.intp],
    values: npt.NDArray[np.uint64],
    width: int,
    table: PrefixTable,
) -> None:
    """Append CIDR hits of ``values`` (IPv4, or the high halves of IPv6 addresses)."""
    positions, cidrs = table.find(values)
    for position, cidr in zip(positions.tolist(), cidrs.tolist(), strict=True):
        probe = int(probe_ids[position])
        value = network_text(probes.ips[probe], int(table.lengths[cidr]), width)
        for ref in table.refs_of(cidr).tolist():
            _ip_hit(probes, hits, probe, ref, T.CIDR, value, CIDR)


def _ip_hit(
    probes: Probes, hits: list[Hit], probe: int, ref: int, kind: T, value: str, how: str
) -> None:
    """Append one IP hit; a probe with its own how (a URL host) reports that instead."""
    origin = probes.ip_origin[probe]
    override = probes.ip_how[probe]
    hits.append((probes.tokens[origin], probes.observed[origin], ref, kind, value, override or how))


def network_text(address: int, length: int, width: int) -> str:
    """Return the canonical network text of ``address``/``length`` (no /32 or /128)."""
    network = address >> (width - length) << (width - length)
    if width == 32:
        text = socket.inet_ntoa(network.to_bytes(4, "big"))
    elif network >> 64:  # inet_ntop writes RFC 5952 text ten times faster than ipaddress ...
        text = socket.inet_ntop(socket.AF_INET6, network.to_bytes(16, "big"))
    else:  # ... but writes a dotted tail for ::a.b.c.d and ::ffff:a.b.c.d
        text = ipaddress.IPv6Address(network).compressed
    return text if length == width else f"{text}/{length}"


def _looks_unnormalised(value: str, cheap: str) -> bool:
    """Whether the full URL normaliser may produce something other than ``cheap``."""
    if _UNUSUAL_URL.search(value):
        return True
    host = cheap.split("/", 3)[2].rpartition("@")[2].partition(":")[0]
    return bool(_NUMERIC_HOST.fullmatch(host)) and host.count(".") != 3
