"""Organisation and hub identities."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from phalanx.formats.stix21.identities import hub_identity, identity_for_org, identity_id

AssertValid = Callable[[dict[str, Any]], None]
CREATED = datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC)


def test_identity_for_org(assert_valid_stix: AssertValid) -> None:
    org_uuid = uuid.UUID("6f1e7c52-2d3a-4b8f-9e0a-1c2d3e4f5a6b")
    identity = identity_for_org("CERT Example", org_uuid, created=CREATED)
    assert identity == {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--6f1e7c52-2d3a-4b8f-9e0a-1c2d3e4f5a6b",
        "created": "2026-01-02T03:04:05.678Z",
        "modified": "2026-01-02T03:04:05.678Z",
        "name": "CERT Example",
        "identity_class": "organization",
    }
    assert_valid_stix(identity)


def test_hub_identity(assert_valid_stix: AssertValid) -> None:
    hub = hub_identity("Phalanx alliance hub", "A4E1F1C2-7B3D-4E5F-8A9B-0C1D2E3F4A5B", CREATED)
    assert hub["id"] == "identity--a4e1f1c2-7b3d-4e5f-8a9b-0c1d2e3f4a5b"
    assert hub["identity_class"] == "system"
    assert hub["description"].startswith("Phalanx threat-intelligence exchange hub.")
    assert_valid_stix(hub)


def test_identity_id_canonicalises_the_uuid() -> None:
    assert identity_id("{6F1E7C52-2D3A-4B8F-9E0A-1C2D3E4F5A6B}") == (
        "identity--6f1e7c52-2d3a-4b8f-9e0a-1c2d3e4f5a6b"
    )
