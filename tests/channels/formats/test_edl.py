"""PAN-OS External Dynamic Lists, judged by a validator written from spec-notes §5.1."""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Callable
from datetime import datetime

import pytest

from phalanx.channels.formats import edl
from phalanx.channels.model import DeliveryEntry
from phalanx.policy.markings import PAP

EntryFactory = Callable[..., DeliveryEntry]
CHANNEL = "soc firewall"
# PAN-OS token separators for domain and URL entries.
_SEPARATORS = re.compile(r"[./?&=;+]")


def panos_ip_line(line: str) -> bool:
    """``<IP | IP/mask | start-end> [space comment]``, IPv4 or IPv6."""
    value = line.split(" ", 1)[0]
    try:
        if "-" in value:
            start, end = (ipaddress.ip_address(part) for part in value.split("-"))
            return start.version == end.version and start <= end
        if "/" in value:
            ipaddress.ip_network(value, strict=True)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _tokens_ok(body: str, token: str) -> bool:
    # A wildcard must be a whole token; every other token is a run of allowed characters.
    parts = _SEPARATORS.split(body)
    return all(part == "*" or re.fullmatch(token, part) for part in parts)


def panos_domain_line(line: str) -> bool:
    """No scheme, <= 255 chars, ``*`` only as a leading whole token, ``^`` only prepended."""
    if len(line) > 255 or "://" in line or not line or line.isspace():
        return False
    body = line[2:] if line.startswith("*.") else line.removeprefix("^")
    if "*" in body or "^" in body or not body:
        return False
    return _tokens_ok(body, r"[a-z0-9_-]+")


def panos_url_line(line: str) -> bool:
    """No scheme, <= 255 chars, no spaces, wildcards only as whole tokens."""
    if len(line) > 255 or line.lower().startswith(("http://", "https://")) or not line:
        return False
    if re.search(r"[\s^]", line):
        return False
    return _tokens_ok(line, r"[\x21-\x7e]+")


def lines(body: bytes) -> list[str]:
    return body.decode("ascii").splitlines()


def test_ip_list(mixed_entries: list[DeliveryEntry], generated: datetime) -> None:
    body = edl.render_ip(mixed_entries, channel_name=CHANNEL, version=1, generated=generated)
    assert lines(body) == [
        "185.220.101.7",
        "2a00:1450::/32",
        "2a03:2880:f12f:83:face:b00c:0:25de",
        "45.77.0.0/16",
        "45.77.1.2",
    ]
    assert all(panos_ip_line(line) for line in lines(body))


def test_ip_list_skips_never_block_values(entry: EntryFactory) -> None:
    collected = edl.IP.collect(
        [
            entry("ipv4", "10.0.0.1"),
            entry("cidr", "192.0.0.0/16"),
            entry("cidr", "16.0.0.0/4"),
            entry("ipv6", "fe80::1"),
            entry("ipv4", "45.77.1.2\n10.0.0.1"),
            entry("cidr", "45.77.1.2/32"),
        ],
        channel_name=CHANNEL,
    )
    assert collected.items == {"45.77.1.2"}
    assert collected.skipped == {"invalid": 1, "reserved-range": 3, "too-broad": 1}


def test_domain_list_has_name_and_subdomain_wildcard(
    mixed_entries: list[DeliveryEntry], generated: datetime
) -> None:
    body = edl.render_domain(mixed_entries, channel_name=CHANNEL, version=1, generated=generated)
    assert lines(body) == [
        "*.evil-phx.xyz",
        "*.login.bad-phx.co.uk",
        "evil-phx.xyz",
        "login.bad-phx.co.uk",
    ]
    assert all(panos_domain_line(line) for line in lines(body))


