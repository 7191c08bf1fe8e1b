"""The STIX contribution reader: real samples, broken input, markings, labels, de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from phalanx.formats.base import ParseProblem, ReadResult
from phalanx.formats.stix21.markings import PAP_IDS, marking_for_tlp, pap_marking
from phalanx.formats.stix21.reader import read_bundle
from phalanx.ingest.items import Directory, ItemPreparer, PreparedItem
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable
from phalanx.policy.markings import PAP, TLP

TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP2_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
IND_1 = "indicator--1a0c3c28-7b9c-4a51-9a0b-8a3e4f1c2d01"
IND_2 = "indicator--1a0c3c28-7b9c-4a51-9a0b-8a3e4f1c2d02"


def indicator(pattern: str, stix_id: str = IND_1, **extra: Any) -> dict[str, Any]:
    """A minimal sound STIX 2.1 indicator."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        **extra,
    }


def read(*objects: Any, **envelope: Any) -> list[ReadResult]:
    """Read a bundle of these objects."""
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}
    return list(read_bundle(orjson.dumps({**bundle, "objects": list(objects), **envelope}), {}))


def read_file(path: Path) -> list[ReadResult]:
    """Read one sample file."""
    return list(read_bundle(path.read_bytes(), {}))


def problems(results: list[ReadResult]) -> list[ParseProblem]:
    """The ParseProblems among results."""
    return [result for result in results if isinstance(result, ParseProblem)]


# --- real samples --------------------------------------------------------------------------


def test_indicator_for_malicious_url(stix_data: Path) -> None:
    path = stix_data / "examples" / "cti-documentation" / "indicator-for-malicious-url.json"
    assert read_file(path) == [
        {
            "type": "url",
            "value": "http://x4z9arb.cn/4712/",
            "labels": ["malware:x4z9arb backdoor"],  # from the `indicates` relationship
            "comment": "This organized threat actor group operates to create profit from all "
            "types of crime.",
            "_input": "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f",
            "_line": 1,
            "stix_id": "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f",
        }
    ]


def test_yara_indicator_keeps_the_rule_body(stix_data: Path) -> None:
    path = stix_data / "examples" / "cti-stix-elevator" / "yara-test-mechanism.json"
    [record] = read_file(path)
    assert isinstance(record, dict)
    assert record["type"] == "yara"
    assert record["value"] == orjson.loads(path.read_bytes())["objects"][0]["pattern"]


def test_scos_of_observed_data(stix_data: Path) -> None:
    path = stix_data / "examples" / "cti-stix-elevator" / "command-and-control-ip-list.json"
    assert [
        (r["type"], r["value"], r["_line"]) for r in read_file(path) if isinstance(r, dict)
    ] == [
        ("ipv4", "198.51.100.2", 1),
        ("ipv4", "198.51.100.17", 2),
        ("ipv4", "203.0.113.19", 3),
        ("asn", "15139", 4),
    ]


def test_tlp1_markings_by_fixed_id(stix_data: Path) -> None:
    path = stix_data / "markings" / "tlp1" / "141-TLP-marking-structures.json"
    assert [(r["type"], r["tlp"]) for r in read_file(path) if isinstance(r, dict)] == [
        ("url", "clear"),
        ("ipv4", "green"),
        ("sha256", "amber+strict"),  # TLP 1.0 AMBER is read as AMBER+STRICT
        ("stix-pattern", "red"),
    ]


def test_statement_markings_are_not_pap(stix_data: Path) -> None:
    path = stix_data / "markings" / "tlp1" / "using-marking-definitions.json"
    [record] = read_file(path)
    assert isinstance(record, dict)
    assert record["tlp"] == "amber+strict"
    assert "pap" not in record


