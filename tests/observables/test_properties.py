"""Properties of normalisation over generated values: idempotence, detection, fast paths."""

from __future__ import annotations

import ipaddress

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from phalanx.observables import (
    InvalidObservable,
    Observable,
    ObservableType,
    detect_type,
    normalize,
    refang,
)
from phalanx.observables.addresses import check_ipv4, fast_ipv4, fast_ipv6, parse_dotted_quad
from phalanx.observables.names import fast_domain, normalize_domain
from phalanx.observables.normalize import _normalize_plain

T = ObservableType
LETTERS = "abcdefghijklmnopqrstuvwxyz"
label = st.text(LETTERS + "0123456789", min_size=1, max_size=12).filter(lambda s: not s.isdigit())
unicode_label = st.text(
    st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd")), min_size=1, max_size=8
)
hosts = st.lists(label, min_size=2, max_size=4).map(".".join)
public_ipv4 = st.integers(0x0B000000, 0x5FFFFFFF).map(lambda n: str(ipaddress.IPv4Address(n)))
public_ipv6 = st.integers(0x2A00 << 112, (0x2A10 << 112) - 1).map(
    lambda n: str(ipaddress.IPv6Address(n))
)
path_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn", "Zl", "Zp")), max_size=20
)


def _canonical_or_none(value: str, kind: ObservableType | None) -> Observable | None:
    try:
        return normalize(value, kind)
    except InvalidObservable:
        return None


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_refang_reaches_a_fixed_point(text: str) -> None:
    once = refang(text)
    assert refang(once) == once


TOKEN_SOUP = [
    "[.]", "(.)", "{.}", "[dot]", " [.] ", "[at]", "(at)", "hxxp", "hXXps", "[:]", "[://]",
    "://", "\\/", "[-]", " DOT ", "evil", "example", ".", "/", "x", " ", ")", "'", "<", ">",
]  # fmt: skip


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(TOKEN_SOUP),
        max_size=12,
    ).map("".join)
)
def test_refang_reaches_a_fixed_point_on_token_soup(text: str) -> None:
    once = refang(text)
    assert refang(once) == once


FRAGMENTS = [
    "hxxp://", "https://", "HTTP://", "evil", "EXAMPLE", "bücher", "[.]", ".", "(.)", "com",
    "example", "/", "//", "/../", "/./", "?", "=", "&", "%41", "%2e", "%7E", "%", "(", ")",
    "[at]", "@", "john", ":8080", ":80", " ", "ä", "198", "51", "100", "7", "::", "2001:db8",
    "ffff:", "/24", "/32", "AS", "64496", "a1b2c3d4", "ß", "xn--", "-", "_", "'", "#frag",
]  # fmt: skip


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=10).map("".join),
    st.sampled_from([None, *T]),
)
def test_normalize_is_idempotent_on_anything_it_accepts(
    value: str, kind: ObservableType | None
) -> None:
    first = _canonical_or_none(value, kind)
    event("accepted" if first is not None else "refused")
    if first is not None:
        assert normalize(first.value, first.type) == first
        assert normalize(first.value) == first


@settings(max_examples=300)
@given(hosts, st.lists(path_text, max_size=3), st.one_of(st.none(), path_text))
def test_url_normalisation_is_idempotent(host: str, segments: list[str], query: str | None) -> None:
    url = f"http://{host}/{'/'.join(segments)}" + ("" if query is None else f"?{query}")
    first = _canonical_or_none(url, T.URL)
    assume(first is not None)
    assert first is not None
    assert normalize(first.value, T.URL) == first
    assert normalize(first.value) == first


@settings(max_examples=200)
@given(st.lists(st.one_of(label, unicode_label), min_size=2, max_size=4).map(".".join))
def test_domain_normalisation_is_idempotent_including_idn(name: str) -> None:
    first = _canonical_or_none(name, T.DOMAIN)
    assume(first is not None)
    assert first is not None
    assert first.value.isascii() and first.value == first.value.lower()
    assert normalize(first.value, T.DOMAIN) == first


@settings(max_examples=300)
@given(
    st.one_of(
        public_ipv4.map(lambda v: (v, T.IPV4)),
        public_ipv6.map(lambda v: (v, T.IPV6)),
        hosts.map(lambda v: (v, T.DOMAIN)),
        st.binary(min_size=16, max_size=16).map(lambda b: (b.hex(), T.MD5)),
        st.binary(min_size=20, max_size=20).map(lambda b: (b.hex(), T.SHA1)),
        st.binary(min_size=32, max_size=32).map(lambda b: (b.hex(), T.SHA256)),
        st.binary(min_size=64, max_size=64).map(lambda b: (b.hex(), T.SHA512)),
        st.integers(1, 2**32 - 1).map(lambda n: (str(n), T.ASN)),
        hosts.map(lambda h: (f"https://{h}/a/b?c=d", T.URL)),
        hosts.map(lambda h: (f"user@{h}", T.EMAIL)),
        st.tuples(public_ipv4, st.integers(8, 31)).map(
            lambda p: (str(ipaddress.ip_network(f"{p[0]}/{p[1]}", strict=False)), T.CIDR)
        ),
    )
)
def test_detect_type_agrees_with_explicit_type_for_canonical_values(
    case: tuple[str, ObservableType],
) -> None:
    value, kind = case
    canonical = normalize(value, kind)
    assert detect_type(canonical.value) is canonical.type
    assert normalize(canonical.value) == canonical


@settings(max_examples=300)
@given(st.integers(0, 2**128 - 1))
def test_fast_ipv6_path_agrees_with_ipaddress(number: int) -> None:
    address = ipaddress.IPv6Address(number)
    for spelling in (address.compressed, address.exploded, address.exploded.upper()):
        fast = _canonical_or_none(spelling, T.IPV6)
        if fast is not None and fast.type is T.IPV6:
            assert fast.value == address.compressed
        try:
            quick = fast_ipv6(spelling)
        except InvalidObservable:
            continue
        if quick is not None:
            assert quick == _normalize_plain(spelling, T.IPV6, False, False)


@settings(max_examples=300)
@given(st.integers(0, 2**32 - 1))
def test_fast_and_full_ipv4_paths_agree(number: int) -> None:
    dotted = str(ipaddress.IPv4Address(number))
    outcomes = []
    for path in (fast_ipv4, lambda text: check_ipv4(parse_dotted_quad(text))):
        try:
            outcomes.append(path(dotted))
        except InvalidObservable as error:
            outcomes.append(error.reason)
    assert outcomes[0] == outcomes[1]


@settings(max_examples=500)
@given(st.text(LETTERS + "0123456789-.", min_size=1, max_size=30))
def test_fast_domain_path_only_takes_what_the_full_path_gives_back_unchanged(name: str) -> None:
    fast = fast_domain(name)
    if fast is not None:
        assert normalize_domain(name) == fast == Observable(T.DOMAIN, name)
