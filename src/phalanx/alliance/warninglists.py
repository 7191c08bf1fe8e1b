"""Known-benign values (MISP warninglists) and an index for bulk checks. PURE.

Matching follows MISP's ``Warninglist.php`` (spec-notes §6.6): ``string`` is exact,
``substring`` is containment, ``hostname`` matches the value's host or any parent domain (a
URL's host first), ``cidr`` is containment for IPv4 and IPv6, ``regex`` is a search. A list
applies only to the observable kinds its ``matching_attributes`` name (none named: every kind).

The index answers a check with dictionary lookups: exact strings and hostnames in one dict
each, CIDR ranges as one dict per prefix length (an address is looked up once per length
present, at most 33 or 129 times), substrings and regexes as one combined pattern each.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from phalanx.observables.kinds import ObservableType

_IPS = frozenset({ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR})
_NAMES = frozenset({ObservableType.DOMAIN})
_URLS = frozenset({ObservableType.URL})
_EMAILS = frozenset({ObservableType.EMAIL})
# MISP attribute types -> Phalanx observable kinds (types Phalanx has no kind for are ignored).
ATTRIBUTE_KINDS: Mapping[str, frozenset[ObservableType]] = {
    "ip-src": _IPS,
    "ip-dst": _IPS,
    "ip-src|port": _IPS,
    "ip-dst|port": _IPS,
    "domain|ip": _IPS | _NAMES,
    "domain": _NAMES,
    "hostname": _NAMES,
    "hostname|port": _NAMES,
    "url": _URLS,
    "uri": _URLS,
    "link": _URLS,
    "md5": frozenset({ObservableType.MD5}),
    "sha1": frozenset({ObservableType.SHA1}),
    "sha256": frozenset({ObservableType.SHA256}),
    "sha512": frozenset({ObservableType.SHA512}),
    "filename|md5": frozenset({ObservableType.MD5}),
    "filename|sha1": frozenset({ObservableType.SHA1}),
    "filename|sha256": frozenset({ObservableType.SHA256}),
    "filename|sha512": frozenset({ObservableType.SHA512}),
    "email": _EMAILS,
    "email-src": _EMAILS,
    "email-dst": _EMAILS,
    "target-email": _EMAILS,
    "whois-registrant-email": _EMAILS,
    "AS": frozenset({ObservableType.ASN}),
}
LIST_TYPES = ("string", "substring", "hostname", "cidr", "regex")


@dataclass(frozen=True, slots=True)
class WarningList:
    """One warninglist: its name, matching type, the kinds it applies to and its entries."""

    name: str
    type: str
    entries: tuple[str, ...]
    kinds: frozenset[ObservableType] | None = None  # None: every kind
    title: str = ""

    def applies_to(self, kind: ObservableType) -> bool:
        """True when the list is checked for observables of ``kind``."""
        return self.kinds is None or kind in self.kinds


def parse_list(name: str, document: Mapping[str, Any]) -> WarningList:
    """Build a WarningList from a MISP ``list.json`` document; raise ValueError when malformed."""
    kind = document.get("type")
    if kind not in LIST_TYPES:
        raise ValueError(f"warninglist {name}: type must be one of {', '.join(LIST_TYPES)}")
    entries = document.get("list")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ValueError(f"warninglist {name}: 'list' must be a list of strings")
    attributes = document.get("matching_attributes") or []
    # A list naming only attribute types Phalanx has no kind for applies to no kind at all.
    kinds = (
        frozenset().union(*(ATTRIBUTE_KINDS.get(a, frozenset()) for a in attributes))
        if attributes
        else None
    )
    return WarningList(
        name=name,
        type=kind,
        entries=tuple(entries),
        kinds=kinds,
        title=str(document.get("name") or name),
    )


_Applies = tuple[str, frozenset[ObservableType] | None]  # (list name, kinds; None: every kind)


class WarninglistIndex:
    """Every loaded list, indexed for fast single and bulk checks."""

    def __init__(
        self, lists: Iterable[WarningList], *, suffixes: frozenset[str] = frozenset()
    ) -> None:
        # Public suffixes (github.io, blogspot.com...) on a popularity list vouch for the
        # platform, not for every tenant under it: they match only themselves.
        self.suffixes = suffixes
        self.lists: dict[str, WarningList] = {}
        self._exact: dict[str, list[_Applies]] = defaultdict(list)
        self._hosts: dict[str, list[_Applies]] = defaultdict(list)
        self._networks: list[tuple[int, int, int, _Applies]] = []  # version, start, prefix
        self._substrings: list[tuple[str, _Applies]] = []
        self._regexes: list[tuple[re.Pattern[str], _Applies]] = []
        self.skipped: list[str] = []  # entries that could not be indexed, with the reason
        self._plans: dict[ObservableType, _KindPlan] = {}
        self._quads: dict[ObservableType, _QuadPlan] = {}
        for wl in lists:
            self.lists[wl.name] = wl
            self._add(wl)

    def _add(self, wl: WarningList) -> None:
        applies: _Applies = (wl.name, wl.kinds)
        if wl.type == "cidr":
            for entry in wl.entries:
                self._add_network(entry, applies)
        elif wl.type == "regex":
            for entry in wl.entries:
                try:
                    self._regexes.append((re.compile(entry, re.IGNORECASE), applies))
                except re.error as error:
                    self.skipped.append(f"{wl.name}: regex {entry!r}: {error}")
        else:
            for entry in wl.entries:
                value = entry.strip().lower().rstrip(".")
                if not value:
                    continue
                if wl.type == "string":
                    self._exact[value].append(applies)
                elif wl.type == "hostname":
                    self._hosts[value].append(applies)
                else:
                    self._substrings.append((value, applies))

    def _add_network(self, entry: str, applies: _Applies) -> None:
        try:
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError as error:
            self.skipped.append(f"{applies[0]}: cidr {entry!r}: {error}")
            return
        self._networks.append((net.version, int(net.network_address), net.prefixlen, applies))

    def __len__(self) -> int:
        return len(self.lists)

    def match(self, kind: ObservableType, value: str) -> str | None:
        """Return the name of the first list ``value`` is on (as a ``kind``), or None."""
        plan = self._plans.get(kind) or self._plan(kind)
        lowered = value.lower()
        found = self._exact.get(lowered)
        if found and (name := _first(found, kind)):
            return name
        if plan.networks and (name := self._network(lowered, plan)):
            return name
        if plan.hosts and (name := self._host(kind, lowered)):
            return name
        return _textual(plan.substrings, plan, kind, value, lowered)

    def match_many(self, items: Sequence[tuple[ObservableType, str]]) -> list[str | None]:
        """``match`` for many (kind, value) pairs, each kind checked in bulk (``match_kind``)."""
        positions: dict[ObservableType, list[int]] = {}
        for position, (kind, _) in enumerate(items):
            positions.setdefault(kind, []).append(position)
        found: list[str | None] = [None] * len(items)
        for kind, where in positions.items():
            names = self.match_kind(kind, [items[i][1] for i in where])
            for position, name in zip(where, names, strict=True):
                found[position] = name
        return found

    def match_kind(self, kind: ObservableType, values: Sequence[str]) -> list[str | None]:
        """``match`` for many values of one kind: the same answers, IPv4 vectorised.

        A deployment channel checks a million addresses per build; one bisection each in
        Python costs seconds, a single ``searchsorted`` over all of them a few milliseconds.
        """
        plan = self._plans.get(kind) or self._plan(kind)
        ranges = plan.networks.get(4)
        if kind is not ObservableType.IPV4 or ranges is None:
            match = self.match
            return [match(kind, value) for value in values]
        quads = self._quads.get(kind) or self._quad_plan(kind, plan)
        numbers, parsed = _ipv4_numbers(values)
        names = ranges.find_many(numbers)
        if quads.exact:  # an exact entry is asked first, as in ``match``
            listed = np.isin(numbers, np.fromiter(quads.exact, dtype=np.int64))
            for position in np.flatnonzero(listed).tolist():
                names[position] = quads.exact[int(numbers[position])]
        if quads.needles is not None or plan.regexes:
            where = parsed.tolist()
            for position, name in enumerate(names):
                if name is None:
                    value = values[where[position]]  # a canonical quad: already lower case
                    names[position] = _textual(quads.needles, plan, kind, value, value)
        if len(parsed) == len(values):
            return names
        found: list[str | None] = [None] * len(values)
        for position, name in zip(parsed.tolist(), names, strict=True):
            found[position] = name
        unparsed = np.ones(len(values), dtype=np.bool_)
        unparsed[parsed] = False
        for position in np.flatnonzero(unparsed).tolist():
            found[position] = self.match(kind, values[position])  # not a canonical quad
        return found

    def _quad_plan(self, kind: ObservableType, plan: _KindPlan) -> _QuadPlan:
        """What can match a canonical dotted quad: only entries made of digits and dots."""
        exact = {}
        for text, found in self._exact.items():
            try:
                number = int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
            except OSError:
                continue
            if name := _first(found, kind):
                exact[number] = name
        needles = sorted((n for n in plan.needles if _QUAD_TEXT.fullmatch(n)), key=len)[::-1]
        pattern = re.compile("|".join(map(re.escape, needles))) if needles else None
        quads = _QuadPlan(exact=exact, needles=pattern)
        self._quads[kind] = quads
        return quads

    def _plan(self, kind: ObservableType) -> _KindPlan:
        # Which structures can answer for this kind at all: a SHA-256 is one dict lookup.
        def applies(entry: _Applies) -> bool:
            return entry[1] is None or kind in entry[1]

        lists = [wl for wl in self.lists.values() if wl.applies_to(kind)]
        types = {wl.type for wl in lists}
        needles: dict[str, list[_Applies]] = defaultdict(list)
        for needle, entry in self._substrings:
            if applies(entry):
                needles[needle].append(entry)
        pattern = None
        if needles:  # longest first, so one search finds the most specific needle
            ordered = sorted(needles, key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(n) for n in ordered))
        networks = {}
        if kind in _IPS and "cidr" in types:
            for version, width in ((4, 32), (6, 128)):
                spans = [
                    (start, prefix, entry[0])
                    for v, start, prefix, entry in self._networks
                    if v == version and applies(entry)
                ]
                networks[version] = _Ranges.build(spans, width)
        plan = _KindPlan(
            networks=networks,
            hosts=kind in (ObservableType.DOMAIN, ObservableType.URL) and "hostname" in types,
            substrings=pattern,
            needles=dict(needles),
            regexes=[(p, e[0]) for p, e in self._regexes if applies(e)],
        )
        self._plans[kind] = plan
        return plan

    def _network(self, value: str, plan: _KindPlan) -> str | None:
        parsed = _address(value)
        if parsed is None:
            return None
        address, version, prefix = parsed
        width = 32 if version == 4 else 128
        last = address | ((1 << (width - prefix)) - 1)  # a network must lie wholly inside
        return plan.networks[version].find(address, last)

    def _host(self, kind: ObservableType, value: str) -> str | None:
        host = _host_of(kind, value)
        if host is None:
            return None
        # The host, then each parent domain above its public suffix (dropping labels in place:
        # no list of labels to join again for each parent).
        parent, hosts, suffixes = host, self._hosts, self.suffixes
        while True:
            found = hosts.get(parent)
            if found and (name := _first(found, kind)):
                return name
            dot = parent.find(".")
            if dot < 0:
                return None
            parent = parent[dot + 1 :]
            if parent in suffixes:
                return None


class _Ranges:
    """CIDR ranges as sorted intervals; a lookup is one bisection plus a walk to parents.

    CIDR blocks are nested or disjoint, so each range's nearest enclosing range (its parent)
    is found with a stack while building; the most specific range holding a value is the
    last one starting at or before it, or one of that range's ancestors.
    """

    def __init__(
        self, starts: list[int], ends: list[int], parents: list[int], names: list[str]
    ) -> None:
        self.starts, self.ends, self.parents, self.names = starts, ends, parents, names
        self._arrays: tuple[npt.NDArray[np.int64], ...] | None = None

    @classmethod
    def build(cls, networks: Iterable[tuple[int, int, str]], width: int) -> _Ranges:
        """Index (start, prefix length, list name) triples of one address width (32, 128)."""
        first: dict[tuple[int, int], str] = {}
        for start, prefix, name in networks:
            first.setdefault((start, prefix), name)  # the earlier list names a shared range
        spans = sorted(first.items())
        starts: list[int] = []
        ends: list[int] = []
        parents: list[int] = []
        names: list[str] = []
        stack: list[int] = []
        for (start, prefix), name in spans:
            end = start | ((1 << (width - prefix)) - 1)
            while stack and ends[stack[-1]] < start:
                stack.pop()
            parents.append(stack[-1] if stack else -1)
            stack.append(len(starts))
            starts.append(start)
            ends.append(end)
            names.append(name)
        return cls(starts, ends, parents, names)

    def find(self, first: int, last: int) -> str | None:
        """The list of the most specific range holding [first, last], or None."""
        index = bisect_right(self.starts, first) - 1
        while index >= 0 and self.ends[index] < last:
            index = self.parents[index]
        return None if index < 0 else self.names[index]

    def find_many(self, addresses: npt.NDArray[np.int64]) -> list[str | None]:
        """``find(a, a)`` for many 32-bit addresses at once."""
        if self._arrays is None:
            self._arrays = (
                np.array(self.starts, dtype=np.int64),
                np.array(self.ends, dtype=np.int64),
                np.array(self.parents, dtype=np.intp),
            )
        starts, ends, parents = self._arrays
        index = np.searchsorted(starts, addresses, side="right") - 1
        # Walk up to enclosing ranges while a range ends before the address (depth is small).
        while True:
            climbing = (index >= 0) & (ends[np.maximum(index, 0)] < addresses)
            if not climbing.any():
                break
            index[climbing] = parents[index[climbing]]
        names = self.names
        return [None if i < 0 else names[i] for i in index.tolist()]


@dataclass(slots=True)
class _KindPlan:
    """The structures that can match one observable kind."""

    networks: dict[int, _Ranges]
    hosts: bool
    substrings: re.Pattern[str] | None
    needles: dict[str, list[_Applies]]
    regexes: list[tuple[re.Pattern[str], str]]


@dataclass(slots=True)
class _QuadPlan:
    """The entries that can match a canonical dotted quad (digits and dots only)."""

    exact: dict[int, str]  # exact entries that are quads, by address
    needles: re.Pattern[str] | None  # the plan's substrings that a quad can contain


def _textual(
    substrings: re.Pattern[str] | None,
    plan: _KindPlan,
    kind: ObservableType,
    value: str,
    lowered: str,
) -> str | None:
    """The substring and regex checks of ``match`` (``substrings``: the plan's, or fewer)."""
    if substrings is not None:
        hit = substrings.search(lowered)
        if hit and (name := _first(plan.needles[hit.group(0)], kind)):
            return name
    for pattern, name in plan.regexes:
        if pattern.search(value):
            return name
    return None


_QUAD_TEXT = re.compile(r"[0-9.]+")


def _first(found: list[_Applies], kind: ObservableType) -> str | None:
    for name, kinds in found:
        if kinds is None or kind in kinds:
            return name
    return None


def _ipv4_numbers(values: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """The canonical dotted quads among ``values`` as integers, with their positions."""
    pton, family = socket.inet_pton, socket.AF_INET
    try:
        packed = b"".join([pton(family, value) for value in values])
        parsed = np.arange(len(values), dtype=np.intp)
    except OSError:  # some value is not a bare canonical quad: sort them out one by one
        good, positions = [], []
        for position, value in enumerate(values):
            try:
                good.append(pton(family, value))
            except OSError:
                continue
            positions.append(position)
        packed, parsed = b"".join(good), np.array(positions, dtype=np.intp)
    return np.frombuffer(packed, dtype=">u4").astype(np.int64), parsed


def _address(value: str) -> tuple[int, int, int] | None:
    """(integer, version, prefix length) of a canonical address or network."""
    text, _, prefix = value.partition("/")
    if not prefix:
        # A bare canonical dotted quad (most values checked): inet_pton accepts exactly the
        # four-decimal-part form without leading zeros, so its answer is the by-hand one.
        try:
            return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"), 4, 32
        except OSError:
            pass
    parts = text.split(".")
    # Canonical dotted quads are parsed by hand: ipaddress costs several microseconds each.
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        a, b, c, d = (int(p) for p in parts)
        if max(a, b, c, d) > 255 or (prefix and not prefix.isdigit()):
            return None
        return (a << 24 | b << 16 | c << 8 | d, 4, int(prefix) if prefix else 32)
    try:
        if ":" in text and (not prefix or prefix.isdigit()):
            # inet_pton is an order of magnitude cheaper than ipaddress for IPv6.
            number = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
            return number, 6, int(prefix) if prefix else 128
        net = ipaddress.ip_network(value, strict=False)
    except (OSError, ValueError):
        return None
    return int(net.network_address), net.version, net.prefixlen


def _host_of(kind: ObservableType, value: str) -> str | None:
    if kind is ObservableType.DOMAIN:
        return value.rstrip(".")
    if kind is ObservableType.URL:
        # Canonical URLs (observables/urls.py): scheme://[userinfo@]host[:port][/...].
        _scheme, sep, rest = value.partition("://")
        if not sep:
            return None
        authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            return None  # an IPv6 literal has no parent domains
        return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")
    return None