def test_misp_stix_export_reads_as_the_misp_event(shared_data: Path) -> None:
    path = shared_data / "misp" / "misp-stix" / "test_events_collection_stix21.json"
    # misp-stix labels (misp:type="domain") are not Phalanx labels and are dropped; the
    # domain-name and ipv4-addr SCOs repeat the indicators' values and are dropped too, and
    # so is the second circl.lu (misp_quirks: one record per normalised value). The AS has
    # no indicator: its attribute was not for IDS (no-ids).
    assert read_file(path) == [
        {
            "type": "asn",
            "value": "174",
            "labels": ["no-ids"],
            "_input": "autonomous-system--2972c3a2-dda3-4de7-aca1-e96cf7ce5544",
            "_line": 4,
            "stix_id": "autonomous-system--2972c3a2-dda3-4de7-aca1-e96cf7ce5544",
        },
        {
            "type": "domain",
            "value": "circl.lu",
            "comment": "Domain test attribute",
            "_input": "indicator--4bb235a7-7d25-4aef-802f-2c6b45c5eceb",
            "_line": 8,
            "stix_id": "indicator--4bb235a7-7d25-4aef-802f-2c6b45c5eceb",
        },
        {
            "type": "ipv4",
            "value": "149.13.33.14",
            "comment": "Domain|ip test attribute",
            "_input": "indicator--726f90e2-2ad6-44a2-b345-c05e55e850e5",
            "_line": 14,
            "stix_id": "indicator--726f90e2-2ad6-44a2-b345-c05e55e850e5",
        },
        {
            "type": "stix-pattern",
            "value": "[file:name = 'test_file_name']",
            "comment": "Filename test attribute",
            "_input": "indicator--02de0847-dccf-481a-a96a-6a7654328658",
            "_line": 19,
            "stix_id": "indicator--02de0847-dccf-481a-a96a-6a7654328658",
        },
    ]


def sample_files(shared_data: Path) -> list[Path]:
    """Every valid STIX sample: OASIS examples and markings, and the misp-stix export."""
    stix = shared_data / "stix"
    found = [*(stix / "examples").rglob("*.json"), *(stix / "markings").glob("tlp*/*.json")]
    misp_stix = shared_data / "misp" / "misp-stix" / "test_events_collection_stix21.json"
    return [*sorted(found), misp_stix]


def test_valid_samples_give_no_problems_and_records_the_pipeline_accepts(
    shared_data: Path,
) -> None:
    # The consumer's contract: ingest.items.ItemPreparer takes every record as it is.
    preparer = ItemPreparer(
        {},
        directory=Directory(orgs={}),
        normalize=lambda value, kind: Observable(ObservableType(kind), value),
        now=datetime(2000, 1, 1, tzinfo=UTC),
    )
    count = 0
    for path in sample_files(shared_data):
        results = read_file(path)
        assert problems(results) == [], path.name
        for index, record in enumerate(results):
            assert isinstance(preparer.prepare(index, record), PreparedItem), (path.name, record)
            count += 1
    assert count == 40  # the misp-stix export repeats circl.lu once (misp_quirks)


# --- broken input --------------------------------------------------------------------------


def test_bad_timestamp_is_named(stix_data: Path) -> None:
    path = stix_data / "invalid" / "common-objects-using-tlp2.0-green-bad-timestamp.json"
    assert read_file(path) == [
        ParseProblem(
            "object 3 (relationship--1621d4d4-b67d-11e3-9670-f01faf20d111), field 'created': "
            "not an RFC 3339 UTC timestamp: '2022-101-27T13:49:54.326Z'",
            line=3,
            input="relationship--1621d4d4-b67d-11e3-9670-f01faf20d111",
        )
    ]


def test_bad_uuid_is_named(stix_data: Path) -> None:
    path = stix_data / "invalid" / "elevator-incident-malware-bad-uuid.json"
    assert read_file(path) == [
        ParseProblem(
            "object 3 (relationship--5a04c7d2-9dcc-44f1-a5b4-45904364e877), field 'source_ref': "
            "not a STIX identifier: 'incident--1b75ee8f-44d6-819a-d729-09ab52c91fdb'",
            line=3,
            input="relationship--5a04c7d2-9dcc-44f1-a5b4-45904364e877",
        )
    ]


