"""End to end with OASIS's taxii2-client over real HTTP (uvicorn), on SQLite and PostgreSQL.

Server -> ApiRoot -> Collection: add_objects with status polling, get_objects page by page
(as_pages), get_object, get_manifest, object_versions, delete_object; HTTP Basic with the key
id and secret; every emitted document passes stix2-validator 3.2.0.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from requests.exceptions import HTTPError
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection, Server, Status, as_pages

from phalanx.hub import Hub

from ..conftest import add_member
from .conftest import Server as Running
from .conftest import basic

TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def indicator(n: int, *, modified: str = "2026-01-01T00:00:00.000Z") -> dict[str, Any]:
    """A valid STIX 2.1 indicator for a public-looking address."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=n, version=4)}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": f"C2 server {n}",
        "description": "Beacon destination seen in an intrusion.",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '45.{n // 250}.{n % 250}.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [TLP_GREEN],
    }


def malware() -> dict[str, Any]:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Poison Ivy",
        "is_family": True,
        "malware_types": ["remote-access-trojan"],
        "object_marking_refs": [TLP_GREEN],
    }


def valid(objects: list[dict[str, Any]]) -> None:
    """Assert a STIX bundle of these objects passes stix2-validator 3.2.0 with no errors."""
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


def test_taxii2_client_end_to_end(hub: Hub, server: Running) -> None:
    user, password = basic(add_member(hub, "Acme CERT").token)
    api_root = Server(server.discovery, user=user, password=password).api_roots[0]
    assert "application/taxii+json;version=2.1" in api_root.versions
    shared = next(c for c in api_root.collections if c.alias == "shared")
    assert shared.can_read and shared.can_write

    objects = [indicator(n) for n in range(1, 8)] + [malware()]
    status = shared.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=0.1)
    assert (status.status, status.total_count, status.success_count) == ("complete", 8, 8)
    assert status.failure_count == 0 and status.pending_count == 0
    # The status resource is kept: poll it again by its URL, as a client resuming would.
    status_url = f"{server.api_root}status/{status.id}/"
    polled = Status(status_url, user=user, password=password)
    assert polled.status == "complete" and polled.success_count == 8

    collection = Collection(shared.url, user=user, password=password)
    seen: list[str] = []
    pages = 0
    for envelope in as_pages(collection.get_objects, per_request=3):
        pages += 1
        valid(envelope["objects"])
        seen += [obj["id"] for obj in envelope["objects"]]
    assert pages == 3
    assert sorted(seen) == sorted(obj["id"] for obj in objects)

    one = collection.get_object(objects[0]["id"])
    assert one["objects"] == [objects[0]]
    manifest = collection.get_manifest(type="malware")
    assert [(m["id"], m["version"]) for m in manifest["objects"]] == [
        (malware()["id"], "2026-01-01T00:00:00.000Z")
    ]
    assert manifest["objects"][0]["media_type"] == "application/stix+json;version=2.1"

    # A new version: polls give the latest only, versions lists both.
    newer = indicator(1, modified="2026-02-01T00:00:00.000Z")
    collection.add_objects({"objects": [newer]})
    versions = collection.object_versions(newer["id"])
    assert versions["versions"] == ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]
    assert collection.get_object(newer["id"])["objects"] == [newer]
    assert collection.get_object(newer["id"], version="first")["objects"] == [objects[0]]
    latest = [o for e in as_pages(collection.get_objects, per_request=100) for o in e["objects"]]
    assert len(latest) == 8 and newer in latest and objects[0] not in latest

    collection.delete_object(newer["id"])
    with pytest.raises(HTTPError) as gone:
        collection.get_object(newer["id"])
    assert gone.value.response.status_code == 404
    assert newer["id"] not in [m["id"] for m in collection.get_manifest()["objects"]]


def test_other_members_see_only_what_policy_allows(hub: Hub, server: Running) -> None:
    author = basic(add_member(hub, "Author").token)
    reader = basic(add_member(hub, "Reader").token)
    url = f"{server.api_root}collections/"
    shared_url = (
        url
        + next(
            c.id
            for c in Server(server.discovery, user=author[0], password=author[1])
            .api_roots[0]
            .collections
            if c.alias == "shared"
        )
        + "/"
    )
    red = {
        **indicator(50),
        "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],
    }
    Collection(shared_url, user=author[0], password=author[1]).add_objects(
        {"objects": [indicator(51), red]}
    )
    theirs = Collection(shared_url, user=reader[0], password=reader[1])
    assert [o["id"] for o in theirs.get_objects()["objects"]] == [indicator(51)["id"]]
    with pytest.raises(HTTPError) as hidden:
        theirs.get_object(red["id"])
    assert hidden.value.response.status_code == 404
    with pytest.raises(HTTPError) as denied:
        theirs.delete_object(indicator(51)["id"])
    assert denied.value.response.status_code == 403
