"""STIX 2.1 fidelity: every sample bundle round-trips through TAXII; broken files are refused.

Each file under ../shared/data/stix (except invalid/ and medallion's data file, which is a
backend layout, not a bundle) is POSTed to the shared collection, read back with
``match[version]=all``, and compared object by object with what was sent: same ids, same
versions, equal JSON. What comes back is validated with stix2-validator 3.2.0. Each file in
invalid/ gets a failure naming the broken object and property, and its sound objects are kept.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_instance

from phalanx.hub import Hub

from ..conftest import add_member, find_shared_data
from .conftest import TAXII

DATA = find_shared_data()
STIX = DATA / "stix" if DATA else Path("/nonexistent")
SAMPLES = sorted(
    p
    for p in STIX.rglob("*.json")
    if "invalid" not in p.parts and p.parent.name != "taxii" and p.parent.name != "schema"
)


def objects_in(path: Path) -> list[dict[str, Any]]:
    document = orjson.loads(path.read_bytes())
    return document if isinstance(document, list) else document["objects"]


def post(client: TestClient, token: str, objects: list[Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}
    url = "/taxii2/api/collections/shared/objects/"
    response = client.post(url, content=orjson.dumps({"objects": objects}), headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def read_all(client: TestClient, token: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    found: list[dict[str, Any]] = []
    params: dict[str, str] = {"match[version]": "all", "limit": "7"}
    while True:
        page = client.get("/taxii2/api/collections/shared/objects/", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        found += body.get("objects", [])
        if not body.get("more"):
            return found
        params["next"] = body["next"]


@pytest.mark.skipif(not SAMPLES, reason="shared STIX samples not found")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(STIX)))
def test_sample_round_trips(hub: Hub, client: TestClient, path: Path) -> None:
    token = add_member(hub, "Sender").token
    sent = objects_in(path)
    status = post(client, token, sent)
    assert status["failure_count"] == 0, status.get("failures")
    expected = {(o["id"], o.get("modified") or o.get("created")): o for o in sent}
    back = read_all(client, token)
    got = {(o["id"], o.get("modified") or o.get("created")): o for o in back}
    assert len(back) == len(got), "no version is served twice"
    unversioned = {k[0] for k in expected if k[1] is None}
    assert {k for k in got if k[0] not in unversioned} == {
        k for k in expected if k[0] not in unversioned
    }
    for key, obj in expected.items():
        matches = [o for k, o in got.items() if k == key or (key[1] is None and k[0] == key[0])]
        assert obj in matches, f"{key} changed on the way through"
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": back}
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


# The property each file breaks (a relationship naming the bad incident id fails too).
INVALID = {
    "common-objects-using-tlp2.0-green-bad-timestamp.json": {"created"},
    "elevator-incident-malware-bad-uuid.json": {"id", "source_ref", "target_ref"},
    "elevator-sighting-bad-observed-data-ref.json": {"observed_data_refs"},
}


@pytest.mark.skipif(not SAMPLES, reason="shared STIX samples not found")
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_file_is_refused_with_a_precise_error(
    hub: Hub, client: TestClient, name: str
) -> None:
    token = add_member(hub, "Sender").token
    sent = objects_in(STIX / "invalid" / name)
    status = post(client, token, sent)
    assert status["failure_count"] >= 1
    for failure in status["failures"]:
        assert failure["id"] in failure["message"]
        assert any(f"field '{field}'" in failure["message"] for field in INVALID[name]), failure
    kept = {o["id"] for o in read_all(client, token)}
    failed = {f["id"] for f in status["failures"]}
    assert kept == {o["id"] for o in sent} - failed
    assert status["success_count"] == len(sent) - len(failed)
