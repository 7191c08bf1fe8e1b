"""IPv4, IPv6 and CIDR canonical forms (spec-notes §6.4, RFC 5952, RFC 4632). PURE.

The common case — a plain dotted quad — is checked with one regex and a first-octet lookup;
``ipaddress`` objects (~4 µs each) are only built for IPv6, CIDRs and special ranges.
"""

from __future__ import annotations

import ipaddress
import re
from socket import AF_INET6, inet_ntop, inet_pton

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable, Observable, new_observable
from phalanx.observables.reserved import (
    NAT64_PREFIXES,
    V4_NEVER,
    V4_SPECIAL_FIRST_OCTETS,
    V6_NEVER,
    V6_SPECIAL_TOP_HEXTETS,
    find_range,
)

IPV4, IPV6, CIDR = ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CANONICAL_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
# Shortest prefixes accepted without the caller's allow_broad override (spec-notes §6.5).
MIN_PREFIX = {4: 8, 6: 32}


_OCTETS = {str(number): number for number in range(256)}
_HEX_COLON = "0123456789abcdefABCDEF:"


def ipv4_int(dotted: str) -> int:
    """Return the integer of a canonical dotted quad."""
    a, b, c, d = dotted.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


def fast_ipv4(value: str) -> Observable | None:
    """Return the ipv4 observable if ``value`` is a canonical dotted quad, else None.

    Raises for special-purpose addresses, as :func:`check_ipv4` does.
    """
    parts = value.split(".")
    if len(parts) != 4:
        return None
    get = _OCTETS.get
    a, b, c, d = get(parts[0]), get(parts[1]), get(parts[2]), get(parts[3])
    if a is None or b is None or c is None or d is None:
        return None
    if a in V4_SPECIAL_FIRST_OCTETS:
        _check_special_ipv4(value, (a << 24) | (b << 16) | (c << 8) | d)
    return new_observable(IPV4, value)


def _check_special_ipv4(dotted: str, number: int) -> None:
    found = find_range(number, number, V4_NEVER)
    if found is not None:
        raise _never(dotted, found, IPV4)


def check_ipv4(dotted: str) -> Observable:
    """Return the ipv4 observable for a canonical dotted quad, rejecting special ranges."""
    if int(dotted[: dotted.index(".")]) in V4_SPECIAL_FIRST_OCTETS:
        _check_special_ipv4(dotted, ipv4_int(dotted))
    return new_observable(IPV4, dotted)


def fast_ipv6(value: str) -> Observable | None:
    """Return the RFC 5952 ipv6 observable for a plain hex-and-colons address, else None.

    ``inet_ntop`` writes the RFC 5952 form (lowercase, longest zero run as ``::``) for every
    address outside ``::/96`` and ``::ffff:0:0/96``; those, like all special-purpose
    prefixes, take the full path through :func:`check_ipv6`.
    """
    if value.strip(_HEX_COLON):
        return None
    try:
        packed = inet_pton(AF_INET6, value)
    except OSError:
        return None
    if int.from_bytes(packed[:2], "big") in V6_SPECIAL_TOP_HEXTETS:
        return check_ipv6(ipaddress.IPv6Address(packed))
    return new_observable(IPV6, inet_ntop(AF_INET6, packed))


def _never(
    text: str, found: tuple[str, str], kind: ObservableType, extra: str = ""
) -> InvalidObservable:
    network, description = found
    if text == network or f"{text}/32" == network or f"{text}/128" == network:
        reason = f"{text} is {description} and is never accepted as an indicator"
    elif "/" in text:
        reason = f"{text} overlaps {network}, {description}, which is never accepted"
    else:
        reason = f"{text} is in {network}, {description}, which is never accepted as an indicator"
    return InvalidObservable(reason + extra, value=text, kind=kind)


def parse_dotted_quad(text: str, kind: ObservableType = IPV4) -> str:
    """Return ``text`` if it is a canonical dotted quad, else raise with what is wrong."""
    if CANONICAL_IPV4.fullmatch(text):
        return text
    parts = text.split(".")
    if len(parts) != 4:
        raise InvalidObservable(
            f"an IPv4 address is four decimal numbers joined by dots, got {len(parts)} part(s)"
            f" in {text!r}",
            value=text,
            kind=kind,
        )
    for part in parts:
        if not (part.isascii() and part.isdigit()):
            raise InvalidObservable(f"{part!r} in {text!r} is not a decimal number", value=text)
        if len(part) > 1 and part[0] == "0":
            raise InvalidObservable(
                f"{part!r} in {text!r} has a leading zero, which some parsers read as octal;"
                " write the address without leading zeros",
                value=text,
                kind=kind,
            )
        if int(part) > 255:
            raise InvalidObservable(f"{part} in {text!r} is larger than 255", value=text)
    raise InvalidObservable(f"{text!r} is not a valid IPv4 address", value=text, kind=kind)


def normalize_ipv4(text: str, allow_broad: bool = False) -> Observable:
    """Return the canonical ipv4 observable for ``text`` (``/32`` and ``::ffff:`` forms too)."""
    if "/" in text:
        return normalize_cidr(text, allow_broad, kind=IPV4)
    if ":" in text:
        return normalize_ipv6(text, allow_broad)
    return check_ipv4(parse_dotted_quad(text))


def parse_ipv6(text: str, kind: ObservableType) -> ipaddress.IPv6Address:
    if "%" in text:
        zone = text[text.index("%") :]
        raise InvalidObservable(
            f"zone id {zone!r} (RFC 6874) only means something on one host; submit the"
            " address without it",
            value=text,
            kind=kind,
        )
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.IPv6Address(text)
    except ValueError as error:
        raise InvalidObservable(
            f"{text!r} is not a valid IPv6 address: {error}", value=text, kind=kind
        ) from None


