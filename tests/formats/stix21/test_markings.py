"""TLP 1.0/2.0 and PAP marking definitions, both directions (spec-notes §3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phalanx.formats.stix21.markings import (
    PAP_IDS,
    TLP1_IDS,
    known_marking,
    marking_for_tlp,
    pap_from_marking,
    pap_marking,
    tlp1_marking,
    tlp_from_marking,
    tlp_from_marking_id,
)
from phalanx.policy.markings import PAP, TLP

AssertValid = Callable[[dict[str, Any]], None]
TLP2_FILES = {
    TLP.CLEAR: "tlp2-clear.json",
    TLP.GREEN: "tlp2-green.json",
    TLP.AMBER: "tlp2-amber.json",
    TLP.AMBER_STRICT: "tlp2-amber+strict.json",
    TLP.RED: "tlp2-red.json",
}


@pytest.mark.parametrize("tlp", list(TLP))
def test_tlp2_objects_equal_the_oasis_ones(tlp: TLP, stix_data: Path) -> None:
    bundle = json.loads((stix_data / "markings" / "tlp2" / TLP2_FILES[tlp]).read_text())
    assert marking_for_tlp(tlp) == bundle["objects"][0]


def test_tlp1_objects_equal_the_predefined_ones(stix_data: Path) -> None:
    path = stix_data / "markings" / "tlp1" / "tlp1-predefined-markings.derived.json"
    assert [tlp1_marking(level) for level in TLP1_IDS] == json.loads(path.read_text())


@pytest.mark.parametrize(
    ("marking_id", "expected"),
    [
        ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP.CLEAR),
        ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP.GREEN),
        # TLP 1.0 AMBER has no STRICT variant; read it the restrictive way (§3.1).
        ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP.AMBER_STRICT),
        ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP.RED),
        ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP.CLEAR),
        ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP.GREEN),
        ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP.AMBER),
        ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP.AMBER_STRICT),
        ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP.RED),
        ("marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f", None),
    ],
)
def test_tlp_from_marking_id(marking_id: str, expected: TLP | None) -> None:
    assert tlp_from_marking_id(marking_id) == expected
    assert tlp_from_marking(marking_id) == expected


@pytest.mark.parametrize("tlp", list(TLP))
def test_tlp_round_trip(tlp: TLP) -> None:
    marking = marking_for_tlp(tlp)
    assert tlp_from_marking(marking) == tlp
    assert tlp_from_marking_id(marking["id"]) == tlp
    assert known_marking(marking["id"]) == marking


def test_tlp_from_objects_with_unknown_ids() -> None:
    tlp2 = marking_for_tlp(TLP.AMBER) | {
        "id": "marking-definition--0b1e5a44-6bde-4ab5-9d1d-3e3aa2d7d0c3"
    }
    tlp1 = tlp1_marking("amber") | {
        "id": "marking-definition--0b1e5a44-6bde-4ab5-9d1d-3e3aa2d7d0c3"
    }
    assert tlp_from_marking(tlp2) == TLP.AMBER
    assert tlp_from_marking(tlp1) == TLP.AMBER_STRICT
    assert tlp_from_marking(pap_marking(PAP.RED)) is None


def test_pap_ids_are_pinned() -> None:
    # Fixed forever: peers and stored bundles refer to these ids.
    assert PAP_IDS == {
        PAP.CLEAR: "marking-definition--4ed6109b-24e1-52f3-ac9c-a5d2f73836cf",
        PAP.GREEN: "marking-definition--49dcd610-e75e-53bc-b487-8f249152de54",
        PAP.AMBER: "marking-definition--ac478be7-34a6-54d3-a09b-a5f58d8e4fc2",
        PAP.RED: "marking-definition--1831790a-bc74-5975-b454-c6034ca946e9",
    }


def test_pap_marking_object() -> None:
    assert pap_marking(PAP.GREEN) == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--49dcd610-e75e-53bc-b487-8f249152de54",
        "created": "2025-01-01T00:00:00.000Z",
        "name": "PAP:GREEN",
        "definition_type": "statement",
        "definition": {
            "statement": "PAP:GREEN - active actions allowed (e.g. block traffic to or from it)."
        },
    }


@pytest.mark.parametrize("pap", list(PAP))
def test_pap_round_trip(pap: PAP) -> None:
    assert pap_from_marking(pap_marking(pap)) == pap
    assert pap_from_marking(PAP_IDS[pap]) == pap
    assert known_marking(PAP_IDS[pap]) == pap_marking(pap)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("PAP:AMBER", PAP.AMBER),
        ("pap:white. Legacy wording.", PAP.CLEAR),
        ("PAP:RED - passive only", PAP.RED),
        ("PAP:", None),
        ("PAP:PURPLE", None),
        ("Copyright (c) Stark Industries 2017.", None),
    ],
)
def test_pap_from_other_producers_statements(statement: str, expected: PAP | None) -> None:
    marking = {
        "type": "marking-definition",
        "id": "marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f",
        "definition_type": "statement",
        "definition": {"statement": statement},
    }
    assert pap_from_marking(marking) == expected


def test_pap_from_tlp_marking_is_none() -> None:
    assert pap_from_marking(marking_for_tlp(TLP.RED)) is None
    assert pap_from_marking("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1") is None


def test_unknown_marking_id_is_not_known() -> None:
    assert known_marking("marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f") is None


def test_all_marking_objects_validate(assert_valid_stix: AssertValid) -> None:
    objects = [marking_for_tlp(tlp) for tlp in TLP] + [pap_marking(pap) for pap in PAP]
    objects += [tlp1_marking(level) for level in TLP1_IDS]
    assert_valid_stix(
        {"type": "bundle", "id": "bundle--0b1e5a44-6bde-4ab5-9d1d-3e3aa2d7d0c3", "objects": objects}
    )
