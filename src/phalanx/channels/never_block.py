"""Values that must never reach a blocking or detection control (spec-notes §6.5). PURE.

The caller's ``never_deploy`` reason is the first line of defence (warninglists, public
suffixes, members' own domains); this table is the last one, at the format boundary, so a
feed can never blackhole a private range, a documentation prefix or every empty file.
``ipaddress.is_global`` is deliberately not used (spec-notes §0.7).

Each check returns a short reason (used as a skip counter) or None. IPv4 parsing is done with
a strict dotted-quad regex because ``ipaddress`` costs ~4 µs per address, which alone would
eat half of the 10 s budget for a 1,000,000-entry list.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right

_V4_RESERVED = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",  # CGNAT, RFC 6598
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",  # 6to4 relay anycast
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # includes 255.255.255.255
)
_V6_RESERVED = (
    "::/127",  # :: and ::1
    "::ffff:0:0/96",  # IPv4-mapped: canonical form is the IPv4 address
    "64:ff9b::/96",  # NAT64
    "64:ff9b:1::/48",
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32
    "2001:db8::/32",  # documentation
    "2002::/16",  # 6to4
    "3fff::/20",  # documentation (RFC 9637)
    "fc00::/7",  # unique local
    "fe80::/10",  # link local
    "ff00::/8",  # multicast
)
# Blocking anything wider needs an admin override, which channels do not offer.
_MIN_PREFIX = {4: 8, 6: 32}

# RFC 6761 / 6762 / 7686 special-use names and the reverse-mapping tree.
SPECIAL_USE_NAMES = frozenset(
    {
        "localhost",
        "invalid",
        "test",
        "example",
        "example.com",
        "example.net",
        "example.org",
        "local",
        "onion",
        "arpa",
        "alt",  # RFC 9476
    }
)

_SPECIAL_USE_SUFFIXES = tuple(sorted(f".{name}" for name in SPECIAL_USE_NAMES))

# The hostname grammar (below) minus special-use names, as one regex for the common case.
_NOT_SPECIAL_USE = "(?!(?:.*\\.)?(?:{})$)".format(
    "|".join(re.escape(name) for name in sorted(SPECIAL_USE_NAMES))
)

EMPTY_FILE_HASHES = frozenset(
    {
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    }
)

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
# A-label hostnames (spec-notes §6.2); '_' is legal in DNS labels but not in the TLD, and the
# TLD must be letters or an IDN A-label, which also rules out RPZ trigger suffixes (rpz-ip).
_HOSTNAME = (
    r"(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_DOMAIN = re.compile(_HOSTNAME)
_DEPLOYABLE_DOMAIN = re.compile(_NOT_SPECIAL_USE + _HOSTNAME)


def _ranges(cidrs: tuple[str, ...]) -> tuple[list[int], list[int]]:
    spans = sorted(
        (int(net.network_address), int(net.broadcast_address))
        for net in map(ipaddress.ip_network, cidrs)
    )
    return [start for start, _ in spans], [end for _, end in spans]


_V4_STARTS, _V4_ENDS = _ranges(_V4_RESERVED)
_V6_STARTS, _V6_ENDS = _ranges(_V6_RESERVED)


# An address or block as (version, first address as int, prefix length).
Block = tuple[int, int, int]
_BITS = {4: 32, 6: 128}


def parse_ipv4(text: str) -> int | None:
    """Return a canonical dotted-quad IPv4 address as an int, or None."""
    match = _V4.fullmatch(text)
    if match is None:
        return None
    a, b, c, d = (int(part) for part in match.groups())
    return (a << 24) | (b << 16) | (c << 8) | d


def _overlaps(first: int, last: int, starts: list[int], ends: list[int]) -> bool:
    # The reserved spans do not overlap each other, so only the last one starting at or
    # before ``last`` can intersect [first, last].
    index = bisect_right(starts, last) - 1
    return index >= 0 and ends[index] >= first


# First octets whose whole /8 is clear of the table: most addresses need no further check.
_V4_CLEAR_OCTETS = frozenset(
    octet
    for octet in range(256)
    if not _overlaps(octet << 24, (octet << 24) | 0xFFFFFF, _V4_STARTS, _V4_ENDS)
)


# One C-level match settles the common case: a canonical address in a clear /8.
_CLEAR_V4 = re.compile(
    rf"(?:{'|'.join(map(str, sorted(_V4_CLEAR_OCTETS, reverse=True)))})"
    rf"\.{_OCTET}\.{_OCTET}\.{_OCTET}"
)


def ipv4_reason(value: str) -> str | None:
    """Why an IPv4 address may not be deployed: 'invalid', 'reserved-range' or None."""
    if _CLEAR_V4.fullmatch(value) is not None:
        return None
    number = parse_ipv4(value)
    if number is None:
        return "invalid"
    return "reserved-range" if _overlaps(number, number, _V4_STARTS, _V4_ENDS) else None


def parse_block(value: str) -> Block | str:
    """An address or CIDR of either family as a :data:`Block`, or why it is not deployable.

    Host bits must be clear ('invalid' otherwise); prefixes wider than /8 (IPv4) or /32
    (IPv6) are 'too-broad'; any overlap with the table is 'reserved-range'.
    """
    text, slash, length = value.partition("/")
    version = 6 if ":" in text else 4
    number = _parse_address(text, version)
    if number is None or (slash and not _PREFIX.fullmatch(length)):
        return "invalid"
    bits = _BITS[version]
    prefix = int(length) if slash else bits
    host = (1 << (bits - prefix)) - 1 if prefix <= bits else -1
    if host < 0 or number & host:
        return "invalid"
    if prefix < _MIN_PREFIX[version]:
        return "too-broad"
    starts, ends = (_V4_STARTS, _V4_ENDS) if version == 4 else (_V6_STARTS, _V6_ENDS)
    if _overlaps(number, number | host, starts, ends):
        return "reserved-range"
    return (version, number, prefix)


_PREFIX = re.compile(r"0|[1-9][0-9]{0,2}")


def _parse_address(text: str, version: int) -> int | None:
    if version == 4:
        return parse_ipv4(text)
    if "%" in text:  # zone ids name an interface, not an address
        return None
    try:
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def block_address(block: Block) -> str:
    """The canonical text of a block's first address (RFC 5952 for IPv6)."""
    version, number, _ = block
    if version == 4:
        return f"{number >> 24}.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
    return format_ipv6(number)


