"""Streaming bundle writer and the marking collector."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.bundle import collect_markings, write_bundle
from phalanx.formats.stix21.markings import (
    PAP_IDS,
    TLP1_IDS,
    marking_for_tlp,
    pap_marking,
    tlp1_marking,
)
from phalanx.formats.stix21.scos import sco_for
from phalanx.observables.kinds import ObservableType as T
from phalanx.observables.model import Observable
from phalanx.policy.markings import PAP, TLP

AssertValid = Callable[[dict[str, Any]], None]
BUNDLE_ID = "bundle--7f3e2d1c-0b9a-4877-a665-544332211000"


def scos(count: int) -> Iterator[dict[str, Any]]:
    """Distinct IPv4 SCOs, produced lazily."""
    for n in range(count):
        yield sco_for(Observable(T.IPV4, f"198.51.{n // 256}.{n % 256}"))


def test_bundle_bytes_are_the_literal_json() -> None:
    sco = sco_for(Observable(T.DOMAIN, "example.com"))
    assert b"".join(write_bundle([sco], BUNDLE_ID)) == (
        b'{"type":"bundle","id":"bundle--7f3e2d1c-0b9a-4877-a665-544332211000","objects":['
        b'{"type":"domain-name","spec_version":"2.1",'
        b'"id":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","value":"example.com"}]}'
    )


def test_empty_bundle_has_no_objects_list(assert_valid_stix: AssertValid) -> None:
    document = orjson.loads(b"".join(write_bundle([], BUNDLE_ID)))
    assert document == {"type": "bundle", "id": BUNDLE_ID}
    assert_valid_stix(document)


def test_large_bundle_streams_in_chunks(assert_valid_stix: AssertValid) -> None:
    chunks = list(write_bundle(scos(2000), BUNDLE_ID, chunk_size=4096))
    assert len(chunks) > 10
    assert all(len(chunk) < 4096 + 512 for chunk in chunks)
    document = orjson.loads(b"".join(chunks))
    assert [obj["value"] for obj in document["objects"]][-1] == "198.51.7.207"
    assert len(document["objects"]) == 2000
    assert_valid_stix(document)


def test_objects_are_consumed_lazily() -> None:
    consumed = []

    def objects() -> Iterator[dict[str, Any]]:
        for sco in scos(3):
            consumed.append(sco["value"])
            yield sco

    stream = write_bundle(objects(), BUNDLE_ID, chunk_size=1)
    next(stream)
    assert consumed == ["198.51.0.0", "198.51.0.1"]


def test_bad_bundle_id_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        list(write_bundle([], "bundle-7f3e2d1c"))
    assert caught.value.field == "id"


def test_collect_markings_in_first_use_order() -> None:
    objects = [
        {
            "type": "indicator",
            "object_marking_refs": [marking_for_tlp(TLP.RED)["id"], PAP_IDS[PAP.RED]],
        },
        {
            "type": "indicator",
            "object_marking_refs": [PAP_IDS[PAP.RED], TLP1_IDS["green"]],
            "granular_markings": [
                {"marking_ref": marking_for_tlp(TLP.CLEAR)["id"], "selectors": ["description"]},
                {"lang": "de", "selectors": ["name"]},
            ],
        },
        {
            "type": "indicator",
            "object_marking_refs": ["marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"],
        },
        {"type": "ipv4-addr"},
    ]
    assert collect_markings(objects) == [
        marking_for_tlp(TLP.RED),
        pap_marking(PAP.RED),
        tlp1_marking("green"),
        marking_for_tlp(TLP.CLEAR),
    ]
