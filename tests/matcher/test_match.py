"""The matcher against a slow reference written plainly here, on random indicators and logs.

The reference reads each observation with ``ipaddress`` and ``urllib.parse`` and compares it
with every indicator in turn: no hashing, no numpy, no shared code with the matcher. It
models the cheap URL canonicalisation only, so those runs switch the full normaliser off.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phalanx.matcher import (
    Matcher,
    Observation,
    build_index,
    match_lines,
    match_observations,
)
from phalanx.observables.kinds import ObservableType as T

HASHES = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
LABELS = ["evil", "cdn", "mail", "a", "x-1", "b_2", "login", "test", "example", "zz"]
TLDS = ["test", "example", "invalid", "xn--p1ai", "com"]
Expected = set[tuple[int, str, str]]  # (ref, how, indicator value)


# --- the reference -----------------------------------------------------------------------


def reference(indicators: list[tuple[int, T, str]], value: str) -> Expected:
    """Every (ref, how, value) that ``value`` should match, by brute force."""
    value = value.strip()
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value):
        return reference_url(indicators, value)
    if "@" in value:
        return {(r, "exact", v) for r, k, v in indicators if k is T.EMAIL and v == value.lower()}
    if re.fullmatch(r"[0-9a-fA-F]+", value) and len(value) in HASHES:
        kind = HASHES[len(value)]
        return {(r, "exact", v) for r, k, v in indicators if k is kind and v == value.lower()}
    address = reference_ip(value)
    if address is not None:
        return reference_address(indicators, address, None)
    name = value.lower().removesuffix(".")
    if re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.[a-z][a-z0-9_-]*", name):
        return reference_domain(indicators, name, None)
    return set()


def reference_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def reference_address(indicators, address, how: str | None) -> Expected:  # type: ignore[no-untyped-def]
    found = set()
    for ref, kind, text in indicators:
        if kind in (T.IPV4, T.IPV6) and ipaddress.ip_address(text) == address:
            found.add((ref, how or "exact", str(address)))
        if kind is T.CIDR:
            network = ipaddress.ip_network(text)
            if network.version == address.version and address in network:
                shown = (
                    str(network.network_address)
                    if network.prefixlen == network.max_prefixlen
                    else str(network)
                )
                found.add((ref, how or "cidr", shown))
    return found


def reference_domain(indicators, name: str, how: str | None) -> Expected:  # type: ignore[no-untyped-def]
    found = set()
    for ref, kind, text in indicators:
        if kind is T.DOMAIN and text == name:
            found.add((ref, how or "exact", text))
        elif kind is T.DOMAIN and name.endswith("." + text):
            found.add((ref, how or "parent-domain", text))
    return found


def reference_url(indicators, value: str) -> Expected:  # type: ignore[no-untyped-def]
    parts = urlsplit(value)
    host = parts.hostname or ""
    port = (
        ""
        if parts.port in (None, {"http": 80, "https": 443}.get(parts.scheme.lower()))
        else f":{parts.port}"
    )
    shown_host = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query or value.split("#")[0].endswith("?") else ""
    canonical = f"{parts.scheme.lower()}://{shown_host}{port}{path}{query}"
    found = {(r, "exact", v) for r, k, v in indicators if k is T.URL and v == canonical}
    address = reference_ip(host)
    if address is not None:
        return found | reference_address(indicators, address, "url-host")
    name = host.removesuffix(".")
    if re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.[a-z][a-z0-9_-]*", name):
        found |= reference_domain(indicators, name, "url-host")
    return found


# --- random indicators and observations ----------------------------------------------------


def random_indicators(rng: random.Random, count: int) -> list[tuple[int, T, str]]:
    """Indicators drawn from small spaces, so that observations hit them and nest."""
    items: list[tuple[int, T, str]] = []
    for ref in range(count):
        roll = rng.random()
        if roll < 0.2:
            items.append((ref, T.IPV4, str(random_v4(rng))))
        elif roll < 0.35:
            network = ipaddress.ip_network((random_v4(rng), rng.randint(8, 32)), strict=False)
            items.append(
                (
                    ref,
                    T.CIDR,
                    str(network.network_address) if network.prefixlen == 32 else str(network),
                )
            )
        elif roll < 0.45:
            network = ipaddress.ip_network(
                (random_v6(rng), rng.choice((16, 32, 48, 64, 96, 112, 120, 127, 128))), strict=False
            )
            items.append(
                (
                    ref,
                    T.CIDR,
                    network.compressed
                    if network.prefixlen < 128
                    else network.network_address.compressed,
                )
            )
        elif roll < 0.5:
            items.append((ref, T.IPV6, random_v6(rng).compressed))
        elif roll < 0.75:
            items.append((ref, T.DOMAIN, random_domain(rng)))
        elif roll < 0.85:
            items.append((ref, T.URL, random_url(rng, canonical=True)))
        elif roll < 0.95:
            length = rng.choice(list(HASHES))
            items.append((ref, HASHES[length], f"{rng.getrandbits(4 * length):0{length}x}"))
        else:
            items.append((ref, T.EMAIL, f"{rng.choice(LABELS)}@{random_domain(rng)}"))
    if items and rng.random() < 0.3:  # the same value under two refs
        ref, kind, value = rng.choice(items)
        items.append((count, kind, value))
    return items


def random_v4(rng: random.Random) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(
        rng.choice((0xC6336400, 0xCB007100, 0x0A000000)) | rng.getrandbits(rng.choice((4, 8, 12)))
    )


def random_v6(rng: random.Random) -> ipaddress.IPv6Address:
    base = 0x20010DB8 << 96
    return ipaddress.IPv6Address(base | rng.getrandbits(rng.choice((4, 16, 40, 80))))


def random_domain(rng: random.Random) -> str:
    return ".".join([rng.choice(LABELS) for _ in range(rng.randint(1, 3))] + [rng.choice(TLDS)])


def random_url(rng: random.Random, canonical: bool) -> str:
    host = random_domain(rng) if rng.random() < 0.8 else str(random_v4(rng))
    path = "/" + "/".join(
        rng.choice(("a", "B", "index.php", "x.y", "Payload")) for _ in range(rng.randint(0, 3))
    )
    query = rng.choice(("", "?id=1", "?a=b&C=d", "?q=%2F"))
    scheme = rng.choice(("http", "https"))
    if canonical:
        return f"{scheme}://{host}{path}{query}"
    scheme = scheme.upper() if rng.random() < 0.2 else scheme
    host = host.upper() if rng.random() < 0.3 else host
    port = {"http": ":80", "https": ":443"}[scheme.lower()] if rng.random() < 0.2 else ""
    fragment = "#top" if rng.random() < 0.2 else ""
    return f"{scheme}://{host}{port}{path}{query}{fragment}"


def random_observation(rng: random.Random, indicators: list[tuple[int, T, str]]) -> str:
    """An observation that often hits: an indicator, a child of one, or a neighbour."""
    roll = rng.random()
    if indicators and roll < 0.35:
        _, kind, value = rng.choice(indicators)
        if kind is T.CIDR:
            network = ipaddress.ip_network(value)
            return str(network.network_address + rng.randrange(min(network.num_addresses, 1 << 20)))
        if kind is T.DOMAIN:
            value = rng.choice((value, f"{rng.choice(LABELS)}.{value}", value.upper(), value + "."))
        if kind in HASHES.values() and rng.random() < 0.3:
            value = value.upper()
        if kind is T.URL and rng.random() < 0.3:
            value = value.replace("://", "://" + "WWW."[: rng.choice((0, 4))], 1)
        return value
    if roll < 0.5:
        return str(random_v4(rng))
    if roll < 0.6:
        address = random_v6(rng)
        return rng.choice(
            (
                address.compressed,
                address.exploded,
                address.compressed.upper(),
                f"::ffff:{random_v4(rng)}",
            )
        )
    if roll < 0.75:
        return random_domain(rng)
    if roll < 0.85:
        return random_url(rng, canonical=False)
    if roll < 0.9:
        return rng.choice(
            ("010.1.2.3", "1.2.3", "300.1.1.1", "a..b.test", "-", "x", "12:30:45", "evil.test,")
        )
    length = rng.choice(list(HASHES))
    return f"{rng.getrandbits(4 * length):0{length}x}"


def actual_by_line(matches) -> dict[int, Expected]:  # type: ignore[no-untyped-def]
    found: dict[int, Expected] = defaultdict(set)
    for match in matches:
        found[match.line].add((match.indicator_ref, match.how, match.indicator_value))
    return found


def scenario(seed: int, indicator_count: int, observation_count: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    indicators = random_indicators(rng, indicator_count)
    observations = [random_observation(rng, indicators) for _ in range(observation_count)]
    return indicators, observations


# --- the properties ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.integers(0, 60), st.integers(1, 120))
def test_text_path_agrees_with_the_reference(seed: int, indicator_count: int, count: int) -> None:
    indicators, observations = scenario(seed, indicator_count, count)
    index = build_index(indicators, seed=seed)
    found = actual_by_line(match_lines(index, observations, url_normaliser=None))
    for line, value in enumerate(observations, start=1):
        assert found.get(line, set()) == reference(indicators, value), (line, value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.integers(0, 60), st.integers(1, 120))
def test_observation_path_agrees_with_the_reference(
    seed: int, indicator_count: int, count: int
) -> None:
    indicators, values = scenario(seed, indicator_count, count)
    index = build_index(indicators, seed=seed + 1)
    observations = [Observation(None, value, line) for line, value in enumerate(values, start=1)]
    found = actual_by_line(match_observations(index, observations, batch=37, url_normaliser=None))
    for line, value in enumerate(values, start=1):
        assert found.get(line, set()) == reference(indicators, value), (line, value)


def test_a_big_random_workload_agrees_with_the_reference() -> None:
    indicators, observations = scenario(20250301, 400, 4000)
    index = build_index(indicators, seed=99)
    found = actual_by_line(match_lines(index, observations, batch=1000, url_normaliser=None))
    hits = 0
    for line, value in enumerate(observations, start=1):
        expected = reference(indicators, value)
        hits += bool(expected)
        assert found.get(line, set()) == expected, (line, value)
    assert hits > 500  # the workload does exercise matching


def test_saved_and_loaded_index_matches_the_same() -> None:
    indicators, observations = scenario(7, 200, 1000)
    index = build_index(indicators)
    loaded = type(index).from_bytes(index.to_bytes())
    assert list(match_lines(loaded, observations)) == list(match_lines(index, observations))


def test_every_how_is_reported() -> None:
    index = build_index(
        [
            (1, T.DOMAIN, "evil.test"),
            (2, T.CIDR, "203.0.113.0/24"),
            (3, T.URL, "http://evil.test/x"),
        ]
    )
    lines = ["a.evil.test", "203.0.113.9", "HTTP://EVIL.TEST:80/x#f", "http://evil.test/%78"]
    matcher = Matcher(index, url_normaliser=lambda url: url.replace("%78", "x"))
    hows = {
        (m.line, m.indicator_ref, m.how)
        for m in matcher.match_text("\n".join(lines).encode()).matches
    }
    assert hows == {
        (1, 1, "parent-domain"), (2, 2, "cidr"), (3, 3, "exact"), (3, 1, "url-host"),
        (4, 3, "url-normalised"), (4, 1, "url-host"),
    }  # fmt: skip


def test_cidr_hits_on_the_fast_path_report_their_network_at_every_length() -> None:
    index = build_index(
        [(1, T.CIDR, "0.0.0.0/0"), (2, T.CIDR, "200.0.0.0/5"), (3, T.CIDR, "203.0.113.9"),
         (4, T.CIDR, "203.0.113.8/31"), (5, T.CIDR, "203.0.96.0/19")]
    )  # fmt: skip
    found = {
        (m.line, m.indicator_ref, m.indicator_value, m.how)
        for m in Matcher(index).match_text(b"203.0.113.9\n8.8.8.8\nhttp://203.0.113.9/x\n").matches
    }
    nets = {1: "0.0.0.0/0", 2: "200.0.0.0/5", 3: "203.0.113.9", 4: "203.0.113.8/31"}
    nets[5] = "203.0.96.0/19"
    assert found == {
        *((1, ref, net, "cidr") for ref, net in nets.items()),
        (2, 1, "0.0.0.0/0", "cidr"),
        *((3, ref, net, "url-host") for ref, net in nets.items()),
    }


def test_url_paths_keep_their_case_and_hosts_do_not_on_the_fast_path() -> None:
    index = build_index(
        [(1, T.URL, "http://evil.test/Payload.EXE"), (2, T.DOMAIN, "evil.test"),
         (3, T.URL, "http://evil.test/payload.exe")]
    )  # fmt: skip
    lines = [b"HTTP://EVIL.TEST/Payload.EXE", b"http://Evil.Test/payload.exe", b"WWW.EVIL.TEST"]
    for buffer in (b"\n".join(lines), b"\n".join(lines[1:])):  # with and without upper paths
        found = {
            (m.observed, m.indicator_ref, m.indicator_value)
            for m in Matcher(index, url_normaliser=None).match_text(buffer).matches
        }
        expected = {
            ("http://Evil.Test/payload.exe", 3, "http://evil.test/payload.exe"),
            ("http://Evil.Test/payload.exe", 2, "evil.test"),
            ("WWW.EVIL.TEST", 2, "evil.test"),
        }
        if buffer.startswith(b"HTTP"):
            expected |= {
                ("HTTP://EVIL.TEST/Payload.EXE", 1, "http://evil.test/Payload.EXE"),
                ("HTTP://EVIL.TEST/Payload.EXE", 2, "evil.test"),
            }
        assert found == expected


def test_the_normaliser_is_only_asked_about_urls_that_look_unnormalised() -> None:
    asked: list[str] = []
    index = build_index([(1, T.URL, "http://evil.test/a")])
    matcher = Matcher(index, url_normaliser=lambda url: asked.append(url) or None)
    matcher.match_text(b"http://evil.test/b\nhttp://evil.test/./b\nhttp://evil.test/a\n")
    assert asked == ["http://evil.test/./b"]


def test_kind_hints_restrict_what_a_value_may_match() -> None:
    index = build_index(
        [
            (1, T.DOMAIN, "evil.test"),
            (2, T.IPV4, "198.51.100.7"),
            (3, T.MD5, "5d41402abc4b2a76b9719d911017c592"),
        ]
    )
    observations = [
        Observation(T.IPV4, "evil.test", 1, "src_ip"),  # not an address: nothing
        Observation(T.DOMAIN, "198.51.100.7", 2, "host"),  # a host field holding an address
        Observation(T.DOMAIN, "evil.test:8080", 3, "host"),  # host:port
        Observation(T.URL, "evil.test/x", 4, "url"),  # scheme-less URL field
        Observation(T.SHA1, "5d41402abc4b2a76b9719d911017c592", 5, "sha1"),  # md5 in a sha1 field
        Observation(T.MD5, "5D41402ABC4B2A76B9719D911017C592", 6, "md5"),
    ]
    found = {(m.line, m.indicator_ref, m.how) for m in match_observations(index, observations)}
    assert found == {
        (2, 2, "exact"),
        (3, 1, "exact"),
        (4, 1, "url-host"),
        (5, 3, "exact"),
        (6, 3, "exact"),
    }


def test_prose_lines_are_mined_for_iocs() -> None:
    index = build_index([(1, T.DOMAIN, "evil.test"), (2, T.IPV4, "198.51.100.7")])
    text = b"beacon to hxxp://c2[.]evil[.]test/gate from 198.51.100.7 (see ticket 42)\n"
    found = [(m.observed, m.indicator_ref, m.how) for m in match_lines(index, [text])]
    assert found == [("http://c2.evil.test/gate", 1, "url-host"), ("198.51.100.7", 2, "exact")]


def test_a_line_that_is_not_utf8_is_a_problem_not_a_failure() -> None:
    index = build_index([(1, T.DOMAIN, "evil.test")])
    result = Matcher(index).match_text(b"evil.test\nbad \xff bytes\nevil.test\n", first_line=10)
    assert [m.line for m in result.matches] == [10, 12]
    assert [(p.line, p.reason.split(" (")[0]) for p in result.problems] == [(11, "not UTF-8")]


def test_a_bare_tld_indicator_is_still_found_as_a_parent() -> None:
    # TLD suffixes are skipped unless some domain indicator is a single label.
    lines = ["a.evil.zip", "evil.test"]
    without = build_index([(1, T.DOMAIN, "evil.test")])
    with_tld = build_index([(1, T.DOMAIN, "evil.test"), (2, T.DOMAIN, "zip")])
    assert not without.tld_domains and type(with_tld).from_bytes(with_tld.to_bytes()).tld_domains
    assert [(m.line, m.indicator_ref) for m in match_lines(with_tld, lines)] == [(1, 2), (2, 1)]
    assert [(m.line, m.indicator_ref) for m in match_lines(without, lines)] == [(2, 1)]


def test_defanged_lines_match_like_their_refanged_selves() -> None:
    index = build_index([(1, T.URL, "http://evil.test/x"), (2, T.DOMAIN, "evil.test")])
    found = [
        (m.line, m.indicator_ref, m.how)
        for m in match_lines(index, ["hxxp://evil.test/x", "evil[.]test"])
    ]
    assert found == [(1, 1, "exact"), (1, 2, "url-host"), (2, 2, "exact")]


def test_the_observables_normaliser_is_used_when_present() -> None:
    pytest.importorskip("phalanx.observables.normalize")
    index = build_index([(1, T.URL, "http://evil.test/a/x")])
    found = [(m.indicator_ref, m.how) for m in match_lines(index, ["http://EVIL.test/a/./x"])]
    assert found == [(1, "url-normalised")]
