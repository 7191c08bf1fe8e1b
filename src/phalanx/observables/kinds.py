"""Observable kinds: the closed vocabulary every other package uses.

A kind is what an observable *is* (an IPv4 address, a SHA-256, a YARA rule). Families group
kinds for filters and agreements (``hash`` covers md5/sha1/sha256/sha512).
"""

from __future__ import annotations

from enum import StrEnum


class ObservableType(StrEnum):
    """Every observable kind Phalanx stores."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    ASN = "asn"
    YARA = "yara"
    SURICATA = "suricata"
    SIGMA = "sigma"
    STIX_PATTERN = "stix-pattern"


HASH_TYPES = frozenset(
    {ObservableType.MD5, ObservableType.SHA1, ObservableType.SHA256, ObservableType.SHA512}
)
RULE_TYPES = frozenset(
    {
        ObservableType.YARA,
        ObservableType.SURICATA,
        ObservableType.SIGMA,
        ObservableType.STIX_PATTERN,
    }
)
NETWORK_TYPES = frozenset(
    {
        ObservableType.IPV4,
        ObservableType.IPV6,
        ObservableType.CIDR,
        ObservableType.DOMAIN,
        ObservableType.URL,
        ObservableType.EMAIL,
        ObservableType.ASN,
    }
)

HASH_LENGTHS = {
    ObservableType.MD5: 32,
    ObservableType.SHA1: 40,
    ObservableType.SHA256: 64,
    ObservableType.SHA512: 128,
}

# Families usable wherever a list of kinds is accepted (channel filters, agreements).
FAMILIES: dict[str, frozenset[ObservableType]] = {
    "ip": frozenset({ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR}),
    "hash": HASH_TYPES,
    "rule": RULE_TYPES,
}


def parse_type(name: str) -> ObservableType:
    """Return the kind named ``name`` (case-insensitive); raise ValueError with the valid names."""
    try:
        return ObservableType(name.strip().lower())
    except ValueError:
        valid = ", ".join(t.value for t in ObservableType)
        raise ValueError(f"unknown observable type {name!r}; expected one of: {valid}") from None


def expand_kinds(names: list[str] | tuple[str, ...]) -> frozenset[ObservableType]:
    """Expand kind names and family names (``ip``, ``hash``, ``rule``) into kinds."""
    kinds: set[ObservableType] = set()
    for name in names:
        key = name.strip().lower()
        if key in FAMILIES:
            kinds |= FAMILIES[key]
        else:
            kinds.add(parse_type(key))
    return frozenset(kinds)
