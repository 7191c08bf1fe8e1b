"""Reading sightings from JSON items and STIX objects (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phalanx.errors import InvalidInput
from phalanx.feedback.items import items_of, read_item
from phalanx.feedback.model import SightingKind
from phalanx.feedback.stix import is_stix, raw_items
from phalanx.observables.normalize import normalize

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def read(raw: object):  # type: ignore[no-untyped-def]
    return read_item(0, raw, normalize=normalize, now=NOW)


@pytest.mark.parametrize(
    ("given", "kind"),
    [("seen", SightingKind.SEEN), ("0", SightingKind.SEEN), ("1", SightingKind.FALSE_POSITIVE),
     (2, SightingKind.EXPIRED), ("False-Positive", SightingKind.FALSE_POSITIVE)],
)  # fmt: skip
def test_kinds_include_misp_codes(given: object, kind: SightingKind) -> None:
    assert read({"value": "evil.example", "sighting": given}).kind is kind


def test_defaults_and_normalisation() -> None:
    item = read({"value": "hxxp://EVIL[.]example/a"})
    assert (item.observable.type.value, item.observable.value) == ("url", "http://evil.example/a")
    assert (item.count, item.first_seen, item.last_seen) == (1, NOW, NOW)
    assert item.anonymous is True and item.item_key is None
    only_first = read({"value": "evil.example", "first_seen": "2026-11-01T00:00:00Z"})
    assert only_first.first_seen == only_first.last_seen == datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"value": "evil.example", "count": True}, "count"),
        ({"value": "evil.example", "count": 1_000_000_000}, "count"),
        ({"value": "evil.example", "first_seen": "2026-11-02T00:00:00Z",
          "last_seen": "2026-11-01T00:00:00Z"}, "first_seen"),
        ({"value": "evil.example", "last_seen": (NOW + timedelta(minutes=6)).isoformat()},
         "last_seen"),
        ({"value": "evil.example", "last_seen": "yesterday"}, "last_seen"),
        ({"value": "evil.example", "anonymous": "no"}, "anonymous"),
        ({"value": "evil.example", "id": ""}, "id"),
        ({"value": "evil.example", "context": "x" * 2049}, "context"),
        ({"value": ""}, "value"),
        ({"type": 4, "value": "evil.example"}, "type"),
        ("evil.example", "item"),
    ],
)  # fmt: skip
def test_bad_items_name_the_field(raw: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read(raw)
    assert caught.value.details.get("field") == field


def test_clock_skew_is_tolerated() -> None:
    item = read({"value": "evil.example", "last_seen": (NOW + timedelta(minutes=4)).isoformat()})
    assert item.last_seen > NOW


def test_bodies() -> None:
    assert items_of({"value": "a.example"}) == [{"value": "a.example"}]
    assert items_of([1, 2]) == [1, 2]
    with pytest.raises(InvalidInput):
        items_of("nope")


def test_a_sighting_of_an_indicator_with_several_observables_is_numbered() -> None:
    indicator = {
        "type": "indicator", "id": "indicator--1",
        "pattern": "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'evil.example']",
    }  # fmt: skip
    sighting = {"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--1"}
    bundle = {"type": "bundle", "objects": [indicator, sighting]}
    assert is_stix(bundle) and not is_stix({"sightings": []})
    items = raw_items(bundle)
    assert [(i["type"], i["value"], i["id"]) for i in items] == [  # type: ignore[index]
        ("ipv4", "198.51.100.1", "sighting--1#0"),
        ("domain", "evil.example", "sighting--1#1"),
    ]


def test_agreeing_opinions_and_missing_targets_are_explained() -> None:
    agree = {"type": "opinion", "id": "opinion--1", "opinion": "agree", "object_refs": ["x"]}
    lost = {"type": "sighting", "id": "sighting--2", "sighting_of_ref": "indicator--9"}
    zero = {"type": "sighting", "id": "sighting--3", "count": 0,
            "x_phalanx_observable": {"type": "domain", "value": "evil.example"}}  # fmt: skip
    problems = raw_items({"type": "bundle", "objects": [agree, lost, zero]})
    assert [getattr(p, "field", None) for p in problems] == ["opinion", "sighting_of_ref", "count"]
