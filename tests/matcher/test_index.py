"""Building the index: what goes where, memory, refs, and bad input."""

from __future__ import annotations

import pytest

from phalanx.errors import InvalidInput
from phalanx.matcher import MATCHABLE_TYPES, build_index, match_lines
from phalanx.observables.kinds import ObservableType as T


def test_every_matchable_type_is_indexed_and_counted() -> None:
    index = build_index(
        [
            (1, T.IPV4, "198.51.100.7"), (2, T.IPV6, "2001:db8::1"), (3, T.CIDR, "203.0.113.0/24"),
            (4, T.CIDR, "2001:db8::/32"), (5, T.CIDR, "2001:db8::1:0/112"),
            (6, T.DOMAIN, "evil.test"),
            (7, T.URL, "http://evil.test/x"), (8, T.EMAIL, "bad@evil.test"),
            (9, T.MD5, "5d41402abc4b2a76b9719d911017c592"),
            (10, T.SHA1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
            (11, T.SHA256, "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
            (12, T.SHA512, "ab" * 64),
        ]
    )  # fmt: skip
    assert len(index) == 12
    assert (len(index.keys), len(index.cidr4), len(index.cidr6), index.long6) == (
        10,
        1,
        1,
        (112, 128),
    )
    assert {T(k) for k in MATCHABLE_TYPES} >= {T.IPV4, T.CIDR, T.DOMAIN, T.URL, T.SHA512}


def test_values_are_canonicalised_defensively() -> None:
    index = build_index(
        [(1, T.DOMAIN, " Evil.Test. "), (2, T.MD5, "5D41402ABC4B2A76B9719D911017C592")]
    )
    found = [
        (m.line, m.indicator_ref)
        for m in match_lines(index, ["evil.test", "5d41402abc4b2a76b9719d911017c592"])
    ]
    assert found == [(1, 1), (2, 2)]


def test_refs_are_stored_narrow_when_they_fit_and_wide_when_not() -> None:
    narrow = build_index([(7, T.DOMAIN, "evil.test"), (2**32 - 1, T.CIDR, "203.0.113.0/24")])
    wide = build_index([(-5, T.DOMAIN, "evil.test"), (2**40, T.CIDR, "203.0.113.0/24")])
    assert narrow.keys.refs.itemsize == 4 and wide.keys.refs.itemsize == 8
    assert [m.indicator_ref for m in match_lines(wide, ["evil.test", "203.0.113.1"])] == [-5, 2**40]


def test_one_value_under_several_refs_reports_each() -> None:
    index = build_index(
        [
            (1, T.DOMAIN, "evil.test"),
            (2, T.DOMAIN, "evil.test"),
            (3, T.CIDR, "203.0.113.0/24"),
            (4, T.CIDR, "203.0.113.0/24"),
        ]
    )
    assert sorted(m.indicator_ref for m in match_lines(index, ["evil.test", "203.0.113.9"])) == [
        1,
        2,
        3,
        4,
    ]


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (T.IPV4, "999.1.1.1", "illegal IP address"),
        (T.CIDR, "203.0.113.7/24", "host bits set"),
        (T.CIDR, "2001:db8::/129", "bad length"),
        (T.DOMAIN, "  ", "empty"),
        (T.YARA, "rule x { condition: true }", "cannot be matched"),
    ],
)
def test_bad_indicators_are_rejected_with_the_item_number(kind: T, value: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_index([(1, T.DOMAIN, "evil.test"), (2, kind, value)])
    assert caught.value.item == 2 and reason in caught.value.reason


def test_memory_per_indicator_is_small() -> None:
    items = [(i, T.IPV4, f"198.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}") for i in range(20000)]
    items += [(i, T.CIDR, f"10.{i >> 8 & 255}.{i & 255}.0/24") for i in range(20000, 25000)]
    index = build_index(items)
    assert index.nbytes / len(index) < 32
