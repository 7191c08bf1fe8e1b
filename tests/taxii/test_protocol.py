"""TAXII 2.1 protocol rules (spec-notes §1): media types, auth, filters, pagination, errors."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi.testclient import TestClient

from phalanx.hub import Hub

from ..conftest import FakeClock, Member, add_member
from .conftest import TAXII
from .test_taxii2_client import indicator, malware

OBJECTS = "/taxii2/api/collections/shared/objects/"


def headers(member: Member, **extra: str) -> dict[str, str]:
    return {**member.auth, "Accept": TAXII, **extra}


def add(client: TestClient, member: Member, objects: list[Any]) -> dict[str, Any]:
    response = client.post(
        OBJECTS,
        content=orjson.dumps({"objects": objects}),
        headers=headers(member, **{"Content-Type": TAXII}),
    )
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == TAXII
    body: dict[str, Any] = response.json()
    return body


def test_media_types_and_authentication(hub: Hub, client: TestClient) -> None:
    member = add_member(hub, "Acme")
    missing = client.get("/taxii2/", headers={"Accept": TAXII})
    assert missing.status_code == 401
    assert "Basic" in missing.headers["www-authenticate"]
    assert missing.json()["http_status"] == "401"
    assert missing.headers["content-type"] == TAXII
    _, key_id, secret = member.token.split("_", 2)
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    ok = client.get("/taxii2/", headers={"Authorization": f"Basic {basic}", "Accept": TAXII})
    assert ok.status_code == 200 and ok.json()["api_roots"] == ["/taxii2/api/"]
    wrong = base64.b64encode(f"{key_id}:nope".encode()).decode()
    bad = client.get("/taxii2/", headers={"Authorization": f"Basic {wrong}", "Accept": TAXII})
    assert bad.status_code == 401
    for accept in ("application/stix+json;version=2.1", "application/taxii+json;version=2.0"):
        refused = client.get("/taxii2/api/", headers=headers(member, Accept=accept))
        assert refused.status_code == 406, accept
        assert refused.json()["http_status"] == "406"
    listed = "application/taxii+json;version=2.1, application/stix+json;version=2.1"
    assert client.get(OBJECTS, headers=headers(member, Accept=listed)).status_code == 200
    assert client.get(OBJECTS, headers=headers(member, Accept="application/taxii+json")).is_success
    body = orjson.dumps({"objects": [indicator(1)]})
    for content_type in ("application/json", "application/stix+json;version=2.1"):
        response = client.post(
            OBJECTS, content=body, headers=headers(member, **{"Content-Type": content_type})
        )
        assert response.status_code == 415, content_type
    root = client.get("/taxii2/api/", headers=headers(member)).json()
    assert root["versions"] == [TAXII] and root["max_content_length"] > 0


def test_filters_pagination_and_headers(hub: Hub, client: TestClient, clock: FakeClock) -> None:
    member = add_member(hub, "Acme")
    add(client, member, [indicator(n) for n in range(1, 6)])
    clock.advance(seconds=5)
    add(client, member, [malware(), indicator(6)])
    first = client.get(OBJECTS, params={"limit": "2"}, headers=headers(member))
    assert first.json()["more"] is True and first.json()["next"]
    assert len(first.json()["objects"]) == 2
    assert first.headers["X-TAXII-Date-Added-First"] < first.headers["X-TAXII-Date-Added-Last"]
    assert first.headers["X-TAXII-Date-Added-Last"].endswith("Z")
    after = first.headers["X-TAXII-Date-Added-Last"]
    rest = client.get(OBJECTS, params={"added_after": after}, headers=headers(member)).json()
    assert [o["id"] for o in rest["objects"]] == [indicator(n)["id"] for n in (3, 4, 5)] + [
        malware()["id"],
        indicator(6)["id"],
    ]
    assert "more" in rest and rest["more"] is False
    typed = client.get(OBJECTS, params={"match[type]": "malware"}, headers=headers(member))
    assert [o["id"] for o in typed.json()["objects"]] == [malware()["id"]]
    ids = f"{indicator(2)['id']},{indicator(4)['id']}"
    by_id = client.get(OBJECTS, params={"match[id]": ids}, headers=headers(member)).json()
    assert [o["id"] for o in by_id["objects"]] == [indicator(2)["id"], indicator(4)["id"]]
    none = client.get(OBJECTS, params={"match[spec_version]": "2.0"}, headers=headers(member))
    assert none.status_code == 200 and none.json() == {}
    future = client.get(
        OBJECTS, params={"added_after": "2099-01-01T00:00:00Z"}, headers=headers(member)
    )
    assert future.json() == {} and "X-TAXII-Date-Added-First" not in future.headers
    for params in (
        {"limit": "0"},
        {"limit": "x"},
        {"added_after": "yesterday"},
        {"match[version]": "all,last"},
        {"match[id]": "not-an-id"},
        {"next": "12.0000000000000000"},
    ):
        bad = client.get(OBJECTS, params=params, headers=headers(member))
        assert bad.status_code == 400, params
        assert bad.json()["http_status"] == "400"
    changed = client.get(
        OBJECTS,
        params={"next": first.json()["next"], "match[type]": "malware"},
        headers=headers(member),
    )
    assert changed.status_code == 400
    repeated = client.get(OBJECTS + "?limit=1&limit=2", headers=headers(member))
    assert repeated.status_code == 400


def test_partial_failures_duplicates_and_conflicts(hub: Hub, client: TestClient) -> None:
    member = add_member(hub, "Acme")
    broken = {**indicator(2), "created": "2026-13-01T00:00:00Z"}
    old = {**indicator(3)}
    old.pop("spec_version")
    status = add(client, member, [indicator(1), broken, old, "not an object", malware()])
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (5, 2, 3)
    messages = [f["message"] for f in status["failures"]]
    assert "field 'created'" in messages[0] and indicator(2)["id"] in messages[0]
    assert "field 'spec_version'" in messages[1]
    assert messages[2].startswith("object 4")
    again = add(client, member, [indicator(1), {**malware(), "name": "Changed"}])
    assert again["successes"][0]["message"] == "already stored"
    assert again["failures"][0]["id"] == malware()["id"]
    assert "different object with this id and version" in again["failures"][0]["message"]
    status_url = f"/taxii2/api/status/{status['id']}/"
    assert client.get(status_url, headers=headers(member)).json() == status
    other = add_member(hub, "Other")
    assert client.get(status_url, headers=headers(other)).status_code == 404


def test_indicators_become_reports_and_markings_scope_objects(hub: Hub, client: TestClient) -> None:
    author, reader = add_member(hub, "Author"), add_member(hub, "Reader")
    red2 = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    white1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
    custom = {"type": "x-acme-widget", "id": "x-acme-widget--5a2f8b1e-7c3d-4e9a-8b6f-1d2e3f4a5b6c"}
    custom |= {"created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"}
    custom |= {"spec_version": "2.1", "x_acme_colour": "blue", "object_marking_refs": [white1]}
    sco = {"type": "ipv4-addr", "id": "ipv4-addr--7dd44d27-f473-5ba9-b12b-0d3a61bbed2e"}
    sco |= {"value": "10.0.0.1", "object_marking_refs": [white1]}
    secret = {**indicator(7), "object_marking_refs": [red2]}
    status = add(client, author, [indicator(5), custom, sco, secret])
    assert status["success_count"] == 4
    # A private address never becomes a report (an indicator); the object is still kept.
    assert "no report" in status["successes"][2]["message"]
    seen = client.get(OBJECTS, headers=headers(reader)).json()["objects"]
    assert {o["id"] for o in seen} == {indicator(5)["id"], custom["id"], sco["id"]}
    assert custom in seen and sco in seen
    looked_up = client.get("/api/v1/observables/ipv4/45.0.5.7", headers=reader.auth)
    assert looked_up.status_code == 200, looked_up.text
    hidden = client.get("/api/v1/observables/ipv4/45.0.7.7", headers=reader.auth)
    assert hidden.status_code == 404
    assert client.get("/api/v1/observables/ipv4/45.0.7.7", headers=author.auth).status_code == 200


def test_collections_for_communities_published_and_admin_filters(
    hub: Hub, client: TestClient
) -> None:
    admin = add_member(hub, "Hub Admin", role="admin")
    alpha, beta = add_member(hub, "Alpha"), add_member(hub, "Beta")
    made = client.post(
        "/api/v1/communities", json={"name": "finance", "members": ["Alpha"]}, headers=admin.auth
    )
    assert made.status_code == 201, made.text
    aliases = [
        c["alias"]
        for c in client.get("/taxii2/api/collections/", headers=headers(alpha)).json()[
            "collections"
        ]
    ]
    assert aliases == ["shared", "community-finance", "published"]
    beta_aliases = [
        c["alias"]
        for c in client.get("/taxii2/api/collections/", headers=headers(beta)).json()["collections"]
    ]
    assert beta_aliases == ["shared", "published"]
    url = "/taxii2/api/collections/community-finance/objects/"
    amber = {
        **indicator(9),
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
    }
    posted = client.post(
        url,
        content=orjson.dumps({"objects": [amber]}),
        headers=headers(alpha, **{"Content-Type": TAXII}),
    )
    assert posted.status_code == 202 and posted.json()["success_count"] == 1
    assert client.get(url, headers=headers(beta)).status_code == 404
    assert [o["id"] for o in client.get(url, headers=headers(alpha)).json()["objects"]] == [
        amber["id"]
    ]
    assert client.get(OBJECTS, headers=headers(beta)).json() == {}
    defined = client.post(
        "/api/v1/taxii/collections",
        json={"alias": "malware-only", "title": "Malware", "filter": {"types": ["malware"]}},
        headers=admin.auth,
    )
    assert defined.status_code == 201, defined.text
    add(client, alpha, [malware()])
    only = client.get(
        "/taxii2/api/collections/malware-only/objects/", headers=headers(alpha)
    ).json()
    assert [o["type"] for o in only["objects"]] == ["malware"]
    write = client.post(
        "/taxii2/api/collections/published/objects/",
        content=orjson.dumps({"objects": [indicator(10)]}),
        headers=headers(alpha, **{"Content-Type": TAXII}),
    )
    assert write.status_code == 403
    refused = client.post(
        "/api/v1/taxii/collections", json={"alias": "x", "title": "x"}, headers=alpha.auth
    )
    assert refused.status_code == 403


def test_status_resources_expire_after_the_configured_hours(
    hub: Hub, client: TestClient, clock: FakeClock
) -> None:
    member = add_member(hub, "Acme")
    first = add(client, member, [indicator(1)])
    first_url = f"/taxii2/api/status/{first['id']}/"
    clock.advance(hours=hub.settings.taxii_status_hours - 1)
    second = add(client, member, [indicator(2)])
    assert client.get(first_url, headers=headers(member)).status_code == 200
    clock.advance(hours=2)
    add(client, member, [indicator(3)])  # each POST deletes the statuses that expired
    gone = client.get(first_url, headers=headers(member))
    assert gone.status_code == 404 and gone.json()["http_status"] == "404"
    kept = client.get(f"/taxii2/api/status/{second['id']}/", headers=headers(member))
    assert kept.status_code == 200 and kept.json() == second
