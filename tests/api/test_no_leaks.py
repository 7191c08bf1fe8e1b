"""An organisation cannot learn of another's AMBER or RED report on any read path.

Paths: single lookup, bulk lookup, listing (search), export, and the contribution outcome
(``known`` vs ``new``). A hidden value answers exactly like a value never seen: same status,
same body.
"""

from __future__ import annotations

import orjson
import pytest

HIDDEN = "198.51.100.66"
NEVER = "198.51.100.67"


def _contribute(client, member, items, **defaults):
    response = client.post(
        "/api/v1/contributions",
        content=orjson.dumps({"defaults": defaults, "items": items}),
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(params=["amber", "amber+strict", "red"])
def world(request, client, member):
    acme, friend, outsider = member("Acme"), member("Friend"), member("Outsider")
    _contribute(client, acme, [HIDDEN], tlp=request.param, share_with=["Friend"])
    return acme, friend, outsider


def test_single_lookup_404_identical_to_never_seen(client, world):
    acme, friend, outsider = world
    hidden = client.get(f"/api/v1/observables/ipv4/{HIDDEN}", headers=outsider.auth)
    never = client.get(f"/api/v1/observables/ipv4/{NEVER}", headers=outsider.auth)
    assert hidden.status_code == never.status_code == 404
    assert hidden.json() == {
        **never.json(),
        "detail": never.json()["detail"].replace(NEVER, HIDDEN),
    }
    assert hidden.headers["content-type"] == never.headers["content-type"]
    assert len(hidden.content) == len(never.content)
    for allowed in (acme, friend):
        assert (
            client.get(f"/api/v1/observables/ipv4/{HIDDEN}", headers=allowed.auth).status_code
            == 200
        )


def test_bulk_lookup_hides_it(client, world):
    _acme, friend, outsider = world
    body = orjson.dumps({"values": [HIDDEN, NEVER]})
    hidden = client.post("/api/v1/lookup", content=body, headers=outsider.auth).json()
    assert hidden == {"matches": [], "count": 0, "invalid": []}
    shown = client.post("/api/v1/lookup", content=body, headers=friend.auth).json()
    assert [m["value"] for m in shown["matches"]] == [HIDDEN]


def test_listing_hides_it(client, world):
    _acme, friend, outsider = world
    for params in ({}, {"type": "ipv4"}, {"tlp": "amber"}, {"tlp": "red"}):
        page = client.get("/api/v1/observables", params=params, headers=outsider.auth).json()
        assert page == {"items": [], "next": None}
    assert client.get("/api/v1/observables", headers=friend.auth).json()["items"]


@pytest.mark.parametrize("fmt", ["csv", "text", "stix"])
def test_export_hides_it(client, world, fmt):
    _acme, friend, outsider = world
    hidden = client.get("/api/v1/export", params={"format": fmt}, headers=outsider.auth)
    assert HIDDEN not in hidden.text
    assert HIDDEN in client.get("/api/v1/export", params={"format": fmt}, headers=friend.auth).text


def test_contribution_outcome_does_not_reveal_it(client, world):
    _acme, friend, outsider = world
    outcome = _contribute(client, outsider, [HIDDEN, NEVER])
    assert [i["outcome"] for i in outcome["items"]] == ["new", "new"]
    assert "reason" not in outcome["items"][0]
    # The recipient does see it, so for the recipient it is known.
    assert _contribute(client, friend, [HIDDEN])["items"][0]["outcome"] == "known"
