"""Attribute by attribute: MISP types, tags, galaxies and distribution to item records."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pymisp
import pytest

from phalanx.formats.base import ParseProblem
from phalanx.misp.attributes import EXPORT_TYPES
from phalanx.misp.distribution import attach_sharing_groups, sharing_group_names
from phalanx.misp.envelope import as_bool, as_int, events_of
from phalanx.misp.reader import read_misp
from phalanx.misp.tags import read_tags, tags_for_labels
from phalanx.policy.markings import PAP, TLP


def event(*attributes, tags=(), **fields):
    body = {
        "uuid": "11111111-2222-4333-8444-555555555555",
        "info": "test event",
        "Tag": [{"name": name} for name in tags],
        "Attribute": list(attributes),
        **fields,
    }
    return {"Event": body}


def attribute(kind, value, uuid="aaaaaaaa-0000-4000-8000-000000000001", **fields):
    return {"uuid": uuid, "type": kind, "value": value, **fields}


def read(document):
    return list(read_misp(orjson.dumps(document), {}))


def records(document):
    results = read(document)
    assert all(isinstance(r, dict) for r in results), results
    return results


@pytest.mark.parametrize(
    ("misp_type", "value", "expected"),
    [
        ("ip-src", "198.51.100.7", [(None, "198.51.100.7")]),
        ("ip-dst", "2001:db8::1", [(None, "2001:db8::1")]),
        ("ip-dst", "198.51.100.0/24", [(None, "198.51.100.0/24")]),
        ("ip-src|port", "198.51.100.8|8443", [(None, "198.51.100.8")]),
        ("ip-dst|port", "198.51.100.9|443", [(None, "198.51.100.9")]),
        ("domain", "evil.example", [("domain", "evil.example")]),
        ("hostname", "c2.evil.example", [("domain", "c2.evil.example")]),
        ("hostname|port", "c2.evil.example|8080", [("domain", "c2.evil.example")]),
        (
            "domain|ip",
            "evil.example|198.51.100.7",
            [("domain", "evil.example"), (None, "198.51.100.7")],
        ),
        ("url", "http://evil.example/a", [("url", "http://evil.example/a")]),
        ("uri", "http://evil.example/b", [("url", "http://evil.example/b")]),
        ("email", "a@evil.example", [("email", "a@evil.example")]),
        ("email-src", "b@evil.example", [("email", "b@evil.example")]),
        ("email-dst", "c@evil.example", [("email", "c@evil.example")]),
        ("md5", "0cc175b9c0f1b6a831c399e269772661", [("md5", "0cc175b9c0f1b6a831c399e269772661")]),
        ("sha1", "a" * 40, [("sha1", "a" * 40)]),
        ("sha256", "b" * 64, [("sha256", "b" * 64)]),
        ("sha512", "c" * 128, [("sha512", "c" * 128)]),
        ("filename|sha256", "x.exe|" + "d" * 64, [("sha256", "d" * 64)]),
        ("filename|md5", "y.dll|" + "e" * 32, [("md5", "e" * 32)]),
        ("malware-sample", "z.zip|" + "f" * 32, [("md5", "f" * 32)]),
        ("AS", "AS64500", [("asn", "AS64500")]),
        ("yara", "rule x { condition: true }", [("yara", "rule x { condition: true }")]),
        (
            "snort",
            "alert ip any any -> any any (sid:1;)",
            [("suricata", "alert ip any any -> any any (sid:1;)")],
        ),
        (
            "suricata",
            "alert ip any any -> any any (sid:2;)",
            [("suricata", "alert ip any any -> any any (sid:2;)")],
        ),
        ("sigma", "title: t", [("sigma", "title: t")]),
        (
            "stix2-pattern",
            "[ipv4-addr:value = '198.51.100.1']",
            [("stix-pattern", "[ipv4-addr:value = '198.51.100.1']")],
        ),
    ],
)
def test_each_mappable_type_gives_its_observables(misp_type, value, expected):
    found = records(event(attribute(misp_type, value)))
    assert [(r["type"], r["value"]) for r in found] == expected
    assert all(
        r["_input"] == f"attribute aaaaaaaa-0000-4000-8000-000000000001 ({misp_type})"
        for r in found
    )


def test_composite_context_goes_into_the_comment():
    (found,) = records(
        event(attribute("filename|sha256", "drop.exe|" + "d" * 64, comment="stage 2"))
    )
    assert found["comment"] == (
        "stage 2; filename: drop.exe (MISP event 11111111-2222-4333-8444-555555555555: test event)"
    )
    (port,) = records(event(attribute("ip-dst|port", "198.51.100.9|443")))
    assert port["comment"].startswith("port: 443 (MISP event")


@pytest.mark.parametrize(
    ("misp_type", "why"),
    [
        ("text", "free text"),
        ("link", "reference link"),
        ("comment", "a comment"),
        ("filename", "file name alone"),
        ("regkey|value", "registry keys"),
        ("ssdeep", "md5, sha1, sha256 and sha512"),
        ("target-email", "victim data"),
        ("float", "MISP type 'float' has no Phalanx observable kind"),
    ],
)
def test_unmappable_attributes_are_reported_by_uuid_type_and_reason(misp_type, why):
    uuid = "bbbbbbbb-0000-4000-8000-000000000002"
    ok = attribute("domain", "fine.example", uuid="cccccccc-0000-4000-8000-000000000003")
    results = read(event(attribute(misp_type, "whatever", uuid=uuid), ok))
    problem, record = results
    assert isinstance(problem, ParseProblem)
    assert problem.input == f"attribute {uuid} ({misp_type})"
    assert uuid in problem.reason and misp_type in problem.reason and why in problem.reason
    assert record["value"] == "fine.example"  # the rest goes on


def test_deleted_missing_and_broken_attributes_are_reported_not_fatal():
    results = read(
        event(
            attribute("domain", "gone.example", deleted=True),
            {"uuid": "dddddddd-0000-4000-8000-000000000004", "type": "domain"},
            {"uuid": "eeeeeeee-0000-4000-8000-000000000005", "value": "x.example"},
            attribute("domain", "bad.example", distribution="9"),
            attribute("domain", "kept.example"),
        )
    )
    reasons = [r.reason for r in results if isinstance(r, ParseProblem)]
    assert len(reasons) == 4
    assert "deleted in MISP" in reasons[0]
    assert "has no value" in reasons[1] and "dddddddd" in reasons[1]
    assert "has no type" in reasons[2]
    assert "distribution must be 0-5" in reasons[3]
    assert results[-1]["value"] == "kept.example"


def test_pe_section_hashes_are_not_file_hashes():
    obj = {
        "uuid": "o1",
        "name": "pe-section",
        "Attribute": [attribute("md5", "0cc175b9c0f1b6a831c399e269772661")],
    }
    (problem,) = read(event(Object=[obj]))
    assert "PE section" in problem.reason


def test_object_attributes_map_by_type_with_object_context():
    obj = {
        "uuid": "f0",
        "name": "file",
        "distribution": "5",
        "Attribute": [
            attribute("filename", "loader.dll", object_relation="filename", to_ids=False),
            attribute("sha256", "a" * 64, uuid="a2", object_relation="sha256", to_ids=True),
        ],
    }
    problem, record = read(event(Object=[obj]))
    assert isinstance(problem, ParseProblem)
    assert record["type"] == "sha256" and record["comment"].startswith("file object, sha256 (")
    deleted = {**obj, "deleted": True}
    assert all(isinstance(r, ParseProblem) for r in read(event(Object=[deleted])))


def test_to_ids_false_adds_the_no_ids_label():
    found = records(
        event(
            attribute("domain", "a.example", to_ids=False),
            attribute("domain", "b.example", uuid="u2", to_ids="1"),
            attribute("domain", "c.example", uuid="u3", to_ids="0"),
        )
    )
    assert ["no-ids" in r.get("labels", []) for r in found] == [True, False, True]


def test_tlp_and_pap_tags_attribute_overrides_event():
    found = records(
        event(
            attribute("domain", "a.example"),
            attribute("domain", "b.example", uuid="u2", Tag=[{"name": "tlp:red"}]),
            attribute("domain", "c.example", uuid="u3", Tag=[{"name": "PAP:RED"}]),
            tags=["tlp:amber+strict", "PAP:AMBER"],
        )
    )
    assert [(r["tlp"], r["pap"]) for r in found] == [
        ("amber+strict", "amber"),
        ("red", "amber"),
        ("amber+strict", "red"),
    ]


@pytest.mark.parametrize(
    ("tag", "tlp"),
    [
        ("tlp:white", TLP.CLEAR),
        ("tlp:clear", TLP.CLEAR),
        ("tlp:green", TLP.GREEN),
        ("TLP:AMBER", TLP.AMBER),
        ("tlp:amber+strict", TLP.AMBER_STRICT),
        ("tlp:red", TLP.RED),
        ("tlp:ex:chr", None),
    ],
)
def test_tlp_tags_1_0_and_2_0(tag, tlp):
    assert read_tags([tag]).tlp == tlp


@pytest.mark.parametrize(
    ("tag", "pap"),
    [
        ("PAP:WHITE", PAP.CLEAR),
        ("PAP:CLEAR", PAP.CLEAR),
        ("pap:green", PAP.GREEN),
        ("PAP:RED", PAP.RED),
    ],
)
def test_pap_tags(tag, pap):
    assert read_tags([tag]).pap == pap


@pytest.mark.parametrize(
    ("tag", "labels"),
    [
        (
            'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"',
            ["attack:T1566.001"],
        ),
        ('misp-galaxy:mitre-attack-pattern="T1059"', ["attack:T1059"]),
        (
            'misp-galaxy:mitre-malware="BlackEnergy - S0089"',
            ["attack:S0089", "malware:blackenergy"],
        ),
        ('misp-galaxy:mitre-intrusion-set="APT28 - G0007"', ["attack:G0007", "threat-actor:apt28"]),
        ('misp-galaxy:threat-actor="Sofacy"', ["threat-actor:sofacy"]),
        ('misp-galaxy:malpedia="Emotet"', ["malware:emotet"]),
        ('misp-galaxy:banker="Gozi"', ["malware:gozi"]),
        ('misp-galaxy:tool="X-Agent"', ["malware:x-agent"]),
        ('ms-caro-malware-full:malware-family="Xorist"', ["malware:xorist"]),
        ('workflow:state="incomplete"', []),
        ("malicious-extension", ["malicious-extension"]),
        ("Needs|pipe", []),
    ],
)
def test_galaxies_and_plain_tags_become_labels(tag, labels):
    assert read_tags([tag]).labels == labels


def test_galaxy_blocks_without_tag_names_are_read_too():
    galaxy = {"type": "mitre-attack-pattern", "GalaxyCluster": [{"value": "Phishing - T1566"}]}
    (found,) = records(event(attribute("domain", "a.example"), Galaxy=[galaxy]))
    assert found["labels"] == ["attack:T1566"]


@pytest.mark.parametrize(
    ("tag", "confidence"),
    [
        ('admiralty-scale:information-credibility="1"', 90),
        ('admiralty-scale:information-credibility="5"', 10),
        ('admiralty-scale:information-credibility="6"', None),
        ('estimative-language:confidence-in-analytic-judgment="moderate"', 50),
        ('osint:certainty="93"', 93),
    ],
)
def test_confidence_taxonomies(tag, confidence):
    assert read_tags([tag]).confidence == confidence


def test_labels_round_trip_through_tags():
    labels = ["attack:T1071.001", "malware:emotet", "threat-actor:sofacy", "c2", "attack:TA0011"]
    assert read_tags(tags_for_labels(labels)).labels == labels


@pytest.mark.parametrize(
    ("distribution", "tags", "expected"),
    [
        ("0", (), {"tlp": "amber+strict", "communities": [], "share_with": []}),
        ("0", ("tlp:red",), {"tlp": "red", "communities": [], "share_with": []}),
        ("1", ("tlp:clear",), {"tlp": "green"}),
        ("2", ("tlp:white",), {"tlp": "green"}),
        ("1", ("tlp:amber",), {"tlp": "amber"}),
        ("1", (), {}),  # the contribution's default TLP (AMBER unless given) is above GREEN
        ("3", ("tlp:clear",), {"tlp": "clear"}),
        ("3", (), {}),
    ],
)
def test_event_distribution_sets_a_tlp_floor_and_scope(distribution, tags, expected):
    (found,) = records(
        event(attribute("domain", "a.example"), tags=tags, distribution=distribution)
    )
    shown = {k: found[k] for k in ("tlp", "communities", "share_with") if k in found}
    assert shown == expected


def test_attribute_distribution_is_the_narrowest_of_the_chain():
    found = records(
        event(
            attribute("domain", "a.example", distribution="5"),
            attribute("domain", "b.example", uuid="u2", distribution="0"),
            attribute("domain", "c.example", uuid="u3", distribution="3"),
            tags=["tlp:clear"],
            distribution="1",
        )
    )
    assert [r["tlp"] for r in found] == ["green", "amber+strict", "green"]


def test_sharing_groups_become_communities(shared_data: Path):
    groups = sharing_group_names(
        json.loads((shared_data / "misp/api-samples/sharing_groups.json").read_text())
    )
    assert groups == {"1": "PrivateTrustedGroup", "2": "test"}
    doc = event(
        attribute("domain", "a.example", distribution="5"),
        attribute("domain", "b.example", uuid="u2", distribution="4", sharing_group_id="2"),
        tags=["tlp:clear"],
        distribution="4",
        sharing_group_id="1",
    )
    attach_sharing_groups(doc["Event"], groups)
    first, second = read(doc)
    assert (first["tlp"], first["communities"]) == ("green", ["PrivateTrustedGroup"])
    # Two different sharing groups cannot be intersected with communities: the item stays private.
    assert (second["tlp"], second["communities"]) == ("amber+strict", [])


def test_sharing_group_without_a_name_is_refused_for_every_attribute():
    results = read(event(attribute("domain", "a.example"), distribution="4", sharing_group_id="7"))
    (problem,) = results
    assert "sharing group" in problem.reason and "'7'" in problem.reason


def test_envelopes_bare_wrapped_list_and_response():
    bare = event(attribute("domain", "a.example"))["Event"]
    for document in (
        bare,
        {"Event": bare},
        [bare, {"Event": bare}],
        {"response": [{"Event": bare}]},
    ):
        assert len(events_of(document)) in (1, 2)
        assert all(r["value"] == "a.example" for r in records(document))
    (problem,) = read({"type": "bundle", "objects": []})
    assert "not a MISP event" in problem.reason
    (problem,) = list(read_misp(b"{not json", {}))
    assert "invalid JSON" in problem.reason


def test_misp_scalars():
    assert as_int("3") == 3 and as_int(3) == 3 and as_int(None, 5) == 5
    assert as_bool("1") and as_bool(True) and not as_bool("0") and not as_bool(False)
    with pytest.raises(ValueError):
        as_int("three")


def test_proposals_are_reported_not_imported():
    proposal = {"uuid": "p1", "type": "domain", "value": "proposed.example"}
    results = read(event(attribute("domain", "a.example", ShadowAttribute=[proposal])))
    assert isinstance(results[0], ParseProblem) and "proposal p1 (domain)" in results[0].reason
    assert results[1]["value"] == "a.example"


def test_absent_to_ids_takes_misps_default_for_the_type():
    described = json.loads(
        (Path(pymisp.__file__).parent / "data" / "describeTypes.json").read_text()
    )["result"]["sane_defaults"]
    for misp_type, value in (
        ("AS", "AS64500"),
        ("domain", "a.example"),
        ("email-reply-to", "r@a.example"),
    ):
        (found,) = records(event(attribute(misp_type, value)))
        assert ("no-ids" in found.get("labels", [])) == (described[misp_type]["to_ids"] == 0)


def test_export_types_and_categories_are_valid_misp_pairs():
    described = json.loads(
        (Path(pymisp.__file__).parent / "data" / "describeTypes.json").read_text()
    )["result"]
    for kind, (misp_type, category) in EXPORT_TYPES.items():
        assert misp_type in described["types"], kind
        assert misp_type in described["category_type_mappings"][category], (kind, category)


def test_long_comments_are_cut_to_fit_rather_than_losing_the_item():
    (found,) = records(event(attribute("domain", "a.example", comment="x" * 10_000)))
    assert len(found["comment"]) <= 4_000 and found["comment"].endswith(
        "(MISP event 11111111-2222-4333-8444-555555555555: test event)"
    )
