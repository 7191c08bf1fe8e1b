"""Free-text extraction on threat-report paragraphs, defanged and not."""

# ruff: noqa: E501  (the sample paragraphs keep the line breaks a report would have)

from __future__ import annotations

from phalanx.observables import Extraction, ObservableType, extract_observables

T = ObservableType

DEFANGED_REPORT = """\
On 3 March the operators of the "Kettle" loader switched C2 to hxxps://update-check[.]evil[.]example/api/v2/beacon?id=7
and a fallback at 198.51.100[.]23:443. Phishing mail came from billing[at]invoices-portal[.]example, with an
attachment invoice.pdf that drops payload.zip (SHA-256 FE90A7E910CB3A4739BED9180E807E93FA70C90F25A8915476F5E4BFBAC681DB).
Internally the implant talked to 10.20.30.40 and ws01.corp.local; see also e.g. version 1.2.3 of the tool.
"""

PLAIN_REPORT = """\
The actor registered evil-cdn.example.net and bücher-login.example, hosted on AS64496 (2001:db8:ab::7).
Block 203.0.113.0/24 and http://203.0.113.9/stage2.bin; MD5 5d41402abc4b2a76b9719d911017c592,
SHA-1 a9993e364706816aba3e25717850c26c9cd0d89d. Avoid 010.1.1.1 style typos. The page at
https://evil-cdn.example.net/login.php?next=/account (mirrored at https://evil-cdn.example.net/login.php?next=/account)
also contacts evil-cdn.example.net directly. Timestamp 12:30:45, MAC 00:1a:2b:3c:4d:5e.
"""

RULES_REPORT = """\
Detection for the Kettle C2 (c2[.]kettle[.]example):

rule kettle_loader
{
  strings:
    $c2 = "c2.kettle-other.example"
    $h = "d41d8cd98f00b204e9800998ecf8427e"
  condition:
    any of them
}

alert dns any any -> any any (msg:"Kettle hxxp C2"; dns.query; content:"beacon.kettle.example"; sid:9000001;)

```sigma
title: Kettle beacon
detection:
  selection:
    query: 'sigma.kettle.example'
  condition: selection
```
After the rules, the actor also used 192.0.2.44.
"""


def _values(found: list[Extraction]) -> list[tuple[str, str]]:
    return [(obs.type.value, obs.value) for item in found if (obs := item.observable) is not None]


def _errors(found: list[Extraction]) -> dict[str, str]:
    return {item.raw: item.error.reason for item in found if item.error is not None}


def test_defanged_report() -> None:
    found = extract_observables(DEFANGED_REPORT)
    assert _values(found) == [
        ("url", "https://update-check.evil.example/api/v2/beacon?id=7"),
        ("ipv4", "198.51.100.23"),
        ("email", "billing@invoices-portal.example"),
        ("sha256", "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"),
    ]
    errors = _errors(found)
    assert "private address space (RFC 1918)" in errors["10.20.30.40"]
    assert "link-local multicast DNS (RFC 6762)" in errors["ws01.corp.local"]
    assert len(errors) == 2


def test_raw_and_offsets_point_at_what_the_author_wrote() -> None:
    for item in extract_observables(DEFANGED_REPORT) + extract_observables(PLAIN_REPORT):
        assert DEFANGED_REPORT[item.start : item.end] == item.raw or (
            PLAIN_REPORT[item.start : item.end] == item.raw
        )
    first = extract_observables(DEFANGED_REPORT)[0]
    assert first.raw == "hxxps://update-check[.]evil[.]example/api/v2/beacon?id=7"


def test_plain_report_deduplicates_and_skips_hosts_inside_urls() -> None:
    found = extract_observables(PLAIN_REPORT)
    assert _values(found) == [
        ("domain", "evil-cdn.example.net"),
        ("domain", "xn--bcher-login-thb.example"),
        ("asn", "64496"),
        ("ipv6", "2001:db8:ab::7"),
        ("cidr", "203.0.113.0/24"),
        ("url", "http://203.0.113.9/stage2.bin"),
        ("md5", "5d41402abc4b2a76b9719d911017c592"),
        ("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("url", "https://evil-cdn.example.net/login.php?next=/account"),
    ]
    assert "leading zero" in _errors(found)["010.1.1.1"]
    assert [item.start for item in found] == sorted(item.start for item in found)


def test_rule_bodies_are_neither_refanged_nor_mined() -> None:
    found = extract_observables(RULES_REPORT)
    assert _values(found) == [("domain", "c2.kettle.example"), ("ipv4", "192.0.2.44")]
    assert _errors(found) == {}


def test_false_positives_are_dropped() -> None:
    text = (
        "See invoice.pdf, update.exe, run.sh, tool.py and payload.zip; i.e. e.g. etc. "
        "Version 1.2.3 and 5.1.2.600 and 4.3.2.1.0, at 10:30:00 UTC on node.js and "
        "README.md, uuid 123e4567e89b12d3a456426614174000x."
    )
    assert extract_observables(text) == []


def test_defanged_file_extension_tld_is_a_domain() -> None:
    found = extract_observables("Download from evil[.]zip and secure-login.mov")
    assert _values(found) == [("domain", "evil.zip")]


def test_every_kind_and_ipv6_cidr_and_zone() -> None:
    text = (
        "Ranges 2001:db8:1::/48 and fe80::1%eth0; mail ops@phish.example.com; "
        "AS 64511 and ASN 13335; sha512 "
        + "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        * 2
    )
    found = extract_observables(text)
    kinds = {item.observable.type for item in found if item.observable}
    assert kinds == {T.CIDR, T.EMAIL, T.ASN, T.SHA512}
    assert "zone id" in _errors(found)["fe80::1%eth0"]


def test_empty_and_plain_prose() -> None:
    assert extract_observables("") == []
    assert extract_observables("Nothing to see here. Move along (politely).") == []
