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
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
        self._nets: dict[tuple[int, int], dict[int, list[_Applies]]] = {}
        self._ranges: dict[int, list[tuple[int, int, dict[int, list[_Applies]]]]] = {}
        self._substrings: list[tuple[str, _Applies]] = []
        self._regexes: list[tuple[re.Pattern[str], _Applies]] = []
        self.skipped: list[str] = []  # entries that could not be indexed, with the reason
        for wl in lists:
            self.lists[wl.name] = wl
            self._add(wl)
        for version in (4, 6):
            # Longest prefix first: the most specific list names the match.
            width = 32 if version == 4 else 128
            self._ranges[version] = [
                (length, width - length, self._nets[(version, length)])
                for length in sorted({p for v, p in self._nets if v == version}, reverse=True)
            ]

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
        key = (net.version, net.prefixlen)
        bits = net.max_prefixlen - net.prefixlen
        self._nets.setdefault(key, defaultdict(list))[int(net.network_address) >> bits].append(
            applies
        )

    def __len__(self) -> int:
        return len(self.lists)

    def match(self, kind: ObservableType, value: str) -> str | None:
        """Return the name of the first list ``value`` is on (as a ``kind``), or None."""
        for name, kinds in self._candidates(kind, value):
            if kinds is None or kind in kinds:
                return name
        return None

    def match_many(self, items: Sequence[tuple[ObservableType, str]]) -> list[str | None]:
        """``match`` for many values at once (the contribution pipeline's bulk check)."""
        return [self.match(kind, value) for kind, value in items]

    def _candidates(self, kind: ObservableType, value: str) -> Iterable[_Applies]:
        lowered = value.lower()
        yield from self._exact.get(lowered, ())
        if kind in _IPS:
            yield from self._networks(lowered)
        host = _host_of(kind, lowered)
        if host is not None and self._hosts:
            yield from self._parents(host)
        for needle, applies in self._substrings:
            if needle in lowered:
                yield applies
        for pattern, applies in self._regexes:
            if pattern.search(value):
                yield applies

    def _networks(self, value: str) -> Iterable[_Applies]:
        try:
            # ip_address is several times cheaper than ip_network for the common case.
            if "/" in value:
                net = ipaddress.ip_network(value, strict=False)
                address, version, prefix = int(net.network_address), net.version, net.prefixlen
            else:
                ip = ipaddress.ip_address(value)
                address, version, prefix = int(ip), ip.version, ip.max_prefixlen
        except ValueError:
            return
        for length, shift, table in self._ranges[version]:
            if length > prefix:
                continue
            found = table.get(address >> shift)
            if found:
                yield from found

    def _parents(self, host: str) -> Iterable[_Applies]:
        labels = host.split(".")
        for start in range(len(labels)):
            parent = ".".join(labels[start:])
            if start and parent in self.suffixes:
                return
            yield from self._hosts.get(parent, ())


def _host_of(kind: ObservableType, value: str) -> str | None:
    if kind is ObservableType.DOMAIN:
        return value.rstrip(".")
    if kind is ObservableType.URL:
        try:
            host = urlsplit(value).hostname
        except ValueError:
            return None
        return None if host is None else host.rstrip(".")
    return None
