"""Pure STIX object rules of the store (formats/stix21/objects.py, taxii/query.py, media.py)."""

from __future__ import annotations

import pytest

from phalanx.errors import InvalidInput, Unsupported
from phalanx.formats.stix21.objects import (
    check_storable,
    deterministic_sco_id,
    digest_of,
    tlp_of,
    version_of,
)
from phalanx.policy.markings import TLP
from phalanx.taxii.media import check_accept, check_content_type
from phalanx.taxii.query import OBJECTS, BadRequest, Versions, parse_query

FILE_SHA256 = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"


@pytest.mark.parametrize(
    ("sco", "expected"),
    [
        ({"type": "ipv4-addr", "value": "198.51.100.3"}, "28bb3599-77cd-5a82-a950-b5bc3caf07c4"),
        ({"type": "ipv4-addr", "value": "198.51.100.2"}, "9cf4a8ec-7640-5f40-a006-79942896168b"),
        ({"type": "domain-name", "value": "example.com"}, "bedb4899-d24b-5401-bc86-8f6b4cc18ec7"),
        (
            {"type": "url", "value": "https://example.com/research/index.html"},
            "47c3cf9a-5027-5bf0-997a-017c7edc7c55",
        ),
        (
            {"type": "email-addr", "value": "john@example.com"},
            "7165e2a9-671f-585d-b1e1-ca59c671d934",
        ),
        (
            {"type": "file", "hashes": {"SHA-256": FILE_SHA256}, "name": "tabby_pics.zip"},
            "cfebcece-2336-51b0-baf1-d94daae5e1d1",
        ),
    ],
)
def test_deterministic_sco_ids_match_the_spec_vectors(
    sco: dict[str, object], expected: str
) -> None:
    assert deterministic_sco_id(sco) == f"{sco['type']}--{expected}"


def test_deterministic_ids_are_computed_over_canonical_values() -> None:
    # spec-notes gotcha 4: one address, one id, however it is spelled.
    assert deterministic_sco_id({"type": "ipv4-addr", "value": "198.51.100.3/32"}) == (
        deterministic_sco_id({"type": "ipv4-addr", "value": "198.51.100.3"})
    )
    long = {"type": "ipv6-addr", "value": "2001:0db8:85a3:0000:0000:8a2e:0370:7334"}
    short = {"type": "ipv6-addr", "value": "2001:db8:85a3::8a2e:370:7334"}
    assert deterministic_sco_id(long) == deterministic_sco_id(short)
    assert deterministic_sco_id({"type": "domain-name", "value": "EXAMPLE.com."}) == (
        "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"
    )
    assert deterministic_sco_id({"type": "mutex", "name": "x"}) is None


def test_versions_digests_and_markings() -> None:
    sdo = {"type": "malware", "created": "2026-01-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z"}
    assert version_of(sdo) == "2026-02-01T00:00:00Z"
    assert version_of({"type": "marking-definition", "created": "2017-01-20T00:00:00.000Z"})
    assert version_of({"type": "ipv4-addr", "value": "1.2.3.4"}) is None
    assert digest_of({"a": 1, "b": 2}) == digest_of({"b": 2, "a": 1})
    tlp1_amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    tlp2_green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    both = {"object_marking_refs": [tlp2_green, tlp1_amber]}
    assert tlp_of(both, {}) is TLP.AMBER_STRICT  # TLP 1.0 AMBER reads as AMBER+STRICT
    granular = {"granular_markings": [{"marking_ref": tlp1_amber, "selectors": ["name"]}]}
    assert tlp_of(granular, {}) is TLP.AMBER_STRICT
    assert tlp_of({"object_marking_refs": ["marking-definition--unknown"]}, {}) is None


def test_storable_needs_stix_21() -> None:
    base = {"type": "malware", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}
    base |= {"created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"}
    check_storable({**base, "spec_version": "2.1"})
    for bad, field in (
        (base, "spec_version"),
        ({**base, "spec_version": "2.0"}, "spec_version"),
        ({**base, "spec_version": "2.1", "modified": "2025-01-01T00:00:00Z"}, "modified"),
    ):
        with pytest.raises(InvalidInput) as error:
            check_storable(bad)
        assert error.value.field == field


def test_query_parsing() -> None:
    def parse(*pairs: tuple[str, str]) -> object:
        return parse_query(pairs, allowed=OBJECTS, default_limit=100, max_limit=1000)

    query = parse(("match[version]", "first,2026-01-01T00:00:00Z"), ("limit", "5000"))
    assert query.limit == 1000  # capped, not refused
    assert query.versions == Versions(first=True, last=False, exact=(1767225600000000,))
    assert parse(("match[version]", "all")).versions.all
    assert parse(("unknown", "x")).limit == 100
    with pytest.raises(BadRequest):
        parse(("match[type]", "indicator,"))


def test_media_type_negotiation() -> None:
    check_accept("application/taxii+json;version=2.1")
    check_accept("application/xml, application/taxii+json")
    check_accept("*/*")
    for refused in (None, "", "application/stix+json", "application/taxii+json;version=2.1;q=0"):
        with pytest.raises(Unsupported):
            check_accept(refused)
    check_content_type("application/taxii+json; version=2.1")
    with pytest.raises(Unsupported):
        check_content_type("application/taxii+json;version=2.0")
