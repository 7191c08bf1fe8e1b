"""Special-purpose addresses, names, hashes and AS numbers (spec-notes §6.4, §6.5). PURE.

Two tables per family, and they answer different questions:

* **never accepted** — values that cannot be an indicator at all (private, loopback, multicast,
  the empty file...). :mod:`normalize` rejects them with the range and its RFC. The table is
  explicit: ``ipaddress.is_global`` is not a "safe to block" test (spec-notes §0.7).
* **never deployed** — values that are fine to store and discuss, and which the whole test suite
  uses (documentation prefixes, ``example.com``, ``.test``, ``.onion``), but which must never go
  into a blocking feed. :func:`never_deploy_reason` says why.

Special-use names, decided per RFC 6761 §6 / RFC 6762 / RFC 7686:

=================  ==========================  =========================================
name               decision                    why
=================  ==========================  =========================================
localhost, *.      rejected                    always the loopback host (RFC 6761 §6.3)
*.local            rejected                    link-local multicast DNS (RFC 6762)
*.arpa             rejected                    infrastructure, e.g. in-addr.arpa (RFC 3172)
*.internal         rejected                    private-use TLD reserved by ICANN (2024)
*.test, *.invalid  accepted, never deployed    never delegated (RFC 6761 §6.2, §6.4)
*.example,         accepted, never deployed    documentation names (RFC 2606, RFC 6761 §6.5)
example.com/.net/.org
*.onion            accepted, never deployed    Tor names, never resolved by DNS (RFC 7686)
*.alt              accepted, never deployed    non-DNS namespaces (RFC 9476)
=================  ==========================  =========================================
"""

from __future__ import annotations

import ipaddress
from typing import Final

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable

