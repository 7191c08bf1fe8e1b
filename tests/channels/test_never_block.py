"""The never-block table of spec-notes §6.5, checked against ipaddress."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phalanx.channels import never_block


@pytest.mark.parametrize(
    "value",
    [
        "10.1.2.3",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.1.1",
        "172.31.255.255",
        "192.0.2.10",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
    ],
)
def test_reserved_ipv4_addresses(value: str) -> None:
    assert never_block.ipv4_reason(value) == "reserved-range"
    assert never_block.network_reason(value) == "reserved-range"


@pytest.mark.parametrize(
    "value",
    [
        "::1",
        "::",
        "::ffff:45.77.1.2",
        "64:ff9b::2d4d:102",
        "2001::1",
        "2001:db8::1",
        "2002:2d4d:102::1",
        "3fff::1",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "100::1",
    ],
)
def test_reserved_ipv6_addresses(value: str) -> None:
    assert never_block.network_reason(value) == "reserved-range"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("45.77.0.0/16", None),
        ("8.0.0.0/7", "too-broad"),
        ("2a00::/16", "too-broad"),
        ("2a00:1450::/32", None),
        ("10.0.0.0/8", "reserved-range"),
        ("16.0.0.0/4", "too-broad"),
        ("192.0.0.0/16", "reserved-range"),  # overlaps 192.0.2.0/24 and 192.0.0.0/24
        ("45.77.1.2/24", "invalid"),  # host bits set
        ("45.77.1.2", None),
    ],
)
def test_networks(value: str, reason: str | None) -> None:
    assert never_block.network_reason(value) == reason


@pytest.mark.parametrize("value", ["45.77.1.2", "185.220.101.7", "1.1.1.1"])
def test_public_ipv4_passes(value: str) -> None:
    assert never_block.ipv4_reason(value) is None


@pytest.mark.parametrize("value", ["010.1.1.1", "1.2.3", "256.1.1.1", " 1.2.3.4", "1.2.3.4\n"])
def test_non_canonical_ipv4_is_invalid(value: str) -> None:
    assert never_block.ipv4_reason(value) == "invalid"


@pytest.mark.parametrize(
    "value",
    [
        "45.77.0.0/016",
        "45.77.0.0/",
        "45.77.0.0/33",
        "2a00::/129",
        "fe80::1%eth0",
        "2a00::/٣٢",
        "x/8",
    ],
)
def test_malformed_blocks_are_invalid(value: str) -> None:
    assert never_block.parse_block(value) == "invalid"


RESERVED = [ipaddress.ip_network(c) for c in never_block._V4_RESERVED + never_block._V6_RESERVED]


@given(st.ip_addresses(), st.integers(0, 128))
def test_blocks_agree_with_ipaddress(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int
) -> None:
    prefix = min(prefix, address.max_prefixlen)
    network = ipaddress.ip_network((int(address), prefix), strict=False)
    single = prefix == address.max_prefixlen
    text = str(network.network_address) if single else str(network)
    parsed = never_block.parse_block(text)
    if prefix < (8 if network.version == 4 else 32):
        assert parsed == "too-broad"
    elif any(network.version == r.version and network.overlaps(r) for r in RESERVED):
        assert parsed == "reserved-range"
    else:
        assert parsed == (network.version, int(network.network_address), prefix)
        assert never_block.block_text(parsed) == text


@given(st.ip_addresses(v=4))
def test_ipv4_fast_path_agrees_with_ipaddress(address: ipaddress.IPv4Address) -> None:
    assert never_block.parse_ipv4(str(address)) == int(address)
    assert never_block.ipv4_reason(str(address)) == never_block.network_reason(str(address))


def test_reserved_spans_do_not_overlap() -> None:
    # The bisect in _overlaps relies on disjoint spans.
    for table in (never_block._V4_RESERVED, never_block._V6_RESERVED):
        networks = [ipaddress.ip_network(cidr) for cidr in table]
        for i, first in enumerate(networks):
            for second in networks[i + 1 :]:
                assert not first.overlaps(second), (first, second)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("evil-phx.xyz", None),
        ("login.bad-phx.co.uk", None),
        ("xn--fa-hia.de", None),
        ("com", "single-label"),
        ("localhost", "single-label"),
        ("printer.local", "special-use-name"),
        ("www.example.com", "special-use-name"),
        ("example.org", "special-use-name"),
        ("foo.test", "special-use-name"),
        ("abc.onion", "special-use-name"),
        ("1.0.0.127.in-addr.arpa", "special-use-name"),
        ("32.7.100.51.198.rpz-ip", "invalid"),
        ("evil.example;x", "invalid"),
        ("a b.com", "invalid"),
        ("*.evil-phx.xyz", "invalid"),
        ("EVIL-PHX.XYZ", "invalid"),
        ("evil-phx.xyz.", "invalid"),
        ("-bad.xyz", "invalid"),
        ("a" * 64 + ".xyz", "invalid"),
    ],
)
def test_domains(name: str, reason: str | None) -> None:
    assert never_block.domain_reason(name) == reason


def test_empty_file_hashes() -> None:
    assert never_block.hash_reason("d41d8cd98f00b204e9800998ecf8427e") == "empty-file-hash"
    assert never_block.hash_reason("0cc175b9c0f1b6a831c399e269772661") is None


@given(st.ip_addresses(v=6))
def test_format_ipv6_is_rfc_5952(address: ipaddress.IPv6Address) -> None:
    if address.ipv4_mapped is None:  # ipaddress may print those with a dotted quad
        assert never_block.format_ipv6(int(address)) == address.compressed


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:1.2.3.4", "::ffff:102:304"),
    ],
)
def test_format_ipv6_examples(text: str, canonical: str) -> None:
    assert never_block.format_ipv6(int(ipaddress.IPv6Address(text))) == canonical


LABELS = [
    "evil",
    "example",
    "com",
    "org",
    "local",
    "arpa",
    "onion",
    "xn--fa-hia",
    "a_b",
    "-x",
    "",
    "EX",
    "1",
    "alt",
    "test",
    "in-addr",
    "x" * 64,
]


@given(st.lists(st.sampled_from(LABELS), min_size=1, max_size=5).map(".".join))
def test_domain_fast_path_agrees_with_the_rules(name: str) -> None:
    if "." not in name:
        expected = "single-label"
    elif never_block._DOMAIN.fullmatch(name) is None:
        expected = "invalid"
    elif any(name == s or name.endswith("." + s) for s in never_block.SPECIAL_USE_NAMES):
        expected = "special-use-name"
    else:
        expected = None
    assert never_block.domain_reason(name) == expected
