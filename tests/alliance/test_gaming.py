"""Acceptance: splitting, trivial URL variants and re-submission earn no extra points."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ledger, points

HASH = "9e107d9d372bb6826bd81d3542a419d6a1f4c8b2e3d5f60718293a4b5c6d7e8f"


@pytest.fixture
def mallory(member: Any) -> Any:
    return member("Mallory Security")


def test_many_urls_of_one_host_earn_once(api: Any, mallory: Any) -> None:
    urls = [f"http://drop.gamed-host.net/payload/{n}.bin" for n in range(10)]
    body = api.contribute(mallory, urls, tlp="green")
    assert [i["points"] for i in body["items"]] == [4.0] + [0.0] * 9
    assert body["points"] == 4.0
    reasons = {r["reason"] for r in ledger(api, mallory)[1:]}
    assert reasons == {"no extra credit: you were already credited for the domain gamed-host.net"}
    # Later: subdomains, the bare domain and more URLs of the same registered domain.
    more = [
        "cdn.gamed-host.net",
        "gamed-host.net",
        "https://www.gamed-host.net/login",
        "http://gamed-host.net:8080/x",
    ]
    assert api.contribute(mallory, more, tlp="green")["points"] == 0
    assert points(api, mallory) == 4.0


def test_trivial_variants_of_one_url_earn_once(api: Any, mallory: Any) -> None:
    variants = [
        "http://Variant-Host.org/a/../index.php",
        "http://variant-host.org:80/index.php",
        "hxxp://variant-host[.]org/index.php",
        "http://variant-host.org/index.php?",
        "http://variant-host.org/index.php?utm=1",
        "http://variant-host.org/index.php#frag",
    ]
    body = api.contribute(mallory, variants, tlp="green")
    assert body["points"] == 4.0
    assert points(api, mallory) == 4.0


def test_a_public_suffix_does_not_merge_tenants(api: Any, mallory: Any) -> None:
    body = api.contribute(
        mallory, ["evil-one.github.io", "evil-two.github.io", "x.evil-two.github.io"], tlp="green"
    )
    assert [i["points"] for i in body["items"]] == [5.0, 5.0, 0.0]


def test_ipv6_addresses_of_one_64_earn_once(api: Any, mallory: Any) -> None:
    values = [f"2a0e:97c0:3e3:17::{n:x}" for n in range(1, 9)] + ["2a0e:97c0:3e3:18::1"]
    body = api.contribute(mallory, values, tlp="green")
    assert [i["points"] for i in body["items"]] == [5.0] + [0.0] * 7 + [5.0]


def test_resubmitting_earns_nothing_even_with_new_context(api: Any, mallory: Any) -> None:
    first = api.contribute(mallory, [HASH], tlp="green")
    assert first["points"] == 10.0
    again = api.contribute(
        mallory,
        [HASH],
        tlp="green",
        labels=["malware:qakbot", "attack:T1055", "payload"],
        confidence=90,
        comment="now with context",
    )
    assert (again["items"][0]["outcome"], again["points"]) == ("known", 0)
    assert points(api, mallory) == 10.0
    assert len(ledger(api, mallory)) == 1  # a resubmission writes no row


def test_splitting_context_over_submissions_earns_less(api: Any, member: Any) -> None:
    """Context sent later is worth nothing: everything at once is worth the most."""
    dripper, honest = member("Drip Feed Ltd"), member("Honest Labs")
    context = {"labels": ["malware:qakbot", "attack:T1055"], "confidence": 80}
    api.contribute(dripper, [HASH], tlp="green")
    api.contribute(dripper, [HASH], tlp="green", labels=["malware:qakbot"])
    api.contribute(dripper, [HASH], tlp="green", **context)
    other = "0" * 63 + "1"
    api.contribute(honest, [other], tlp="green", **context)
    assert points(api, dripper) == 10.0
    assert points(api, honest) == 17.5  # 10 x (1 + 0.25 x 3)


def test_duplicates_inside_one_contribution_earn_once(api: Any, mallory: Any) -> None:
    body = api.contribute(mallory, [HASH, HASH.upper(), HASH], tlp="green")
    assert body["points"] == 10.0
    assert [i["outcome"] for i in body["items"]] == ["new", "known", "known"]


def test_corroborating_without_new_context_earns_nothing(api: Any, member: Any) -> None:
    first, echo = member("First Finder"), member("Echo Chamber")
    api.contribute(first, [HASH], tlp="green", labels=["malware:emotet", "c2"])
    body = api.contribute(echo, [HASH], tlp="green", labels=["malware:emotet", "c2"])
    assert (body["items"][0]["novelty"], body["points"]) == ("corroborating", 0)
    # A description or a confidence is not new intelligence either.
    other = api.contribute(member("Echo Two"), [HASH], tlp="green", comment="seen", confidence=99)
    assert other["points"] == 0