def test_domain_list_skips_unsafe_names(entry: EntryFactory) -> None:
    longest = ".".join(["a" * 63] * 3 + ["b" * 57]) + ".xyz"  # 253, the DNS maximum
    too_long = "c" + longest
    collected = edl.DOMAIN.collect(
        [
            entry("domain", longest),
            entry("domain", too_long),
            entry("domain", "www.example.com"),
            entry("domain", "evil.xyz\n*.com"),
            entry("domain", "^evil.xyz"),
        ],
        channel_name=CHANNEL,
    )
    assert collected.items == {longest, f"*.{longest}"}
    assert collected.skipped == {"invalid": 3, "special-use-name": 1}
    assert all(panos_domain_line(line) for line in collected.items)


def test_url_list_drops_scheme(mixed_entries: list[DeliveryEntry], generated: datetime) -> None:
    body = edl.render_url(mixed_entries, channel_name=CHANNEL, version=1, generated=generated)
    assert lines(body) == ["cdn.bad-phx.co.uk/a/b", "evil-phx.xyz/gate.php?id=1"]
    assert all(panos_url_line(line) for line in lines(body))


def test_url_list_skips_long_wildcard_and_unsafe_urls(entry: EntryFactory) -> None:
    host = "evil-phx.xyz/"
    fits = "http://" + host + "p" * (255 - len(host))
    collected = edl.URL.collect(
        [
            entry("url", fits),
            entry("url", fits + "q"),
            entry("url", "https://evil-phx.xyz/" + "x" * 300),
            entry("url", "http://evil-phx.xyz/*.exe"),
            entry("url", "http://evil-phx.xyz/^a"),
            entry("url", "ftp://evil-phx.xyz/a"),
            entry("url", "http://10.1.1.1/a"),
            entry("url", "http://[2001:db8::1]/a"),
            entry("url", "http://45.77.1.2:8080/a"),
            entry("url", "http://evil-phx.xyz/a b"),
            entry("url", "http://user@evil-phx.xyz/"),
            entry("url", "http://www.example.com/"),
        ],
        channel_name=CHANNEL,
    )
    assert collected.items == {fits.removeprefix("http://"), "45.77.1.2:8080/a"}
    assert collected.skipped == {
        "invalid": 2,
        "reserved-range": 2,
        "special-use-name": 1,
        "too-long": 2,
        "unsupported-scheme": 1,
        "wildcard-character": 2,
    }
    assert all(panos_url_line(line) for line in collected.items)


@pytest.mark.parametrize("spec", [edl.IP, edl.DOMAIN, edl.URL], ids=lambda spec: spec.name)
def test_block_lists_never_carry_pap_amber_red_or_never_deploy(
    spec: edl.ChannelFormat, entry: EntryFactory
) -> None:
    values = {"ipv4": "45.77.1.2", "domain": "evil-phx.xyz", "url": "http://evil-phx.xyz/"}
    kind = {"edl-ip": "ipv4", "edl-domain": "domain", "edl-url": "url"}[spec.name]
    refused = [
        entry(kind, values[kind], pap=PAP.AMBER),
        entry(kind, values[kind], pap=PAP.RED),
        entry(kind, values[kind], never_deploy="member's own asset"),
        entry(kind, values[kind], benign=True),
    ]
    collected = spec.collect(refused, channel_name=CHANNEL)
    assert collected.items == frozenset()
    assert sum(collected.skipped.values()) == 4
    assert spec.collect([entry(kind, values[kind])], channel_name=CHANNEL).items


def test_output_is_sorted_and_independent_of_input_order(
    mixed_entries: list[DeliveryEntry], generated: datetime
) -> None:
    shuffled = mixed_entries[:]
    random.Random(7).shuffle(shuffled)
    for spec in (edl.IP, edl.DOMAIN, edl.URL):
        first = spec.render(mixed_entries, channel_name=CHANNEL, version=1, generated=generated)
        again = spec.render(shuffled, channel_name=CHANNEL, version=9, generated=generated)
        assert first == again
        assert lines(first) == sorted(lines(first))


def test_empty_list_is_empty(generated: datetime) -> None:
    assert edl.render_ip([], channel_name=CHANNEL, version=1, generated=generated) == b""
