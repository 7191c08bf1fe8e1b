"""Finding personal data in free text: e-mail addresses, internal hosts, and the rest. PURE.

``scan`` runs every detector; each detector is a small function yielding ``Span`` values.
Phone numbers live in ``phone.py``, IBANs and card numbers in ``banking.py``, personal names
in ``names.py``.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

from phalanx.redaction.banking import find_ibans, find_payment_cards
from phalanx.redaction.model import (
    EMAIL,
    INTERNAL_HOST,
    PLACEHOLDER,
    RedactionRules,
    Span,
)
from phalanx.redaction.names import find_names
from phalanx.redaction.phone import find_phones

# Defanged forms as analysts write them: john[@]example[.]com, john [at] example [dot] com.
_DOT = r"(?:\.|[ ]?[\[({](?:\.|dot)[\])}][ ]?)"
_AT = r"(?:@|[ ]?[\[({](?:@|at)[\])}][ ]?)"
_LOCAL = r"[\w%+-]+(?:(?:\.|\[\.\])[\w%+-]+)*"
# The last label must start with a letter: "lodash@4.17.21" names a package, not a mailbox.
_DOMAIN = rf"(?:[\w-]{{1,63}}{_DOT}){{1,10}}[^\W\d_][\w-]{{0,62}}"
# Starting only where a local part can start (not after "a.") keeps the scan linear on
# "a.a.a.a..." runs; the local part never gives back characters, so it is matched possessively.
_EMAIL = re.compile(
    rf"(?<![\w%+-])(?<![\w%+-]\.)(?<![\w%+-]\[\.\])(?>{_LOCAL}){_AT}{_DOMAIN}", re.IGNORECASE
)

# What every address holds (the "@" of _AT, plain or defanged), found with one cheap search.
_ANY_AT = re.compile(r"@|[\[({]at[\])}]", re.IGNORECASE)

# Windows names its machines DESKTOP-XXXXXXX, LAPTOP-XXXXXXXX or WIN-XXXXXXXXXXX (15 characters,
# the NetBIOS limit). Requiring a digit keeps words like DESKTOP-SHARING out.
_WINDOWS_HOST = re.compile(
    r"(?<![\w.-])(?:DESKTOP-[A-Z0-9]{7}|LAPTOP-[A-Z0-9]{8}|WIN-[A-Z0-9]{11})(?![\w-])"
)


def scan(text: str, rules: RedactionRules) -> tuple[Span, ...]:
    """Return every finding of every detector, in order, except inside existing placeholders."""
    found = [
        *find_emails(text),
        *find_phones(text),
        *find_ibans(text),
        *find_payment_cards(text),
        *find_names(text, rules),
        *find_internal_hosts(text, rules),
    ]
    if not found:
        return ()
    kept = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
    return tuple(sorted(span for span in found if not _covered(span, kept)))


def _covered(span: Span, intervals: list[tuple[int, int]]) -> bool:
    """Tell whether sorted, disjoint intervals cover every character of the span."""
    index = bisect_right(intervals, (span.start, sys.maxsize)) - 1
    position = span.start
    while 0 <= index < len(intervals) and intervals[index][0] <= position:
        position = max(position, intervals[index][1])
        if position >= span.end:
            return True
        index += 1
    return False


def find_emails(text: str) -> Iterator[Span]:
    """Yield e-mail addresses, plain or defanged."""
    # Most texts hold neither an "@" nor a defanged one, and then no address: the full
    # pattern would try a local part at every word character to learn that.
    if _ANY_AT.search(text) is None:
        return
    yield from _emails(text)


def _emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield Span(match.start(), match.end(), EMAIL)


def find_internal_hosts(text: str, rules: RedactionRules) -> Iterator[Span]:
    """Yield hosts under the internal domains, prefixed host names and Windows default names."""
    pattern = host_pattern(rules.internal_domains, rules.internal_host_prefixes)
    if pattern is not None:
        for match in pattern.finditer(text):
            if match.groupdict().get("fqdn") or any(char.isdigit() for char in match.group(0)):
                yield Span(match.start(), match.end(), INTERNAL_HOST)
    for match in _WINDOWS_HOST.finditer(text):
        if any(char.isdigit() for char in match.group(0)):
            yield Span(match.start(), match.end(), INTERNAL_HOST)


@lru_cache(maxsize=64)
def host_pattern(domains: frozenset[str], prefixes: frozenset[str]) -> re.Pattern[str] | None:
    """Compile one pattern for hosts under the domains (group fqdn) and prefixed host names."""
    branches = []
    if domains:
        suffixes = sorted((_DOT.join(map(re.escape, d.split("."))) for d in domains), key=len)
        suffix = "|".join(reversed(suffixes))
        # Not followed by another label: corp.acme.example.evil.net is the attacker's, not ours.
        branches.append(rf"(?P<fqdn>(?:[\w-]{{1,63}}{_DOT}){{0,10}}(?:{suffix})(?!{_DOT}[\w-]))")
    if prefixes:
        alternation = "|".join(map(re.escape, sorted(prefixes, key=lambda p: (-len(p), p))))
        branches.append(rf"(?:{alternation})[\w-]*")
    if not branches:
        return None
    return re.compile(rf"(?<![\w.-])(?:{'|'.join(branches)})(?![\w-])", re.IGNORECASE)
