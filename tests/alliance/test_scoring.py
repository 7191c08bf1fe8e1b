"""The points formula, pure: each rule of the README's table."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.alliance.novelty import Novelty, Prior, Verdict, classify
from phalanx.alliance.scoring import (
    ItemContext,
    base_points,
    credit_unit,
    describe,
    registered_domain,
    score,
)
from phalanx.observables.kinds import ObservableType as T

NOVEL = Verdict(Novelty.NOVEL, Novelty.NOVEL)
CORROBORATING = Verdict(Novelty.CORROBORATING, Novelty.CORROBORATING)
SUFFIXES = frozenset({"co.uk", "github.io"})


@pytest.mark.parametrize(
    ("kind", "labels", "points"),
    [
        (T.SHA256, frozenset(), 10.0),
        (T.YARA, frozenset(), 10.0),
        (T.DOMAIN, frozenset({"c2"}), 8.0),
        (T.IPV4, frozenset(), 5.0),
        (T.URL, frozenset(), 4.0),
        (T.EMAIL, frozenset(), 3.0),
        (T.ASN, frozenset({"c2"}), 2.0),
    ],
)
def test_base_points_order_hash_signature_c2_address_url(
    kind: T, labels: frozenset[str], points: float
) -> None:
    assert base_points(kind, labels)[0] == points


def test_novel_context_multiplier() -> None:
    rich = ItemContext(
        T.SHA256,
        "a" * 64,
        frozenset({"malware:emotet", "attack:T1059", "payload"}),
        confidence=80,
        description=True,
    )
    s = score(rich, NOVEL, unit="u")
    assert s.points == 22.5  # 10 x (1 + 0.25 x 5)
    assert s.reason == (
        "novel malware hash: 10 x (1 + 0.25 x 5 [malware family, ATT&CK ids, kill-chain role,"
        " confidence, description])"
    )


def test_corroboration_counts_only_new_intelligence() -> None:
    item = ItemContext(T.SHA256, "a" * 64, frozenset({"malware:emotet", "attack:T1059"}), 90)
    seen = frozenset({"malware:emotet"})
    assert score(item, CORROBORATING, unit="u", seen_labels=seen).points == 2.5
    same = score(item, CORROBORATING, unit="u", seen_labels=frozenset(item.labels))
    assert (same.points, same.reason) == (0, "corroborating malware hash without new context")
    other_family = frozenset({"malware:qakbot", "attack:T1059"})
    assert score(item, CORROBORATING, unit="u", seen_labels=other_family).points == 2.5


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (Verdict(Novelty.BENIGN, Novelty.BENIGN, "rfc1918"), "benign: on the warninglist rfc1918"),
        (Verdict(Novelty.PUBLISHED, Novelty.PUBLISHED), "published: already in a published source"),
    ],
)
def test_published_and_benign_are_worth_nothing(verdict: Verdict, reason: str) -> None:
    s = score(ItemContext(T.IPV4, "10.0.0.1", frozenset({"c2"})), verdict, unit="u")
    assert (s.centipoints, s.reason) == (0, reason)


def test_classification_never_reveals_hidden_reports() -> None:
    hidden = classify(Prior(others=True, others_visible=False))
    assert (hidden.shown, hidden.true) == (Novelty.NOVEL, Novelty.CORROBORATING)
    seen = classify(Prior(others=True, others_visible=True))
    assert seen.shown is Novelty.CORROBORATING
    assert classify(Prior(published=True, others=True)).shown is Novelty.PUBLISHED
    assert classify(Prior(published=True), "tranco10k").shown is Novelty.BENIGN


@pytest.mark.parametrize(
    ("kind", "value", "unit"),
    [
        (T.DOMAIN, "a.b.evil.co.uk", "domain:evil.co.uk"),
        (T.URL, "http://x.evil.com/a?b=1", "domain:evil.com"),
        (T.URL, "http://203.0.113.5:8080/x", "ipv4:203.0.113.5"),
        (T.URL, "http://[2a0e:97c0::5]/x", "ipv6:2a0e:97c0::/64"),
        (T.DOMAIN, "tenant.github.io", "domain:tenant.github.io"),
        (T.IPV6, "2a0e:97c0:3e3:17::99", "ipv6:2a0e:97c0:3e3:17::/64"),
        (T.SHA1, "b" * 40, "sha1:" + "b" * 40),
    ],
)
def test_credit_units(kind: T, value: str, unit: str) -> None:
    assert credit_unit(kind, value, SUFFIXES) == unit


def test_registered_domain_and_description() -> None:
    assert registered_domain("com", SUFFIXES) == "com"
    assert registered_domain("co.uk", SUFFIXES) == "co.uk"
    formula = describe()
    assert formula["base_points"]["malware hash"] == 10.0
    assert formula["published"] == 0 and formula["benign"] == 0


def test_reputation_only_ever_lowers_points() -> None:
    from phalanx.alliance.scoring import Score, reputation_factor, weighted

    points = Score(1250, "novel malware hash", "unit")
    assert reputation_factor(0.9, 0.8) == 1.0
    assert weighted(points, reputation_factor(0.9, 0.8)) is points
    half = weighted(points, reputation_factor(0.4, 0.8))
    assert (half.centipoints, half.unit) == (625, "unit")
    assert half.reason.startswith("novel malware hash; x 0.50")
    assert weighted(Score(0, "benign", "u"), 0.5).centipoints == 0


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([0, 0, 1, 0xFFFF, 0x2A0E]) | st.integers(0, 0xFFFF), min_size=8, max_size=8
    )
)
def test_an_ipv6_credit_unit_is_its_64_network_as_ipaddress_writes_it(groups: list[int]) -> None:
    number = int.from_bytes(b"".join(g.to_bytes(2, "big") for g in groups), "big")
    address = str(ipaddress.IPv6Address(number))
    expected = f"ipv6:{ipaddress.IPv6Address(number >> 64 << 64)}/64"
    assert credit_unit(T.IPV6, address, frozenset()) == expected