# (network, description naming the RFC); more specific entries first.
_V4_NEVER: Final = (
    ("0.0.0.0/8", "'this network' (RFC 791, RFC 1122 §3.2.1.3)"),
    ("10.0.0.0/8", "private address space (RFC 1918)"),
    ("100.64.0.0/10", "shared address space for carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122 §3.2.1.3)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private address space (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.88.99.0/24", "the deprecated 6to4 relay anycast prefix (RFC 7526)"),
    ("192.168.0.0/16", "private address space (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("255.255.255.255/32", "the limited broadcast address (RFC 919)"),
    ("240.0.0.0/4", "reserved for future use (RFC 1112 §4)"),
)
_V4_DOCUMENTATION: Final = (
    ("192.0.2.0/24", "documentation (TEST-NET-1, RFC 5737)"),
    ("198.51.100.0/24", "documentation (TEST-NET-2, RFC 5737)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3, RFC 5737)"),
)
_V6_NEVER: Final = (
    ("::/128", "the unspecified address (RFC 4291 §2.5.2)"),
    ("::1/128", "loopback (RFC 4291 §2.5.3)"),
    ("::/96", "a deprecated IPv4-compatible address (RFC 4291 §2.5.5.1)"),
    ("64:ff9b::/96", "the NAT64 well-known prefix (RFC 6052)"),
    ("64:ff9b:1::/48", "the local-use NAT64 prefix (RFC 8215)"),
    ("100::/64", "the discard-only prefix (RFC 6666)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("fc00::/7", "unique local address space (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291 §2.5.6)"),
    ("fec0::/10", "deprecated site-local (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291 §2.7)"),
)
_V6_DOCUMENTATION: Final = (
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
)
# Prefixes that embed an IPv4 address in their last 32 bits (RFC 6052, RFC 8215).
NAT64_PREFIXES: Final = frozenset({"64:ff9b::/96"})


def _table(
    entries: tuple[tuple[str, str], ...], bits: int
) -> tuple[tuple[int, int, str, str], ...]:
    # (first, last, network text, description) as integers, for fast containment and overlap.
    rows = []
    for text, description in entries:
        network = ipaddress.ip_network(text)
        first = int(network.network_address)
        rows.append((first, first + (1 << (bits - network.prefixlen)) - 1, text, description))
    return tuple(rows)


V4_NEVER: Final = _table(_V4_NEVER, 32)
V4_DOCUMENTATION: Final = _table(_V4_DOCUMENTATION, 32)
V6_NEVER: Final = _table(_V6_NEVER, 128)
V6_DOCUMENTATION: Final = _table(_V6_DOCUMENTATION, 128)

# First octets with any special-purpose range, so most public addresses skip the table.
V4_SPECIAL_FIRST_OCTETS: Final = frozenset(
    octet
    for first, last, _, _ in V4_NEVER + V4_DOCUMENTATION
    for octet in range(first >> 24, (last >> 24) + 1)
)
# Leading 16-bit groups with any special-purpose IPv6 range (incl. ::/96 and ::ffff:0:0/96).
V6_SPECIAL_TOP_HEXTETS: Final = frozenset(
    hextet
    for first, last, _, _ in V6_NEVER + V6_DOCUMENTATION
    for hextet in range(first >> 112, (last >> 112) + 1)
)


def find_range(
    first: int, last: int, table: tuple[tuple[int, int, str, str], ...]
) -> tuple[str, str] | None:
    """Return (network, description) of the first table range that overlaps ``first..last``."""
    for low, high, network, description in table:
        if first <= high and low <= last:
            return network, description
    return None


# Top-level names rejected outright, with the reason shown to the contributor.
REJECTED_TLDS: Final = {
    "localhost": "'localhost' names always mean the local host (RFC 6761 §6.3)",
    "local": "'.local' names are link-local multicast DNS (RFC 6762)",
    "arpa": "names under '.arpa' are DNS infrastructure such as in-addr.arpa (RFC 3172)",
    "internal": "'.internal' is a private-use TLD reserved by ICANN (2024)",
}
_NEVER_DEPLOY_TLDS: Final = {
    "test": "'.test' is reserved for testing and never delegated (RFC 6761 §6.2)",
    "invalid": "'.invalid' is guaranteed never to resolve (RFC 6761 §6.4)",
    "example": "'.example' is reserved for documentation (RFC 2606, RFC 6761 §6.5)",
    "onion": "'.onion' names are reached through Tor, never through DNS (RFC 7686)",
    "alt": "'.alt' names belong to non-DNS namespaces (RFC 9476)",
}
_DOCUMENTATION_DOMAINS: Final = frozenset({"example.com", "example.net", "example.org"})

EMPTY_FILE_HASHES: Final = {
    "d41d8cd98f00b204e9800998ecf8427e": "MD5",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709": "SHA-1",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "SHA-256",
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e": "SHA-512",
}

# AS numbers that are valid syntax but never identify one real network (RFC 6996 etc.).
_ASN_NEVER_DEPLOY: Final = (
    (23456, 23456, "AS 23456 is AS_TRANS, a placeholder for 4-byte AS numbers (RFC 6793)"),
    (64496, 64511, "AS 64496-64511 are reserved for documentation (RFC 5398)"),
    (64512, 65534, "AS 64512-65534 are for private use (RFC 6996)"),
    (65535, 65535, "AS 65535 is reserved (RFC 7300)"),
    (65536, 65551, "AS 65536-65551 are reserved for documentation (RFC 5398)"),
    (4200000000, 4294967294, "AS 4200000000-4294967294 are for private use (RFC 6996)"),
    (4294967295, 4294967295, "AS 4294967295 is reserved (RFC 7300)"),
)


def rejected_name_reason(name: str) -> str | None:
    """Return why the A-label domain ``name`` can never be an indicator, or None."""
    reason = REJECTED_TLDS.get(name.rpartition(".")[2])
    return None if reason is None else f"{name}: {reason}, so it is never accepted as an indicator"


def name_never_deploy_reason(name: str) -> str | None:
    """Return why the A-label domain ``name`` must never reach a blocking feed, or None."""
    reason = _NEVER_DEPLOY_TLDS.get(name.rpartition(".")[2])
    if reason is not None:
        return reason
    if name in _DOCUMENTATION_DOMAINS or name.endswith(_DOCUMENTATION_SUFFIXES):
        return f"{name} is a documentation name (RFC 2606)"
    return None


_DOCUMENTATION_SUFFIXES: Final = tuple("." + name for name in sorted(_DOCUMENTATION_DOMAINS))


def _address_never_deploy_reason(text: str) -> str | None:
    network = ipaddress.ip_network(text, strict=False)
    bits, table = (32, V4_DOCUMENTATION) if network.version == 4 else (128, V6_DOCUMENTATION)
    first = int(network.network_address)
    found = find_range(first, first + (1 << (bits - network.prefixlen)) - 1, table)
    return None if found is None else f"{text} is in {found[0]}, {found[1]}"


def never_deploy_reason(obs: Observable) -> str | None:
    """Return why ``obs`` must never go into a blocking feed (documentation, .test...), or None."""
    kind = obs.type
    if kind in (ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR):
        return _address_never_deploy_reason(obs.value)
    if kind is ObservableType.DOMAIN:
        return name_never_deploy_reason(obs.value)
    if kind is ObservableType.EMAIL:
        return name_never_deploy_reason(obs.value.rpartition("@")[2])
    if kind is ObservableType.URL:
        return _url_never_deploy_reason(obs.value)
    if kind is ObservableType.ASN:
        number = int(obs.value)
        return next((why for low, high, why in _ASN_NEVER_DEPLOY if low <= number <= high), None)
    return None


def _url_never_deploy_reason(url: str) -> str | None:
    authority = url.partition("://")[2].split("/", 1)[0].rpartition("@")[2]
    if authority.startswith("["):
        return _address_never_deploy_reason(authority[1:].partition("]")[0])
    host = authority.partition(":")[0]
    if host.replace(".", "").isdigit():
        return _address_never_deploy_reason(host)
    return name_never_deploy_reason(host)
