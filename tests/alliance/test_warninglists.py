"""The warninglist index, against MISP's real lists (shared data) and its matching rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.alliance.warninglist_files import available, choose, load_index, read_list
from phalanx.alliance.warninglists import WarningList, WarninglistIndex, parse_list
from phalanx.hub import Hub
from phalanx.observables.kinds import ObservableType as T


@pytest.fixture(scope="module")
def index(shared_data: Path) -> WarninglistIndex:
    return load_index(("default",), str(shared_data / "warninglists"))


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (T.IPV4, "8.8.8.8", "public-dns-v4"),
        (T.IPV4, "10.20.30.40", "rfc1918"),
        (T.CIDR, "192.168.4.0/24", "rfc1918"),
        (T.CIDR, "192.168.0.0/8", None),  # wider than the listed range: not inside it
        (T.IPV6, "2001:4860:4860::8888", "public-dns-v6"),
        (T.IPV6, "fe80::1", "ipv6-linklocal"),
        (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", None),
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427e", "empty-hashes"),
        (T.DOMAIN, "google.com", "cisco_top1000"),
        (T.DOMAIN, "evil-c2.example-bad.net", None),
        (T.IPV4, "45.61.136.7", None),
        (T.DOMAIN, "ns1.dynamic.caiway.nl", None),
        (T.DOMAIN, "003-077-128-083.dynamic.caiway.nl", "public-dns-hostname"),
    ],
)
def test_real_lists(index: WarninglistIndex, kind: T, value: str, expected: str | None) -> None:
    found = index.match(kind, value)
    if kind is T.SHA256:  # the empty file is on two lists; either names it benign
        assert found in ("empty-hashes", "common-ioc-false-positive")
    else:
        assert found == expected


def test_matching_types_and_attribute_kinds() -> None:
    lists = [
        parse_list("s", {"type": "string", "list": ["Exact.Example"], "matching_attributes": []}),
        parse_list(
            "h",
            {
                "type": "hostname",
                "list": ["cdn.example."],
                "matching_attributes": ["domain", "url"],
            },
        ),
        parse_list(
            "sub", {"type": "substring", "list": ["sandbox"], "matching_attributes": ["domain"]}
        ),
        parse_list(
            "re",
            {"type": "regex", "list": ["^tracker[0-9]+\\."], "matching_attributes": ["hostname"]},
        ),
        parse_list(
            "c",
            {
                "type": "cidr",
                "list": ["203.0.113.0/24", "2001:db8::/32"],
                "matching_attributes": ["ip-dst"],
            },
        ),
        parse_list(
            "none",
            {"type": "string", "list": ["x.example"], "matching_attributes": ["phone-number"]},
        ),
    ]
    index = WarninglistIndex(lists)
    assert index.match(T.DOMAIN, "exact.example") == "s"
    assert index.match(T.DOMAIN, "a.b.cdn.example") == "h"
    assert index.match(T.URL, "https://img.cdn.example/x.png") == "h"
    assert index.match(T.EMAIL, "a@cdn.example") is None  # hostname lists: domains and URLs
    assert index.match(T.DOMAIN, "my-sandbox-host.net") == "sub"
    assert index.match(T.URL, "http://my-sandbox-host.net/") is None  # the list is for domains
    assert index.match(T.DOMAIN, "tracker12.ads.net") == "re"
    assert index.match(T.IPV4, "203.0.113.9") == "c"
    assert index.match(T.DOMAIN, "203.0.113.9") is None
    assert index.match(T.IPV6, "2001:db8:1::5") == "c"
    assert index.match(T.DOMAIN, "x.example") is None  # applies to no Phalanx kind
    assert index.match_many([(T.IPV4, "203.0.113.1"), (T.IPV4, "192.0.2.1")]) == ["c", None]


def test_public_suffix_entries_match_only_themselves() -> None:
    popular = WarningList("top", "hostname", ("github.io", "google.com"))
    index = WarninglistIndex([popular], suffixes=frozenset({"github.io"}))
    assert index.match(T.DOMAIN, "github.io") == "top"
    assert index.match(T.DOMAIN, "attacker.github.io") is None
    assert index.match(T.DOMAIN, "mail.google.com") == "top"


_LABELS = st.sampled_from(["a", "b", "cdn", "io", "co", "uk", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABELS, min_size=1, max_size=5).map(".".join))
def test_a_host_matches_itself_or_a_parent_above_its_public_suffix(host: str) -> None:
    entries = ("b.io", "cdn.co.uk", "uk", "a.a", "co.uk.")
    index = WarninglistIndex(
        [WarningList("hosts", "hostname", entries)], suffixes=frozenset({"co.uk", "io"})
    )
    # The rule, spelt out: the host, then each parent, stopping at a public suffix.
    labels, expected = host.rstrip(".").split("."), None
    for start in range(len(labels)):
        parent = ".".join(labels[start:])
        if start and parent in {"co.uk", "io"}:
            break
        if parent in {entry.rstrip(".") for entry in entries}:
            expected = "hosts"
            break
    assert index.match(T.DOMAIN, host) == expected


def test_malformed_entries_are_reported_not_fatal() -> None:
    broken = WarningList("b", "cidr", ("10.0.0.0/8", "not-a-network"))
    bad_regex = WarningList("r", "regex", ("(unclosed",))
    index = WarninglistIndex([broken, bad_regex])
    assert index.match(T.IPV4, "10.1.1.1") == "b"
    assert len(index.skipped) == 2 and "not-a-network" in index.skipped[0]
    with pytest.raises(ValueError, match="type must be one of"):
        parse_list("x", {"type": "fuzzy", "list": []})
    with pytest.raises(ValueError, match="'list' must be a list of strings"):
        parse_list("x", {"type": "string", "list": [1]})


def test_every_bundled_and_shared_list_parses(shared_data: Path) -> None:
    found = available(shared_data / "warninglists")
    assert {"public-dns-v4", "rfc1918", "tranco10k"} <= set(found)
    for name in choose(("default",), found):
        assert read_list(name, found[name]).entries
    with pytest.raises(ValueError, match="unknown warninglist 'nope'"):
        choose(("nope",), found)


def test_a_misspelt_list_stops_the_hub_at_start(settings: Any) -> None:
    with pytest.raises(ValueError, match="unknown warninglist 'rfc1981' in PHALANX_WARNINGLISTS"):
        Hub.open(settings.with_(warninglists=("default", "rfc1981")))


def _quad(number: int) -> str:
    return ".".join(str(number >> shift & 255) for shift in (24, 16, 8, 0))


@settings(max_examples=60)
@given(
    numbers=st.lists(st.integers(0, 2**32 - 1), max_size=40),
    odd=st.lists(
        st.sampled_from(["01.2.3.4", "1.2.3", "300.1.1.1", "8.8.8.8/32", "x"]), max_size=3
    ),
)
def test_bulk_ipv4_check_answers_as_single_checks(
    index: WarninglistIndex, numbers: list[int], odd: list[str]
) -> None:
    # Listed addresses, their neighbours and random ones, with a few non-canonical strings.
    listed = ["8.8.8.8", "10.0.0.1", "192.168.255.255", "1.1.1.1", "100.64.0.0"]
    values = [*listed, *map(_quad, numbers), *odd]
    assert index.match_kind(T.IPV4, values) == [index.match(T.IPV4, v) for v in values]


def test_bulk_ipv4_check_honours_exact_digit_and_regex_entries() -> None:
    lists = [
        parse_list("exact", {"type": "string", "list": ["203.0.113.9"], "matching_attributes": []}),
        parse_list("nets", {"type": "cidr", "list": ["203.0.113.0/24", "198.51.100.0/24"]}),
        parse_list("digits", {"type": "substring", "list": ["66.77", "sandbox"]}),
        parse_list("rx", {"type": "regex", "list": [r"^5\.5\."], "matching_attributes": []}),
    ]
    index = WarninglistIndex(lists)
    values = ["203.0.113.9", "203.0.113.10", "198.51.100.1", "9.66.77.1", "5.5.1.1", "7.7.7.7"]
    expected = ["exact", "nets", "nets", "digits", "rx", None]
    assert [index.match(T.IPV4, v) for v in values] == expected
    assert index.match_kind(T.IPV4, values) == expected
    assert index.match_kind(T.DOMAIN, ["sandbox.example"]) == ["digits"]
