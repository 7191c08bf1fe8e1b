"""Sightings posted over REST move the contributor's points in the same transaction."""

from __future__ import annotations

from typing import Any

import orjson

from .conftest import ledger, points

HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def sight(api: Any, who: Any, kind: str = "seen") -> None:
    response = api.client.post(
        "/api/v1/sightings",
        content=orjson.dumps({"type": "sha256", "value": HASH, "sighting": kind}),
        headers={**who.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["outcome"] == "recorded"


def test_sightings_and_confirmed_false_positives_reach_the_ledger(api: Any, member: Any) -> None:
    finder = member("Finder Labs")
    watchers = [member(f"Watcher {n}") for n in range(3)]
    api.contribute(finder, [HASH], tlp="green", labels=["malware:emotet"])
    earned = points(api, finder)
    assert earned > 0
    sight(api, finder)  # its own sighting earns nothing
    sight(api, watchers[0])
    sight(api, watchers[0])  # the same member again earns nothing
    assert points(api, finder) == earned + 2.0
    sight(api, watchers[1], "false-positive")  # one member's claim is not a confirmation
    assert points(api, finder) == earned + 2.0
    sight(api, watchers[2], "false-positive")
    assert points(api, finder) == round(earned + 2.0 - earned - 5.0, 2)
    kinds = [row["kind"] for row in ledger(api, finder)]
    assert kinds.count("sighting") == 1 and kinds.count("false-positive") == 1
    assert not any(w.name in repr(ledger(api, finder)) for w in watchers)


def test_sightings_by_the_contributor_alone_never_penalise(api: Any, member: Any) -> None:
    finder, other = member("Finder Labs"), member("Other")
    api.contribute(finder, [HASH], tlp="green", labels=["malware:emotet"])
    earned = points(api, finder)
    sight(api, finder, "false-positive")  # withdrawing its own report's support
    sight(api, other, "false-positive")
    assert points(api, finder) == earned


def test_a_false_positive_record_lowers_new_points(api: Any, member: Any) -> None:
    finder, careful = member("Finder Labs"), member("Careful Corp")
    critics = [member(f"Critic {n}") for n in range(2)]
    api.contribute(finder, [HASH], tlp="green", labels=["malware:emotet"])
    for critic in critics:
        sight(api, critic, "false-positive")
    reputation = api.client.get("/api/v1/reputation", headers=finder.auth).json()
    fresh = ["aa" * 32, "bb" * 32]
    body = api.contribute(finder, [fresh[0]], tlp="green", labels=["malware:emotet"])
    baseline = api.contribute(careful, [fresh[1]], tlp="green", labels=["malware:emotet"])
    assert baseline["points"] == 12.5  # a newcomer's reputation: full points
    assert 0 < body["points"] < 12.5, reputation
    row = ledger(api, finder)[-1]
    assert "reputation" in row["reason"] and row["points"] == body["points"]
