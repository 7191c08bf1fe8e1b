"""Reports as STIX 2.1 indicators: literal output, validity, and reading them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from phalanx.formats.stix21.bundle import collect_markings
from phalanx.formats.stix21.identities import hub_identity, identity_for_org
from phalanx.formats.stix21.indicators import indicator_for_report
from phalanx.formats.stix21.reader import read_bundle
from phalanx.intel.model import ReportView
from phalanx.observables.kinds import ObservableType as T
from phalanx.policy.markings import PAP, TLP

AssertValid = Callable[[dict[str, Any]], None]
CREATED = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)
ORG_ID = "identity--0c8a4b1e-3f7d-4c8e-9b2a-6d5e4f3a2b1c"
INDICATOR_ID = "indicator--6c5a8b1e-2f4d-4e8a-9c3b-7d6e5f4a3b2c"
HUB_UUID = "a4e1f1c2-7b3d-4e5f-8a9b-0c1d2e3f4a5b"
BUNDLE_ID = "bundle--7f3e2d1c-0b9a-4877-a665-544332211000"
YARA_RULE = (
    "rule silent_banker : banker\n{\n    strings:\n"
    '        $a = "UVODFRYSIHLNWPEJXQZAKCBGMT"\n    condition:\n        $a\n}'
)
SURICATA_RULE = (
    'alert dns any any -> any any (msg:"evil"; dns.query; content:"evil.example"; '
    "sid:1000001; rev:1;)"
)
SIGMA_RULE = (
    "title: Demo\nlogsource:\n  product: windows\ndetection:\n  sel:\n"
    "    Image|endswith: '\\\\evil.exe'\n  condition: sel\n"
)
RULE_PATTERN_TYPES = {T.YARA: "yara", T.SURICATA: "suricata", T.SIGMA: "sigma"}

PINNED = ReportView(
    id=7,
    type=T.IPV4,
    value="198.51.100.7",
    tlp=TLP.AMBER,
    pap=PAP.GREEN,
    created=CREATED,
    org="ACME",
    labels=("c2", "malware:emotet", "attack:T1071.001"),
    confidence=80,
    valid_from=datetime(2026, 11, 23, tzinfo=UTC),
    valid_until=datetime(2026, 12, 23, tzinfo=UTC),
    comment="Emotet C2 seen beaconing on 443.",
)


def report(type: T = T.DOMAIN, value: str = "evil.example", **changes: Any) -> ReportView:
    """A minimal report: only the required fields unless changed."""
    fields: dict[str, Any] = {"id": 1, "type": type, "value": value, "tlp": TLP.GREEN}
    fields |= {"pap": PAP.CLEAR, "created": CREATED} | changes
    return ReportView(**fields)


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    """A self-contained bundle: the objects plus the marking definitions they use."""
    return {"type": "bundle", "id": BUNDLE_ID, "objects": [*objects, *collect_markings(objects)]}


def test_pinned_report_gives_literal_indicator(assert_valid_stix: AssertValid) -> None:
    indicator = indicator_for_report(PINNED, created_by_ref=ORG_ID, indicator_id=INDICATOR_ID)
    assert indicator == {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--6c5a8b1e-2f4d-4e8a-9c3b-7d6e5f4a3b2c",
        "created_by_ref": "identity--0c8a4b1e-3f7d-4c8e-9b2a-6d5e4f3a2b1c",
        "created": "2026-11-23T12:00:00.123Z",
        "modified": "2026-11-23T12:00:00.123Z",
        "name": "ipv4 198.51.100.7",
        "description": "Emotet C2 seen beaconing on 443.",
        "indicator_types": ["malicious-activity"],
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": "2026-11-23T00:00:00.000Z",
        "valid_until": "2026-12-23T00:00:00.000Z",
        "labels": ["c2", "malware:emotet", "attack:T1071.001"],
        "confidence": 80,
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1071.001"}],
        "object_marking_refs": [
            "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            "marking-definition--49dcd610-e75e-53bc-b487-8f249152de54",
        ],
    }
    org = identity_for_org("ACME", "0c8a4b1e-3f7d-4c8e-9b2a-6d5e4f3a2b1c", created=CREATED)
    assert_valid_stix(bundle(org, indicator))


def test_minimal_report_has_defaults_and_no_empty_lists(assert_valid_stix: AssertValid) -> None:
    indicator = indicator_for_report(report(), created_by_ref=None, indicator_id=INDICATOR_ID)
    assert "created_by_ref" not in indicator
    assert indicator["description"] == "domain observable shared through Phalanx."
    assert indicator["valid_from"] == indicator["created"] == "2026-11-23T12:00:00.123Z"
    for absent in ("indicator_types", "labels", "external_references", "confidence"):
        assert absent not in indicator
    assert indicator["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "marking-definition--4ed6109b-24e1-52f3-ac9c-a5d2f73836cf",
    ]
    assert_valid_stix(bundle(indicator))


def test_anonymous_report_is_created_by_the_hub(assert_valid_stix: AssertValid) -> None:
    hub = hub_identity("Phalanx alliance hub", HUB_UUID, CREATED)
    anonymous = report(org=None, labels=("phishing",))
    indicator = indicator_for_report(anonymous, created_by_ref=hub["id"], indicator_id=INDICATOR_ID)
    assert indicator["created_by_ref"] == "identity--a4e1f1c2-7b3d-4e5f-8a9b-0c1d2e3f4a5b"
    assert indicator["description"] == "domain observable shared through Phalanx (phishing)."
    assert_valid_stix(bundle(hub, indicator))


@pytest.mark.parametrize(
    "valid_until",
    [CREATED, CREATED - timedelta(days=1), CREATED + timedelta(microseconds=500)],
)
def test_valid_until_not_after_valid_from_is_left_out(valid_until: datetime) -> None:
    # §4.7: valid_until MUST be later than valid_from, compared at the emitted precision.
    indicator = indicator_for_report(
        report(valid_until=valid_until), created_by_ref=None, indicator_id=INDICATOR_ID
    )
    assert "valid_until" not in indicator


def test_modified_can_be_later_than_created() -> None:
    later = CREATED + timedelta(days=2)
    indicator = indicator_for_report(
        report(), created_by_ref=None, indicator_id=INDICATOR_ID, modified=later
    )
    assert indicator["modified"] == "2026-11-25T12:00:00.123Z"


@pytest.mark.parametrize(
    ("labels", "types"),
    [
        (("compromised-site",), ["compromised", "malicious-activity"]),
        (("payload", "malware:qakbot"), ["malicious-activity"]),
        (("scanner",), None),
    ],
)
def test_indicator_types_from_labels(labels: tuple[str, ...], types: list[str] | None) -> None:
    indicator = indicator_for_report(
        report(labels=labels), created_by_ref=None, indicator_id=INDICATOR_ID
    )
    assert indicator.get("indicator_types") == types


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (T.YARA, YARA_RULE),
        (T.SURICATA, SURICATA_RULE),
        (T.SIGMA, SIGMA_RULE),
        (T.STIX_PATTERN, "[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES WITHIN 300 SECONDS"),
        (T.CIDR, "2001:db8::/32"),
        (T.SHA512, "c" * 128),
        (T.ASN, "64500"),
        (T.EMAIL, "o'brien@evil.example"),
        (T.URL, "http://evil.example/a\\b?q='x'"),
    ],
)
def test_every_kind_gives_a_valid_indicator_that_reads_back(
    kind: T, value: str, assert_valid_stix: AssertValid
) -> None:
    source = report(kind, value, tlp=TLP.RED, pap=PAP.AMBER, labels=("c2",), confidence=15)
    indicator = indicator_for_report(source, created_by_ref=ORG_ID, indicator_id=INDICATOR_ID)
    assert indicator["pattern_type"] == RULE_PATTERN_TYPES.get(kind, "stix")
    assert ("pattern_version" in indicator) == (indicator["pattern_type"] == "stix")
    assert "\n" not in indicator["name"] and len(indicator["name"]) <= 130
    document = bundle(
        identity_for_org("ACME", ORG_ID.removeprefix("identity--"), created=CREATED), indicator
    )
    assert_valid_stix(document)
    [record] = list(read_bundle(orjson.dumps(document), {}))
    assert record == {
        "type": kind.value,
        "value": value,
        "tlp": "red",
        "pap": "amber",
        "labels": ["c2"],
        "confidence": 15,
        "comment": indicator["description"],
        "_input": INDICATOR_ID,
        "_line": 2,
        "stix_id": INDICATOR_ID,
    }


def test_pinned_indicator_reads_back_to_the_report() -> None:
    indicator = indicator_for_report(PINNED, created_by_ref=ORG_ID, indicator_id=INDICATOR_ID)
    [record] = list(read_bundle(orjson.dumps(bundle(indicator)), {}))
    assert record == {
        "type": "ipv4",
        "value": "198.51.100.7",
        "tlp": "amber",
        "pap": "green",
        "labels": ["c2", "malware:emotet", "attack:T1071.001"],
        "confidence": 80,
        "valid_until": "2026-12-23T00:00:00.000Z",
        "comment": "Emotet C2 seen beaconing on 443.",
        "_input": INDICATOR_ID,
        "_line": 1,
        "stix_id": INDICATOR_ID,
    }