def test_bad_reference_is_named_and_the_rest_is_read(stix_data: Path) -> None:
    path = stix_data / "invalid" / "elevator-sighting-bad-observed-data-ref.json"
    results = read_file(path)
    assert problems(results) == [
        ParseProblem(
            "object 7 (sighting--44d837fd-5af3-44bd-9082-788ed75f932d), field "
            "'observed_data_refs': not a STIX identifier: "
            "'example:Observable-86c60cc1-43a9-40c1-a174-df75ac518423'",
            line=7,
            input="sighting--44d837fd-5af3-44bd-9082-788ed75f932d",
        )
    ]
    assert len(results) == 9  # the url SCO and all seven indicators still come through


@pytest.mark.parametrize(
    ("payload", "reason", "line"),
    [
        (b'{"type": "bundle",\n "objects": [', "invalid JSON (line 2, column 14)", 2),
        (b"", "invalid JSON (line 1, column 1)", 1),
        (b"\xff\xfe", "invalid JSON", None),
        (b"42", "expected a STIX bundle, a TAXII envelope or STIX objects", None),
        (b'{"more": false}', "expected a STIX bundle, a TAXII envelope or STIX objects", None),
        (b'{"type": "bundle", "objects": {}}', "expected a STIX bundle", None),
    ],
)
def test_unreadable_payloads_give_one_problem(
    payload: bytes, reason: str, line: int | None
) -> None:
    [problem] = list(read_bundle(payload, {}))
    assert isinstance(problem, ParseProblem)
    assert problem.reason.startswith(reason)
    if line is not None:
        assert problem.line == line


def test_one_bad_object_does_not_stop_the_others() -> None:
    broken = indicator("[domain-name:value = 'a.example']")
    del broken["valid_from"]
    results = read(
        broken,
        "not an object",
        indicator("[domain-name:value = 'b.example'", IND_2),
        indicator("[domain-name:value = 'c.example']", IND_2, pattern_type="pcre"),
        indicator("[domain-name:value = 'd.example']", IND_2, revoked=True),
        indicator("[domain-name:value = 'e.example']", IND_2, confidence=101),
        indicator("[domain-name:value = 'f.example']", IND_2),
    )
    reasons = [(r.line, r.reason) for r in problems(results)]
    assert reasons == [
        (1, f"object 1 ({IND_1}), field 'valid_from': required property is missing"),
        (2, "object 2, a STIX object must be a JSON object"),
        (
            3,
            f"object 3 ({IND_2}), field 'pattern': invalid STIX pattern: 1:32: "
            "mismatched input '<EOF>' expecting ']'",
        ),
        (
            4,
            f"object 4 ({IND_2}), field 'pattern_type': unsupported 'pcre'; "
            "expected stix, yara, suricata, sigma",
        ),
        (5, f"object 5 ({IND_2}), field 'revoked': the indicator is revoked"),
        (6, f"object 6 ({IND_2}), field 'confidence': must be an integer 0-100: 101"),
    ]
    assert results[-1] == {
        "type": "domain",
        "value": "f.example",
        "_input": IND_2,
        "_line": 7,
        "stix_id": IND_2,
    }


# --- shapes --------------------------------------------------------------------------------


def test_envelope_array_and_single_object() -> None:
    obj = indicator("[ipv4-addr:value = '198.51.100.1']")
    expected = [
        {"type": "ipv4", "value": "198.51.100.1", "_input": IND_1, "_line": 1, "stix_id": IND_1}
    ]
    for document in ({"more": False, "objects": [obj]}, [obj], obj):
        assert list(read_bundle(orjson.dumps(document), {})) == expected


def test_stix20_indicator_without_pattern_type_is_a_stix_pattern() -> None:
    obj = indicator("[ipv4-addr:value = '198.51.100.1']", labels=["malicious-activity"])
    del obj["pattern_type"], obj["spec_version"]
    [record] = read(obj)
    assert isinstance(record, dict)
    assert (record["type"], record["labels"]) == ("ipv4", ["malicious-activity"])


