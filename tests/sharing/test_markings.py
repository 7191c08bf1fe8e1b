"""TLP 1.0 markings are accepted on input and mapped to TLP 2.0; PAP is accepted and kept.

JSON items may name TLP 1.0 levels (``white``) or MISP tags (``tlp:white``); a STIX bundle may
carry the TLP 1.0 marking definitions of STIX 2.1 §7.2.1.4, whose AMBER reads as
AMBER+STRICT (spec-notes §3.1, "when in doubt"). Which deployment channels PAP:RED keeps out
of is tested with the channels; here PAP:RED is stored and shown as given.
"""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from phalanx.formats.stix21.markings import PAP_IDS, TLP1_IDS, TLP2_IDS
from phalanx.policy.markings import PAP, TLP


@pytest.fixture
def pair(member):
    return member("Acme"), member("Friend"), member("Stranger")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("white", "clear"),
        ("TLP:WHITE", "clear"),
        ("tlp:green", "green"),
        ("AMBER", "amber"),
        ("amber-strict", "amber+strict"),
        ("TLP:AMBER+STRICT", "amber+strict"),
        ("Red", "red"),
    ],
)
def test_tlp_names_are_mapped_on_input(api, pair, given, stored):
    acme, _friend, _stranger = pair
    value = "198.51.100.50"
    api.contribute(acme, [{"value": value, "tlp": given, "share_with": ["Friend"]}])
    view = api.lookup(acme, "ipv4", value).json()
    assert view["tlp"] == stored
    assert [r["tlp"] for r in view["reports"]] == [stored]


def test_tlp_white_is_clear_for_everyone(api, pair):
    acme, friend, stranger = pair
    api.contribute(acme, ["white.example"], tlp="tlp:white")
    for viewer in (friend, stranger):
        assert api.sees(viewer, [("domain", "white.example")]) == {"white.example"}


def test_unknown_tlp_is_rejected_naming_the_field(api, pair):
    acme, *_ = pair
    outcome = api.contribute(acme, [{"value": "x.example", "tlp": "orange"}, "y.example"])
    assert [i["outcome"] for i in outcome["items"]] == ["rejected", "new"]
    assert outcome["items"][0]["reason"].startswith("tlp: unknown TLP 'orange'")


def _indicator(number: int, value: str, markings: list[str]) -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": f"[domain-name:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": markings,
    }


def test_stix_tlp1_markings_are_mapped_to_tlp2(api, pair):
    acme, friend, stranger = pair
    bundle = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [
            _indicator(1, "white1.example", [TLP1_IDS["white"]]),
            _indicator(2, "green1.example", [TLP1_IDS["green"]]),
            _indicator(3, "amber1.example", [TLP1_IDS["amber"]]),
            _indicator(4, "red1.example", [TLP1_IDS["red"]]),
            _indicator(5, "amber2.example", [TLP2_IDS[TLP.AMBER], PAP_IDS[PAP.RED]]),
        ],
    }
    response = api.client.post(
        "/api/v1/contributions",
        params={"share_with": "Friend"},
        content=orjson.dumps(bundle),
        headers={**acme.auth, "Content-Type": "application/stix+json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"] == {"new": 5, "known": 0, "rejected": 0}
    expected = {
        "white1.example": ("clear", "green"),
        "green1.example": ("green", "green"),
        "amber1.example": ("amber+strict", "green"),  # TLP 1.0 AMBER: the strict reading
        "red1.example": ("red", "green"),
        "amber2.example": ("amber", "red"),
    }
    for value, (tlp, pap) in expected.items():
        report = api.lookup(acme, "domain", value).json()["reports"][0]
        assert (report["tlp"], report["pap"]) == (tlp, pap), value
    domains = [("domain", v) for v in expected]
    assert api.sees(friend, domains) == set(expected)  # named in share_with
    assert api.sees(stranger, domains) == {"white1.example", "green1.example"}


@pytest.mark.parametrize("given", ["red", "PAP:RED", "pap:red"])
def test_pap_red_is_accepted_and_kept_on_every_read(api, pair, given):
    acme, friend, _stranger = pair
    value = "pap-red.example"
    outcome = api.contribute(acme, [value], tlp="amber", pap=given, share_with=["Friend"])
    assert outcome["counts"]["new"] == 1
    view = api.lookup(friend, "domain", value).json()
    assert [r["pap"] for r in view["reports"]] == ["red"]
    exported = api.client.get("/api/v1/export", params={"format": "csv"}, headers=friend.auth)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["value"], r["pap"]) for r in rows] == [(value, "red")]
    bundle = api.client.get("/api/v1/export", params={"format": "stix"}, headers=friend.auth)
    (indicator,) = [o for o in bundle.json()["objects"] if o["type"] == "indicator"]
    assert PAP_IDS[PAP.RED] in indicator["object_marking_refs"]
    assert TLP2_IDS[TLP.AMBER] in indicator["object_marking_refs"]


def test_pap_white_is_clear_and_unknown_pap_is_rejected(api, pair):
    acme, *_ = pair
    outcome = api.contribute(
        acme, [{"value": "a.example", "pap": "white"}, {"value": "b.example", "pap": "purple"}]
    )
    assert outcome["items"][0]["outcome"] == "new"
    assert outcome["items"][1]["reason"].startswith("pap: unknown PAP 'purple'")
    assert api.lookup(acme, "domain", "a.example").json()["reports"][0]["pap"] == "clear"
