"""Special-purpose tables: documentation values are accepted but never deployed."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv6Address

import pytest

from phalanx.observables import InvalidObservable, ObservableType, never_deploy_reason, normalize
from phalanx.observables.reserved import V4_NEVER, V6_NEVER, V6_SPECIAL_TOP_HEXTETS

T = ObservableType


@pytest.mark.parametrize(
    ("value", "kind", "fragment"),
    [
        ("198.51.100.7", "ipv4", "198.51.100.0/24, documentation (TEST-NET-2, RFC 5737)"),
        ("192.0.2.1", "ipv4", "TEST-NET-1"),
        ("203.0.113.0/24", "cidr", "TEST-NET-3"),
        ("2001:db8::1", "ipv6", "documentation (RFC 3849)"),
        ("3fff::1", "ipv6", "documentation (RFC 9637)"),
        ("example.com", "domain", "example.com is a documentation name (RFC 2606)"),
        ("www.example.org", "domain", "documentation name"),
        ("evil.example", "domain", "'.example' is reserved for documentation"),
        ("evil.test", "domain", "never delegated (RFC 6761 §6.2)"),
        ("evil.invalid", "domain", "guaranteed never to resolve (RFC 6761 §6.4)"),
        ("duskgytldkxiuqc6.onion", "domain", "through Tor, never through DNS (RFC 7686)"),
        ("name.alt", "domain", "non-DNS namespaces (RFC 9476)"),
        ("john@evil.example", "email", "'.example'"),
        ("http://evil.example/x", "url", "'.example'"),
        ("http://198.51.100.7:8080/x", "url", "TEST-NET-2"),
        ("http://[2001:db8::1]/x", "url", "RFC 3849"),
        ("AS64496", "asn", "reserved for documentation (RFC 5398)"),
        ("AS65000", "asn", "private use (RFC 6996)"),
        ("AS23456", "asn", "AS_TRANS"),
        ("4294967295", "asn", "reserved (RFC 7300)"),
    ],
)
def test_accepted_but_never_deployed(value: str, kind: str, fragment: str) -> None:
    reason = never_deploy_reason(normalize(value, kind))
    assert reason is not None and fragment in reason


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("8.8.8.8", "ipv4"),
        ("2a00:1450::1", "ipv6"),
        ("8.0.0.0/8", "cidr"),
        ("evil.com", "domain"),
        ("notexample.com", "domain"),
        ("http://evil.com/x", "url"),
        ("john@evil.com", "email"),
        ("AS13335", "asn"),
        ("a9993e364706816aba3e25717850c26c9cd0d89d", "sha1"),
    ],
)
def test_ordinary_values_may_be_deployed(value: str, kind: str) -> None:
    assert never_deploy_reason(normalize(value, kind)) is None


def test_every_never_accepted_range_rejects_its_first_and_last_address() -> None:
    for table, version in ((V4_NEVER, 4), (V6_NEVER, 6)):
        for first, last, network, _ in table:
            for number in (first, last):
                text = str(ipaddress.ip_address(number) if version == 4 else IPv6Address(number))
                with pytest.raises(InvalidObservable) as caught:
                    normalize(text)
                assert "never accepted" in caught.value.reason, (network, text)


def test_special_top_hextets_cover_every_v6_range() -> None:
    for first, last, _, _ in V6_NEVER:
        assert first >> 112 in V6_SPECIAL_TOP_HEXTETS
        assert last >> 112 in V6_SPECIAL_TOP_HEXTETS


def test_is_global_is_not_the_test() -> None:
    # spec-notes §0.7: these are "global" to Python yet never acceptable indicators.
    for value in ("224.0.0.1", "ff02::1", "192.88.99.1", "64:ff9b::c633:6407"):
        assert ipaddress.ip_address(value).is_global or value.startswith("64:")
        with pytest.raises(InvalidObservable, match="never accepted"):
            normalize(value)