def test_defaults_are_left_to_the_pipeline() -> None:
    payload = orjson.dumps(indicator("[ipv4-addr:value = '198.51.100.1']"))
    [record] = list(read_bundle(payload, {"tlp": "red", "labels": ["c2"]}))
    assert isinstance(record, dict)
    assert "tlp" not in record and "labels" not in record


# --- markings ------------------------------------------------------------------------------


def test_strictest_marking_wins() -> None:
    obj = indicator(
        "[ipv4-addr:value = '198.51.100.1']",
        object_marking_refs=[TLP2_GREEN, TLP1_AMBER, PAP_IDS[PAP.GREEN], PAP_IDS[PAP.AMBER]],
    )
    [record] = read(obj)
    assert isinstance(record, dict)
    assert (record["tlp"], record["pap"]) == ("amber+strict", "amber")


def test_markings_defined_in_the_bundle_resolve() -> None:
    custom_tlp = marking_for_tlp(TLP.RED) | {
        "id": "marking-definition--0b1e5a44-6bde-4ab5-9d1d-3e3aa2d7d0c3"
    }
    custom_pap = pap_marking(PAP.RED) | {
        "id": "marking-definition--0b1e5a44-6bde-4ab5-9d1d-3e3aa2d7d0c4"
    }
    obj = indicator(
        "[ipv4-addr:value = '198.51.100.1']",
        object_marking_refs=[custom_tlp["id"], custom_pap["id"]],
    )
    [record] = read(custom_tlp, obj, custom_pap)
    assert isinstance(record, dict)
    assert (record["tlp"], record["pap"]) == ("red", "red")


def test_scos_take_the_markings_of_their_observed_data() -> None:
    sco = {
        "type": "ipv4-addr",
        "id": "ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b",
        "value": "198.51.100.2",
    }
    loose = {
        "type": "domain-name",
        "id": "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7",
        "value": "example.com",
    }
    observed = {
        "type": "observed-data",
        "spec_version": "2.1",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "first_observed": "2026-01-01T00:00:00Z",
        "last_observed": "2026-01-01T00:00:00Z",
        "number_observed": 1,
        "object_refs": [sco["id"]],
        "object_marking_refs": [TLP2_RED],
    }
    results = read(sco | {"object_marking_refs": [TLP2_GREEN]}, loose, observed)
    assert [(r["value"], r.get("tlp")) for r in results if isinstance(r, dict)] == [
        ("198.51.100.2", "red"),
        ("example.com", None),
    ]


# --- labels and de-duplication -------------------------------------------------------------


def test_labels_from_types_references_and_relationships() -> None:
    obj = indicator(
        "[domain-name:value = 'evil.example']",
        labels=["C2", 'misp:type="domain"'],
        indicator_types=["malicious-activity", "compromised"],
        external_references=[{"source_name": "mitre-attack", "external_id": "T1071.001"}],
    )
    attack_pattern = {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Phishing",
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1566"}],
    }
    relationship = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "relationship_type": "indicates",
        "source_ref": IND_1,
        "target_ref": attack_pattern["id"],
    }
    [record] = read(relationship, obj, attack_pattern)
    assert isinstance(record, dict)
    assert record["labels"] == ["c2", "compromised-site", "attack:T1071.001", "attack:T1566"]


def test_sco_values_already_given_are_dropped() -> None:
    def sco(uuid_tail: str, value: str) -> dict[str, Any]:
        return {
            "type": "ipv4-addr",
            "id": f"ipv4-addr--9cf4a8ec-7640-5f40-a006-{uuid_tail}",
            "value": value,
        }

    results = read(
        sco("000000000001", "198.51.100.1"),  # repeats the indicator below
        sco("000000000002", "198.51.100.2"),
        sco("000000000003", "198.51.100.2"),  # repeats the SCO before
        indicator("[ipv4-addr:value = '198.51.100.1']"),
        indicator("[ipv4-addr:value = '198.51.100.1']", IND_2),  # indicators are never dropped
    )
    assert [(r["value"], r["_line"]) for r in results if isinstance(r, dict)] == [
        ("198.51.100.2", 2),
        ("198.51.100.1", 4),
        ("198.51.100.1", 5),
    ]