def check_ipv6(address: ipaddress.IPv6Address) -> Observable:
    """Return the observable for a parsed IPv6 address: IPv4-mapped becomes ipv4 (RFC 4291)."""
    mapped = address.ipv4_mapped
    if mapped is not None:
        return check_ipv4(str(mapped))
    number = int(address)
    text = address.compressed
    found = None
    if number >> 112 in V6_SPECIAL_TOP_HEXTETS:
        found = find_range(number, number, V6_NEVER)
    if found is not None:
        embedded = _embedded_ipv4(address, found[0])
        extra = f"; it embeds the IPv4 address {embedded}" if embedded else ""
        raise _never(text, found, IPV6, extra)
    return new_observable(IPV6, text)


def _embedded_ipv4(address: ipaddress.IPv6Address, network: str) -> str | None:
    # NAT64 keeps the IPv4 address in the low 32 bits (RFC 6052 §2.2), 6to4 in bits 16-47.
    if network in NAT64_PREFIXES:
        return str(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if network == "2002::/16":
        return str(address.sixtofour)
    if network == "2001::/32" and address.teredo is not None:
        return str(address.teredo[1])
    return None


def normalize_ipv6(text: str, allow_broad: bool = False) -> Observable:
    """Return the RFC 5952 ipv6 observable for ``text`` (``/128`` dropped, mapped v4 -> ipv4)."""
    if "/" in text:
        return normalize_cidr(text, allow_broad, kind=IPV6)
    return check_ipv6(parse_ipv6(text, IPV6))


def _prefix_length(text: str, address: str, bits: int) -> int:
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        raise InvalidObservable(
            f"prefix length {text!r} of {address} must be a decimal number without leading zeros",
            value=address,
            kind=CIDR,
        )
    prefix = int(text)
    if prefix > bits:
        raise InvalidObservable(
            f"prefix length /{prefix} is longer than {bits} bits", value=address, kind=CIDR
        )
    return prefix


def normalize_cidr(
    text: str, allow_broad: bool = False, *, kind: ObservableType = CIDR
) -> Observable:
    """Return the canonical network for ``text``; ``/32`` and ``/128`` become addresses."""
    address, slash, prefix_text = text.partition("/")
    if not slash:
        return normalize_ipv6(text) if ":" in text else check_ipv4(parse_dotted_quad(text, kind))
    if ":" in address:
        parsed: ipaddress.IPv4Address | ipaddress.IPv6Address = parse_ipv6(address, CIDR)
        bits = 128
    else:
        parsed = ipaddress.IPv4Address(parse_dotted_quad(address, CIDR))
        bits = 32
    prefix = _prefix_length(prefix_text, text, bits)
    if prefix == bits:
        if isinstance(parsed, ipaddress.IPv6Address):
            return check_ipv6(parsed)
        return check_ipv4(str(parsed))
    if kind is not CIDR:
        raise InvalidObservable(
            f"{text} is a network, not a single address; submit it as type cidr",
            value=text,
            kind=kind,
        )
    return _check_network(text, int(parsed), prefix, bits, allow_broad)


def _check_network(text: str, number: int, prefix: int, bits: int, allow_broad: bool) -> Observable:
    version = 4 if bits == 32 else 6
    host_mask = (1 << (bits - prefix)) - 1
    network = ipaddress.ip_network((number & ~host_mask, prefix))
    canonical = f"{network.network_address.compressed}/{prefix}"
    if number & host_mask:
        raise InvalidObservable(
            f"{text} has host bits set; the network it would be is {canonical}",
            value=text,
            kind=CIDR,
        )
    if prefix < MIN_PREFIX[version] and not allow_broad:
        raise InvalidObservable(
            f"{canonical} is broader than /{MIN_PREFIX[version]} (IPv{version}); so wide a"
            " prefix needs an administrator's allow_broad override",
            value=text,
            kind=CIDR,
        )
    first = number & ~host_mask
    found = find_range(first, first | host_mask, V4_NEVER if version == 4 else V6_NEVER)
    if found is not None:
        raise _never(canonical, found, CIDR)
    return Observable(CIDR, canonical)


def parse_numeric_host(host: str) -> str | None:
    """Return the dotted quad a URL host like ``3279880203`` or ``0xC3.0177.0.11`` means.

    Follows the WHATWG URL "IPv4 parser": up to four parts, each decimal, ``0x`` hex or
    ``0``-prefixed octal, the last part filling the remaining bytes. Returns None when the
    host is not numeric (a name); raises when it is numeric but out of range.
    """
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts[-1] or not _numeric_part(parts[-1]):
        return None
    numbers = [_numeric_part(part) for part in parts]
    if len(parts) > 4 or any(number is None for number in numbers):
        raise InvalidObservable(f"URL host {host!r} is not a valid IPv4 address", value=host)
    values = [number for number in numbers if number is not None]
    last_limit = 1 << (8 * (5 - len(values)))
    if any(value > 255 for value in values[:-1]) or values[-1] >= last_limit:
        raise InvalidObservable(f"URL host {host!r} is out of the IPv4 range", value=host)
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number += value << (8 * (3 - index))
    return str(ipaddress.IPv4Address(number))


def _numeric_part(part: str) -> int | None:
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16) if all(c in _HEX for c in part[2:]) else None
        if len(part) > 1 and part[0] == "0":
            return int(part, 8) if all(c in "01234567" for c in part) else None
        return int(part) if part.isascii() and part.isdigit() else None
    except ValueError:
        return None


_HEX = frozenset("0123456789abcdefABCDEF")
