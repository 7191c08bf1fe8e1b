"""Bundles written by misp-stix import with one item per normalised value, and agree with
importing the same MISP event directly.

``samples/quirks_event.misp-stix.json`` is misp-stix 2026.10.12's STIX 2.1 export of
``samples/quirks_event.json`` (made with ``MISPtoSTIX21Parser().parse_misp_event``): ip-src/
ip-dst as network-traffic patterns, SCO ids reusing attribute uuids, one value in several
attributes and spellings, to_ids false attributes as observed-data only.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from phalanx.formats.stix21 import misp_quirks
from phalanx.formats.stix21.reader import read_bundle

SAMPLES = Path(__file__).parent / "samples"


def post(client, member, payload: bytes, fmt: str):
    response = client.post(
        "/api/v1/contributions",
        params={"format": fmt},
        content=payload,
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    return response.json()["items"]


def accepted(items):
    return {(i["type"], i["value"]) for i in items if i["outcome"] in ("new", "known")}


def labels_of(client, member, kind, value):
    view = client.get(f"/api/v1/observables/{kind}/{value}", headers=member.auth).json()
    return {(tuple(r["labels"]), r["tlp"], r["pap"]) for r in view["reports"]}


def test_misp_stix_bundle_gives_each_normalised_value_once(client, member):
    acme = member("Acme")
    items = post(client, acme, (SAMPLES / "quirks_event.misp-stix.json").read_bytes(), "stix")
    values = Counter((i["type"], i["value"]) for i in items)
    assert all(count == 1 for count in values.values()), values
    assert all(i["outcome"] == "new" for i in items), items
    assert ("ipv4", "45.33.32.156") in values  # ip-src pattern, ip-dst SCO and a /32 spelling
    assert ("url", "http://evil-c2.example.org/gate.php") in values  # two spellings
    assert ("md5", "0cc175b9c0f1b6a831c399e269772661") in values  # filename|md5
    assert ("email", "phish@evil-c2.example.org") in values  # email-src
    assert not [i for i in items if i["type"] == "stix-pattern"]
    assert labels_of(client, acme, "domain", "observed-only.example.org") == {
        (("no-ids",), "green", "green")
    }
    assert labels_of(client, acme, "ipv4", "45.33.32.156") == {((), "green", "green")}


def test_misp_stix_and_misp_json_agree(client, member):
    via_stix, via_misp = member("Via STIX"), member("Via MISP")
    stix_items = post(
        client, via_stix, (SAMPLES / "quirks_event.misp-stix.json").read_bytes(), "stix"
    )
    misp_items = post(client, via_misp, (SAMPLES / "quirks_event.json").read_bytes(), "misp")
    # misp-stix lower-cases a whole e-mail address; Phalanx keeps the local part as given
    # (RFC 5321), so compare addresses case-insensitively.
    assert _folded(accepted(stix_items)) == _folded(accepted(misp_items))
    for kind, value in accepted(misp_items):
        shown = value.lower() if kind == "email" else value
        mine = labels_of(client, via_misp, kind, value)
        theirs = labels_of(client, via_stix, kind, shown)
        assert mine == theirs, (kind, value)


def _folded(pairs):
    return {(kind, value.lower() if kind == "email" else value) for kind, value in pairs}


def test_shared_misp_stix_export_matches_its_misp_events(client, member, shared_data: Path):
    folder = shared_data / "misp" / "misp-stix"
    via_stix, via_misp = member("Via STIX"), member("Via MISP")
    stix_items = post(
        client, via_stix, (folder / "test_events_collection_stix21.json").read_bytes(), "stix"
    )
    misp_items = []
    for name in ("test_events_collection_1.json", "test_events_collection_2.json"):
        misp_items += post(client, via_misp, (folder / name).read_bytes(), "misp")
    values = Counter((i["type"], i["value"]) for i in stix_items)
    assert all(count == 1 for count in values.values()), values  # circl.lu is in two events
    # misp-stix writes the filename-only attribute as a file:name pattern, which Phalanx
    # keeps whole; the MISP importer reports a bare file name as context instead.
    assert accepted(stix_items) - accepted(misp_items) == {
        ("stix-pattern", "[file:name = 'test_file_name']")
    }
    assert accepted(misp_items) <= accepted(stix_items)
    assert labels_of(client, via_stix, "asn", "174") == labels_of(client, via_misp, "asn", "174")


def test_other_bundles_are_left_alone():
    bundle = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": [
            {
                "type": "ipv4-addr",
                "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
                "value": "198.51.100.3",
            },
            {
                "type": "ipv4-addr",
                "id": "ipv4-addr--11111111-77cd-4a82-a950-b5bc3caf07c4",
                "value": "198.51.100.3/32",
            },
        ],
    }
    assert not misp_quirks.is_misp_stix(bundle["objects"])
    assert misp_quirks.rewrite(bundle["objects"]) is bundle["objects"]
    records = list(read_bundle(orjson.dumps(bundle), {}))
    assert len(records) == 2  # no misp-stix dedupe: the generic reader decides
    assert all("no-ids" not in (r.get("labels") or ()) for r in records)


def test_merging_duplicates_never_widens():
    objects = [{"type": "indicator", "labels": ['misp:type="domain"']}]
    first = {"type": "domain", "value": "A.example", "tlp": "green", "stix_id": "indicator--1"}
    later = {
        "type": "domain",
        "value": "a.example.",
        "tlp": "red",
        "pap": "amber",
        "labels": ["c2"],
        "stix_id": "indicator--2",
    }
    (merged,) = misp_quirks.dedupe(objects, [first, later])
    assert (merged["tlp"], merged["pap"], merged["labels"]) == ("red", "amber", ["c2"])
