"""STIX patterns: templates out, simple patterns back to observables (spec-notes §2.6)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.patterns import (
    observables_from_pattern,
    pattern_for,
    pattern_type_for,
    quote,
)
from phalanx.observables.kinds import ObservableType as T
from phalanx.observables.model import Observable

SHA256 = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"


@pytest.mark.parametrize(
    ("obs", "pattern"),
    [
        (Observable(T.IPV4, "198.51.100.1"), "[ipv4-addr:value = '198.51.100.1']"),
        (Observable(T.CIDR, "198.51.100.0/24"), "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
        (Observable(T.IPV6, "2001:db8::1"), "[ipv6-addr:value = '2001:db8::1']"),
        (Observable(T.CIDR, "2001:db8::/32"), "[ipv6-addr:value ISSUBSET '2001:db8::/32']"),
        (Observable(T.DOMAIN, "evil.example"), "[domain-name:value = 'evil.example']"),
        (Observable(T.URL, "http://evil.example/a"), "[url:value = 'http://evil.example/a']"),
        (Observable(T.EMAIL, "bad@evil.example"), "[email-addr:value = 'bad@evil.example']"),
        (Observable(T.SHA256, SHA256), f"[file:hashes.'SHA-256' = '{SHA256}']"),
        (Observable(T.MD5, "0" * 32), f"[file:hashes.MD5 = '{'0' * 32}']"),
        (Observable(T.SHA1, "a" * 40), f"[file:hashes.'SHA-1' = '{'a' * 40}']"),
        (Observable(T.SHA512, "b" * 128), f"[file:hashes.'SHA-512' = '{'b' * 128}']"),
        (Observable(T.ASN, "174"), "[autonomous-system:number = 174]"),
        (
            Observable(T.URL, "http://e.example/it's\\x"),
            "[url:value = 'http://e.example/it\\'s\\\\x']",
        ),
    ],
)
def test_templates(obs: Observable, pattern: str) -> None:
    assert pattern_for(obs) == pattern
    assert pattern_type_for(obs) == "stix"
    assert run_validator(pattern, stix_version="2.1") == []


def test_hashes_are_written_lowercase() -> None:
    # Pattern comparison is code-point exact (spec-notes §0.6).
    assert pattern_for(Observable(T.MD5, "ABCDEF" + "0" * 26)) == (
        f"[file:hashes.MD5 = 'abcdef{'0' * 26}']"
    )


@pytest.mark.parametrize("kind", [T.YARA, T.SURICATA, T.SIGMA])
def test_rule_kinds_are_their_own_pattern(kind: T) -> None:
    body = "rule demo { condition: true }"
    assert pattern_for(Observable(kind, body)) == body
    assert pattern_type_for(Observable(kind, body)) == kind.value


def test_stix_pattern_kind_is_its_own_stix_pattern() -> None:
    pattern = "[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES"
    assert pattern_for(Observable(T.STIX_PATTERN, pattern)) == pattern
    assert pattern_type_for(Observable(T.STIX_PATTERN, pattern)) == "stix"


def test_quote_escapes_only_quote_and_backslash() -> None:
    assert quote("a'b\\c\"d\n") == "'a\\'b\\\\c\"d\n'"


# --- round trip with random canonical values -------------------------------------------------

_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_DOMAIN = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "example", "xn--p1ai"]),
)


def _cidr(version: int) -> st.SearchStrategy[str]:
    bits = 32 if version == 4 else 128
    address = st.integers(0, 2**bits - 1)
    return st.builds(
        lambda a, p: str(ipaddress.ip_network((a, p), strict=False)),
        address,
        st.integers(0, bits - 1),
    )


def _hex(length: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=length, max_size=length)


CANONICAL = st.one_of(
    st.builds(
        lambda n: Observable(T.IPV4, str(ipaddress.IPv4Address(n))), st.integers(0, 2**32 - 1)
    ),
    st.builds(
        lambda n: Observable(T.IPV6, str(ipaddress.IPv6Address(n))), st.integers(0, 2**128 - 1)
    ),
    st.builds(lambda c: Observable(T.CIDR, c), _cidr(4) | _cidr(6)),
    st.builds(lambda d: Observable(T.DOMAIN, d), _DOMAIN),
    st.builds(
        lambda d, path: Observable(T.URL, f"https://{d}/{path}"),
        _DOMAIN,
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF), max_size=30),
    ),
    st.builds(lambda user, d: Observable(T.EMAIL, f"{user}@{d}"), _LABEL, _DOMAIN),
    st.builds(lambda h: Observable(T.MD5, h), _hex(32)),
    st.builds(lambda h: Observable(T.SHA1, h), _hex(40)),
    st.builds(lambda h: Observable(T.SHA256, h), _hex(64)),
    st.builds(lambda h: Observable(T.SHA512, h), _hex(128)),
    st.builds(lambda n: Observable(T.ASN, str(n)), st.integers(0, 2**32 - 1)),
)


@settings(deadline=None)  # the antlr parser's first calls are slow on a cold worker
@given(CANONICAL)
def test_round_trip(obs: Observable) -> None:
    pattern = pattern_for(obs)
    assert run_validator(pattern, stix_version="2.1") == []
    assert observables_from_pattern(pattern) == [(obs.type.value, obs.value)]


@settings(deadline=None)
@given(st.lists(CANONICAL, min_size=2, max_size=4, unique=True))
def test_or_of_observations_gives_each(observables: list[Observable]) -> None:
    pattern = " OR ".join(pattern_for(obs) for obs in observables)
    assert observables_from_pattern(pattern) == [(obs.type.value, obs.value) for obs in observables]


# --- simple patterns, including what misp-stix writes -----------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '198.51.100.1/32']", [("ipv4", "198.51.100.1/32")]),
        ("[ipv4-addr:value = '198.51.100.0/24']", [("cidr", "198.51.100.0/24")]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.7']", [("ipv4", "198.51.100.7")]),
        ("[ipv6-addr:value = '2001:db8::1/128']", [("ipv6", "2001:db8::1/128")]),
        (
            "[domain-name:value = 'a.example' OR url:value = 'http://b.example/']",
            [("domain", "a.example"), ("url", "http://b.example/")],
        ),
        (
            "[email-addr:value IN ('a@b.example', 'c@d.example')]",
            [("email", "a@b.example"), ("email", "c@d.example")],
        ),
        ("([domain-name:value = 'a.example'])", [("domain", "a.example")]),
        ("[(domain-name:value = 'a.example')]", [("domain", "a.example")]),
        (
            "[domain-name:value = 'a.example'] OR [domain-name:value = 'a.example']",
            [("domain", "a.example")],
        ),
        (
            "[file:hashes.sha256 = 'ab'] OR [file:hashes.'sha-1' = 'cd']",
            [("sha256", "ab"), ("sha1", "cd")],
        ),
        (
            f"[file:hashes.MD5 = '{'1' * 32}' AND file:hashes.'SHA-256' = '{SHA256}']",
            [("md5", "1" * 32), ("sha256", SHA256)],
        ),
        ("[network-traffic:dst_ref.value = '198.51.100.9']", [("ipv4", "198.51.100.9")]),
        ("[network-traffic:dst_ref.value = 'c2.example']", [("domain", "c2.example")]),
        ("[network-traffic:dst_ref.value ISSUBSET '2001:db8::/64']", [("cidr", "2001:db8::/64")]),
        # MISP/misp-stix tests/test_stix21_bundles.py: ip-src, ip-dst, ip-src|port, ip-dst|port,
        # AS, domain|ip; tests/test_stix20_bundles.py: hostname|port.
        (
            "[network-traffic:src_ref.type = 'ipv4-addr' "
            "AND network-traffic:src_ref.value = '1.2.3.4']",
            [("ipv4", "1.2.3.4")],
        ),
        (
            "[network-traffic:dst_ref.type = 'ipv4-addr' "
            "AND network-traffic:dst_ref.value = '5.6.7.8']",
            [("ipv4", "5.6.7.8")],
        ),
        (
            "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = "
            "'1.2.3.4' AND network-traffic:src_port = '1234']",
            [("ipv4", "1.2.3.4")],
        ),
        (
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'5.6.7.8' AND network-traffic:dst_port = '5678']",
            [("ipv4", "5.6.7.8")],
        ),
        (
            "[network-traffic:dst_ref.type = 'ipv6-addr' "
            "AND network-traffic:dst_ref.value = '2001:db8::/48']",
            [("cidr", "2001:db8::/48")],
        ),
        (
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
            "'imddos.my03.com' AND network-traffic:dst_port = 9090]",
            [("domain", "imddos.my03.com")],
        ),
        ("[autonomous-system:number = '174']", [("asn", "174")]),
        (
            "[domain-name:value = 'circl.lu' "
            "AND domain-name:resolves_to_refs[*].value = '149.13.33.14']",
            [("domain", "circl.lu"), ("ipv4", "149.13.33.14")],
        ),
        (
            "[domain-name:value = 'circl.lu' AND network-traffic:dst_port = '8443']",
            [("domain", "circl.lu")],
        ),
    ],
)
def test_simple_patterns(pattern: str, expected: list[tuple[str, str]]) -> None:
    assert observables_from_pattern(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value != '198.51.100.1']",
        "[ipv4-addr:value NOT = '198.51.100.1']",
        "[ipv4-addr:value NOT IN ('198.51.100.1')]",
        "[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']",
        "[domain-name:value LIKE '%.evil.example']",
        "[url:value MATCHES '^http://evil']",
        "[ipv4-addr:value = '198.51.100.1'] WITHIN 300 SECONDS",
        "[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES",
        "[ipv4-addr:value = '198.51.100.1'] START t'2016-06-01T00:00:00Z' "
        "STOP t'2016-07-01T00:00:00Z'",
        "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'evil.example']",
        "[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'evil.example']",
        "[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'evil.example']",
        "[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value = '198.51.100.2']",
        "[file:name = 'payload.exe']",
        "[file:hashes.MD5 = 'abc' AND file:name = 'payload.exe']",
        "[file:hashes.'SHA3-256' = 'abc']",
        "[file:hashes.TLSH = 'abc']",
        "[file:size > 1000]",
        "[ipv4-addr:value = 7]",
        "[domain-name:value ISSUBSET 'evil.example']",
        "[network-traffic:dst_ref.value ISSUBSET 'evil.example']",
        "[network-traffic:dst_port = 443]",
        "[network-traffic:dst_ref.type = 'mac-addr' "
        "AND network-traffic:dst_ref.value = 'aa:bb:cc:dd:ee:ff']",
        "[network-traffic:src_ref.value = '1.2.3.4' AND network-traffic:dst_ref.value = '5.6.7.8']",
        "[domain-name:resolves_to_refs[*].value = '198.51.100.1']",
        "[ipv4-addr:value IN ()]",
        "[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5') "
        "AND ipv4-addr:value = '1.2.3.6']",
        "[artifact:payload_bin = b'aGVsbG8=']",
        "[x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
    ],
)
def test_complex_patterns_are_kept_whole(pattern: str) -> None:
    assert observables_from_pattern(pattern) == [("stix-pattern", pattern)]


@pytest.mark.parametrize(
    "pattern",
    ["", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = ", "[file:hashes.SHA-256 = 'ab']"],
)
def test_invalid_patterns_raise_with_the_parser_message(pattern: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        observables_from_pattern(pattern)
    assert caught.value.field == "pattern"
    assert caught.value.reason.startswith("invalid STIX pattern: 1:")


def test_every_kind_has_a_pattern() -> None:
    # Every kind has a pattern: value kinds a template, rule kinds their body.
    for kind in T:
        value = "1" if kind is T.ASN else ("198.51.100.0/24" if kind is T.CIDR else "x")
        assert pattern_for(Observable(kind, value))


# --- the OASIS examples ----------------------------------------------------------------------

EXAMPLE_OBSERVABLES = {
    "indicator--031778a4-057f-48e6-9db9-c8d72b81ccd5": [("cidr", "223.166.0.0/15")],
    "indicator--da1d061b-2bc9-467a-b16f-8d14f468e1f0": [("cidr", "58.246.0.0/15")],
    "indicator--2173d108-5714-42fd-8213-4f3790259fda": [("cidr", "112.64.0.0/15")],
    "indicator--8ce03314-dfea-4498-ac9b-136e41ab00e4": [("cidr", "139.226.0.0/15")],
    "indicator--3f3ff9f1-bb4e-4392-89e5-1991179042ba": [("domain", "hugesoft.org")],
    "indicator--8390fd29-24ed-45d4-84d7-c5e5feaf195d": [("domain", "arrowservice.net")],
    "indicator--1002c58e-cbde-4930-b5ee-490037fd4f7e": [("domain", "msnhome.org")],
    "indicator--8d12f44f-8ac0-4b12-8b4a-3699ca8c9691": [
        ("md5", "001dd76872d80801692ff942308c64e6")
    ],
    "indicator--745e1537-b4f3-49da-9f64-df6b1b5df190": [
        ("md5", "002325a0a67fded0381b5648d7fe9b8e")
    ],
    "indicator--1dbe6ed0-c305-458f-9cce-f83c678f5afd": [
        ("md5", "00dbb9e1c09dbdafb360f3163ba5a3de")
    ],
    "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f": [("url", "http://x4z9arb.cn/4712/")],
    "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade": [
        ("sha256", "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")
    ],
    "indicator--9299f726-ce06-492e-8472-2b52ccb53191": [("url", "http://paypa1.banking.com")],
    "indicator--14975dea-86cd-4211-a5f8-9c2e4daab69a": [
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    ],
    "indicator--53fe3b22-0201-47cf-85d0-97c02164528d": [("ipv4", "10.0.0.0")],
}
EXAMPLE_COMPLEX = {
    "indicator--b3b6b540-d838-41e2-853b-005056c00008",  # x509 issuer AND serial
    "indicator--b3b7035e-d838-41e2-8d38-005056c00008",
    "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1",  # MATCHES
    "indicator--a35dbed6-9b9c-442e-aaff-4aeeb88a43ef",  # hash AND name AND size
    "indicator--8cf9236f-1b96-493d-98be-0c1c1e8b62d7",
    "indicator--2e17f6fe-3a4d-438a-911a-e509ba1b9933",
}


def test_every_example_indicator_parses(stix_data: Path) -> None:
    seen: set[str] = set()
    for path in sorted((stix_data / "examples").rglob("*.json")):
        for obj in json.loads(path.read_text())["objects"]:
            if obj["type"] != "indicator" or obj["pattern_type"] != "stix":
                continue
            seen.add(obj["id"])
            found = observables_from_pattern(obj["pattern"])
            if obj["id"] in EXAMPLE_COMPLEX:
                assert found == [("stix-pattern", obj["pattern"])]
            else:
                assert found == EXAMPLE_OBSERVABLES[obj["id"]], path.name
    assert seen == set(EXAMPLE_OBSERVABLES) | EXAMPLE_COMPLEX


def test_a_full_length_subset_is_a_one_host_network() -> None:
    # Found by hypothesis: '0.0.0.0/32' written as a CIDR came back as an address.
    pattern = "[ipv4-addr:value = '0.0.0.0'] OR [ipv4-addr:value ISSUBSET '0.0.0.0/32']"
    assert observables_from_pattern(pattern) == [("ipv4", "0.0.0.0"), ("cidr", "0.0.0.0/32")]
    assert observables_from_pattern("[ipv4-addr:value = '10.0.0.1/32']") == [
        ("ipv4", "10.0.0.1/32")
    ]
