"""Concurrent sightings of one observable all count; events reach subscribers after commit."""

from __future__ import annotations

import threading
from typing import Any

import orjson

from phalanx.feedback.events import ReputationChanged, SightingRecorded


def contribute(client: Any, member: Any, values: list[str]) -> None:
    response = client.post(
        "/api/v1/contributions",
        content=orjson.dumps({"defaults": {"tlp": "green"}, "items": values}),
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_concurrent_sightings_of_one_observable_all_count(client, member):
    acme = member("Acme")
    sighters = [member(f"Sighter {n}") for n in range(4)]
    contribute(client, acme, ["evil.example"])
    errors: list[str] = []

    def post(who: Any) -> None:
        for n in range(5):
            body = orjson.dumps([{"value": "evil.example", "count": 2, "id": f"{who.name}-{n}"}])
            response = client.post(
                "/api/v1/sightings",
                content=body,
                headers={**who.auth, "Content-Type": "application/json"},
            )
            if response.status_code != 201 or response.json()["counts"]["recorded"] != 1:
                errors.append(response.text)

    threads = [threading.Thread(target=post, args=(who,)) for who in sighters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    view = client.get("/api/v1/observables/domain/evil.example/sightings", headers=acme.auth)
    assert view.json()["sightings"]["seen"] == 4 * 5 * 2
    assert view.json()["sightings"]["seen_organisations"] == 4
    reputation = client.get("/api/v1/reputation", headers=acme.auth).json()
    assert reputation["confirmed"] == 4  # one per (report, sighter), however often it saw it


def test_events_are_published_to_subscribers(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    contribute(client, acme, ["evil.example", "198.51.100.7"])
    received: list[Any] = []
    client.app.state.feedback_hooks.subscribe(received.extend)

    def broken(_events: Any) -> None:
        raise RuntimeError("a subscriber that fails")

    client.app.state.feedback_hooks.subscribe(broken)
    body = [
        {"value": "evil.example", "sighting": "false-positive"},
        {"value": "198.51.100.7", "count": 3},
        {"value": "192.0.2.99"},
    ]
    response = client.post(
        "/api/v1/sightings",
        content=orjson.dumps(body),
        headers={**bravo.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201  # the failing subscriber changed nothing
    sightings = [e for e in received if isinstance(e, SightingRecorded)]
    assert [(e.observable_value, e.kind, e.count) for e in sightings] == [
        ("evil.example", "false-positive", 1),
        ("198.51.100.7", "seen", 3),
    ]
    assert all(e.org_id == bravo.org_id and len(e.report_ids) == 1 for e in sightings)
    (change,) = [e for e in received if isinstance(e, ReputationChanged)]
    assert (change.org_id, change.confirmed, change.false_positives) == (acme.org_id, 1, 1)
    assert change.score == 5 / 7
