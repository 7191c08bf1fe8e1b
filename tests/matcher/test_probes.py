"""The one-value-at-a-time rules: what a value is and what it is looked up as."""

from __future__ import annotations

import pytest

from phalanx.matcher.probes import Probes, add_value, canonical_domain, parse_ip
from phalanx.observables.kinds import ObservableType as T


def lookups(value: str, hint: T | None = None) -> list[tuple[str, str]]:
    probes = Probes()
    add_value(probes, 0, value, hint)
    return list(zip(probes.texts, probes.text_how, strict=True))


def test_a_url_is_looked_up_cheaply_canonical_and_by_host() -> None:
    assert lookups("HTTPS://Login.Evil.Test:443/A/B?x=Y#top") == [
        ("https://login.evil.test/A/B?x=Y", "exact"),
        ("login.evil.test", "url-host"), ("evil.test", "url-host"), ("test", "url-host"),
    ]  # fmt: skip


def test_url_hosts_may_be_addresses() -> None:
    probes = Probes()
    add_value(probes, 0, "http://[2001:DB8::1]:8080/x", None)
    assert probes.texts == ["http://[2001:db8::1]:8080/x"]
    assert probes.ips == [0x20010DB8 << 96 | 1] and probes.ip_how == ["url-host"]


def test_a_domain_brings_its_parents() -> None:
    assert lookups("A.Evil.Test.") == [
        ("a.evil.test", "exact"),
        ("evil.test", "parent-domain"),
        ("test", "parent-domain"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bücher.evil.test", "xn--bcher-kva.evil.test"),
        ("evil.test", "evil.test"),
        ("1.2.3.4", None),
        ("evil", None),
        ("a..b.test", None),
        ("evil.test,", None),
        ("_dmarc.evil.test", "_dmarc.evil.test"),
    ],
)
def test_domains(value: str, expected: str | None) -> None:
    assert canonical_domain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("198.51.100.7", (0xC6336407, False)),
        ("010.1.2.3", None),
        ("2001:db8::1", (0x20010DB8 << 96 | 1, True)),
        ("::ffff:198.51.100.7", (0xC6336407, False)),
        ("12:30:45", None),
    ],
)
def test_addresses(value: str, expected: tuple[int, bool] | None) -> None:
    assert parse_ip(value) == expected


def test_emails_and_hashes_are_lower_cased() -> None:
    assert lookups("Bad.Guy@Evil.Test") == [("bad.guy@evil.test", "exact")]
    assert lookups("5D41402ABC4B2A76B9719D911017C592") == [
        ("5d41402abc4b2a76b9719d911017c592", "exact")
    ]


def test_hints_decide_how_a_value_is_read() -> None:
    assert lookups("evil.test:8080", T.DOMAIN)[0] == ("evil.test", "exact")
    assert lookups("evil.test/x", T.URL)[0] == ("http://evil.test/x", "exact")
    assert lookups("evil.test", T.IPV4) == []
    assert lookups("not a hash", T.SHA256) == []


def test_defanged_values_are_refanged_first() -> None:
    assert lookups("evil[.]test")[0] == ("evil.test", "exact")
    assert lookups("hxxps://evil[.]test/x")[0] == ("https://evil.test/x", "exact")
    probes = Probes()
    add_value(probes, 0, "evil[.]test", None)
    assert probes.observed == ["evil[.]test"]  # reported as seen
