"""SCOs to observables and back (spec-notes §2.2, §2.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.scos import (
    address_kind,
    hash_kind,
    ip_kind,
    observables_from_sco,
    sco_for,
)
from phalanx.observables.kinds import ObservableType as T
from phalanx.observables.model import Observable

AssertValid = Callable[[dict[str, Any]], None]
SHA256 = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"


@pytest.mark.parametrize(
    ("sco", "expected"),
    [
        ({"type": "ipv4-addr", "value": "198.51.100.3"}, [("ipv4", "198.51.100.3")]),
        ({"type": "ipv4-addr", "value": "198.51.100.3/32"}, [("ipv4", "198.51.100.3/32")]),
        ({"type": "ipv4-addr", "value": "198.51.100.0/24"}, [("cidr", "198.51.100.0/24")]),
        ({"type": "ipv6-addr", "value": "2001:0db8::/96"}, [("cidr", "2001:0db8::/96")]),
        ({"type": "ipv6-addr", "value": "2001:db8::1"}, [("ipv6", "2001:db8::1")]),
        ({"type": "domain-name", "value": "example.com"}, [("domain", "example.com")]),
        ({"type": "url", "value": "https://example.com/a"}, [("url", "https://example.com/a")]),
        ({"type": "email-addr", "value": "john@example.com"}, [("email", "john@example.com")]),
        ({"type": "autonomous-system", "number": 15139}, [("asn", "15139")]),
        (
            {
                "type": "file",
                "hashes": {
                    "MD5": "1" * 32,
                    "SHA-1": "2" * 40,
                    "SHA-256": "3" * 64,
                    "SHA-512": "4" * 128,
                    "SHA3-256": "5" * 64,
                    "TLSH": "T1" + "6" * 70,
                },
                "name": "x.exe",
            },
            [("md5", "1" * 32), ("sha1", "2" * 40), ("sha256", "3" * 64), ("sha512", "4" * 128)],
        ),
        ({"type": "file", "name": "test_file_name"}, []),
        ({"type": "network-traffic", "dst_ref": "ipv4-addr--x", "protocols": ["tcp"]}, []),
        ({"type": "mac-addr", "value": "d2:fb:49:24:37:18"}, []),
    ],
)
def test_observables_from_sco(sco: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert observables_from_sco(sco) == expected


@pytest.mark.parametrize(
    ("sco", "field"),
    [
        ({"type": "ipv4-addr"}, "value"),
        ({"type": "domain-name", "value": ""}, "value"),
        ({"type": "url", "value": 7}, "value"),
        ({"type": "autonomous-system", "number": "174"}, "number"),
        ({"type": "autonomous-system", "number": True}, "number"),
        ({"type": "file", "hashes": ["MD5"]}, "hashes"),
        ({"type": "file", "hashes": {"MD5": 5}}, "hashes.MD5"),
    ],
)
def test_broken_scos_name_the_field(sco: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        observables_from_sco(sco)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (
            Observable(T.IPV4, "198.51.100.3"),
            {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
                "value": "198.51.100.3",
            },
        ),
        (
            Observable(T.CIDR, "2001:0db8::/96"),
            {
                "type": "ipv6-addr",
                "spec_version": "2.1",
                "id": "ipv6-addr--084d3b4c-7785-568a-a569-0c61c95754ab",
                "value": "2001:0db8::/96",
            },
        ),
        (
            Observable(T.DOMAIN, "example.com"),
            {
                "type": "domain-name",
                "spec_version": "2.1",
                "id": "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7",
                "value": "example.com",
            },
        ),
        (
            Observable(T.URL, "https://example.com/research/index.html"),
            {
                "type": "url",
                "spec_version": "2.1",
                "id": "url--47c3cf9a-5027-5bf0-997a-017c7edc7c55",
                "value": "https://example.com/research/index.html",
            },
        ),
        (
            Observable(T.EMAIL, "john@example.com"),
            {
                "type": "email-addr",
                "spec_version": "2.1",
                "id": "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934",
                "value": "john@example.com",
            },
        ),
    ],
)
def test_sco_for_matches_the_spec_vectors(obs: Observable, expected: dict[str, Any]) -> None:
    assert sco_for(obs) == expected


def test_sco_for_file_and_asn_validate_and_read_back(assert_valid_stix: AssertValid) -> None:
    file_sco = sco_for(Observable(T.SHA256, SHA256))
    asn_sco = sco_for(Observable(T.ASN, "64500"))
    assert file_sco["hashes"] == {"SHA-256": SHA256}
    assert file_sco["id"].startswith("file--")
    assert asn_sco["number"] == 64500
    for sco in (file_sco, asn_sco):
        assert_valid_stix(sco)
    assert observables_from_sco(file_sco) == [("sha256", SHA256)]
    assert observables_from_sco(asn_sco) == [("asn", "64500")]


def test_sco_for_rule_kinds_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        sco_for(Observable(T.YARA, "rule x { condition: true }"))
    assert caught.value.field == "type"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("MD5", "md5"),
        ("SHA-1", "sha1"),
        ("sha256", "sha256"),
        ("SHA_512", "sha512"),
        ("SSDEEP", None),
    ],
)
def test_hash_kind(name: str, kind: str | None) -> None:
    assert hash_kind(name) == kind


@pytest.mark.parametrize(
    ("raw", "version", "kind"),
    [
        ("10.0.0.0/8", 4, "cidr"),
        ("10.0.0.1/32", 4, "ipv4"),
        ("10.0.0.1", 4, "ipv4"),
        ("10.0.0.1/x", 4, "ipv4"),
        ("2001:db8::/127", 6, "cidr"),
        ("2001:db8::1/128", 6, "ipv6"),
    ],
)
def test_ip_kind(raw: str, version: int, kind: str) -> None:
    assert ip_kind(raw, version) == kind


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("198.51.100.1", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("10.0.0.0/8", "cidr"),
        ("evil.example", "domain"),
    ],
)
def test_address_kind(raw: str, kind: str) -> None:
    assert address_kind(raw) == kind
