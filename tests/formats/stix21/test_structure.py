"""Light structural checks: identifiers, timestamps, required and reference properties."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.structure import check_object, is_identifier, is_timestamp

INDICATOR: dict[str, Any] = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
    "created": "2014-02-20T09:16:08.989Z",
    "modified": "2014-02-20T09:16:08.989Z",
    "pattern": "[domain-name:value = 'evil.example']",
    "pattern_type": "stix",
    "valid_from": "2014-02-20T09:00:00Z",
}


@pytest.mark.parametrize(
    ("value", "of_type", "expected"),
    [
        ("indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", None, True),
        ("indicator--A932FCC6-E032-476C-826F-CB970A5A1ADE", "indicator", True),
        ("identity--1621d4d4-b67d-11e3-9670-f01faf20d111", None, True),  # v1 is RFC 4122 too
        ("indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", "malware", False),
        ("incident--1b75ee8f-44d6-819a-d729-09ab52c91fdb", None, False),  # variant bits 110x
        ("example:Observable-86c60cc1-43a9-40c1-a174-df75ac518423", None, False),
        ("indicator--a932fcc6e032476c826fcb970a5a1ade", None, False),
        ("Indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", None, False),
        ("--a932fcc6-e032-476c-826f-cb970a5a1ade", None, False),
        (None, None, False),
    ],
)
def test_is_identifier(value: Any, of_type: str | None, expected: bool) -> None:
    assert is_identifier(value, of_type) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-05-12T08:17:27Z", True),
        ("2016-05-12T08:17:27.000Z", True),
        ("2016-05-12T08:17:27.123456Z", True),
        ("2022-101-27T13:49:54.326Z", False),
        ("2016-13-12T08:17:27Z", False),
        ("2016-02-30T08:17:27Z", False),
        ("2016-05-12T08:17:27.Z", False),
        ("2016-05-12T08:17:27+00:00", False),
        ("2016-05-12 08:17:27Z", False),
        (1463041047, False),
    ],
)
def test_is_timestamp(value: Any, expected: bool) -> None:
    assert is_timestamp(value) is expected


def test_sound_objects_pass() -> None:
    check_object(INDICATOR)
    check_object({"type": "ipv4-addr", "id": "ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b"})
    check_object(
        {
            "type": "marking-definition",
            "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            "created": "2017-01-20T00:00:00.000Z",
        }
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "Indicator"}, "type"),
        ({"type": None}, "type"),
        ({"id": "indicator--not-a-uuid"}, "id"),
        ({"id": "malware--a932fcc6-e032-476c-826f-cb970a5a1ade"}, "id"),
        ({"id": None}, "id"),
        ({"created": None}, "created"),
        ({"modified": "yesterday"}, "modified"),
        ({"valid_from": "2014-02-30T00:00:00Z"}, "valid_from"),
        ({"valid_until": "2014-02-20"}, "valid_until"),
        ({"created_by_ref": "identity--nope"}, "created_by_ref"),
        ({"object_marking_refs": []}, "object_marking_refs"),
        (
            {"object_marking_refs": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
            "object_marking_refs",
        ),
    ],
)
def test_broken_fields_are_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_object(INDICATOR | change)
    assert caught.value.field == field


@pytest.mark.parametrize("missing", ["id", "created", "modified", "pattern", "valid_from"])
def test_missing_required_fields_are_named(missing: str) -> None:
    broken = {key: value for key, value in INDICATOR.items() if key != missing}
    with pytest.raises(InvalidInput) as caught:
        check_object(broken)
    assert caught.value.field == missing
    assert caught.value.reason == "required property is missing"


def test_non_objects_are_refused() -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        check_object(["indicator"])
