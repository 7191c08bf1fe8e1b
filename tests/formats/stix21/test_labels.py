"""Phalanx labels <-> indicator_types and ATT&CK external references."""

from __future__ import annotations

import pytest

from phalanx.formats.stix21.labels import (
    accepted_labels,
    attack_references,
    indicator_types_for,
    labels_from_indicator,
    malware_label,
)
from phalanx.policy.labels import MAX_LABELS


@pytest.mark.parametrize(
    ("labels", "types"),
    [
        ([], []),
        (["c2"], ["malicious-activity"]),
        (["Phishing", "malware:emotet"], ["malicious-activity"]),
        (["compromised-site"], ["compromised", "malicious-activity"]),
        (["attack:T1566", "kill-chain:delivery", "tag"], []),
    ],
)
def test_indicator_types_for(labels: list[str], types: list[str]) -> None:
    assert indicator_types_for(labels) == types


def test_attack_references_keep_valid_ids_once() -> None:
    labels = ["attack:t1059.001", "attack:T1059.001", "attack:TA0011", "attack:bogus", "c2"]
    assert attack_references(labels) == [
        {"source_name": "mitre-attack", "external_id": "T1059.001"},
        {"source_name": "mitre-attack", "external_id": "TA0011"},
    ]


def test_labels_from_indicator() -> None:
    indicator = {
        "labels": ["c2", 7, "attack:T1071"],
        "indicator_types": ["malicious-activity", "compromised", "benign"],
        "external_references": [
            {"source_name": "mitre-attack", "external_id": "T1071"},
            {"source_name": "mitre-attack", "external_id": "T1571", "url": "https://x"},
            {"source_name": "capec", "external_id": "CAPEC-163"},
            "not a reference",
        ],
    }
    assert labels_from_indicator(indicator) == [
        "c2",
        "attack:T1071",
        "compromised-site",
        "benign",
        "attack:T1571",
    ]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Poison Ivy", "malware:poison ivy"),
        ("HUC Packet Transmit Tool (HTRAN)", "malware:huc packet transmit tool htran"),
        ("((()))", None),
    ],
)
def test_malware_label(name: str, label: str | None) -> None:
    assert malware_label(name) == label


def test_accepted_labels_drop_foreign_vocabularies() -> None:
    raw = ['misp:type="domain"', "C2", "attack:t1071.001", "attack:M1031", "malware:", "c2"]
    assert accepted_labels(raw) == ["c2", "attack:T1071.001"]


def test_accepted_labels_are_capped() -> None:
    raw = [f"tag-{n}" for n in range(MAX_LABELS + 5)]
    assert accepted_labels(raw) == raw[:MAX_LABELS]