def format_ipv6(number: int) -> str:
    """RFC 5952 text: lowercase, no leading zeros, ``::`` for the first longest run of 2+ zeros.

    Hex groups only (also for IPv4-mapped addresses), which is the form BIND's RPZ code uses;
    ``ipaddress`` takes ~10 µs for the same, a fifth of the budget of a million-entry list.
    """
    groups = [(number >> shift) & 0xFFFF for shift in range(112, -16, -16)]
    best_start, best_length, start = -1, 1, -1
    for index, group in enumerate([*groups, 1]):
        if group == 0:
            start = index if start < 0 else start
        elif start >= 0:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = -1
    texts = [f"{group:x}" for group in groups]
    if best_start < 0:
        return ":".join(texts)
    return ":".join(texts[:best_start]) + "::" + ":".join(texts[best_start + best_length :])


def block_text(block: Block) -> str:
    """Canonical text of a block: the bare address for a single host, else ``address/len``."""
    address = block_address(block)
    return address if block[2] == _BITS[block[0]] else f"{address}/{block[2]}"


def network_reason(value: str) -> str | None:
    """Why an address or CIDR (either family) may not be deployed, or None."""
    parsed = parse_block(value)
    return parsed if isinstance(parsed, str) else None


def domain_reason(name: str) -> str | None:
    """Why a domain may not be deployed: 'invalid' syntax, a bare TLD, a special-use name."""
    if _DEPLOYABLE_DOMAIN.fullmatch(name) is not None:
        return None
    if "." not in name:
        return "single-label"
    if _DOMAIN.fullmatch(name) is None:
        return "invalid"
    if name in SPECIAL_USE_NAMES or name.endswith(_SPECIAL_USE_SUFFIXES):
        return "special-use-name"
    return None


def hash_reason(value: str) -> str | None:
    """Why a file hash may not be deployed: the empty file's hash matches every empty file."""
    return "empty-file-hash" if value in EMPTY_FILE_HASHES else None
