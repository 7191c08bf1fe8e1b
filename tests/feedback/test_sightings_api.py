"""POST /api/v1/sightings and the feedback read paths, end to end over the REST API."""

from __future__ import annotations

from typing import Any

import orjson


def contribute(client: Any, member: Any, items: list[Any], **defaults: Any) -> None:
    response = client.post(
        "/api/v1/contributions",
        content=orjson.dumps({"defaults": defaults, "items": items}),
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def sight(client: Any, member: Any, body: Any, **headers: str) -> Any:
    return client.post(
        "/api/v1/sightings",
        content=orjson.dumps(body),
        headers={**member.auth, "Content-Type": "application/json", **headers},
    )


def test_single_and_batch_sightings_with_per_item_outcomes(client, member, clock):
    acme, bravo = member("Acme"), member("Bravo")
    contribute(client, acme, ["198.51.100.7", "evil.example"], tlp="green", confidence=80)
    single = sight(client, bravo, {"value": "198.51.100.7", "count": 3})
    assert single.status_code == 201, single.text
    assert single.json()["items"][0]["outcome"] == "recorded"
    batch = sight(
        client,
        bravo,
        {
            "sightings": [
                {"type": "domain", "value": "EVIL[.]example", "sighting": "false-positive"},
                {"value": "192.0.2.250"},  # never reported
                {"value": "198.51.100.7", "count": 0},
                {"value": "198.51.100.7", "last_seen": "2099-01-01T00:00:00Z"},
                {"value": "198.51.100.7", "sighting": "maybe"},
                {"value": "198.51.100.7", "colour": "red"},
            ]
        },
    )
    assert batch.status_code == 201
    items = batch.json()["items"]
    assert [i["outcome"] for i in items] == [
        "recorded", "unknown", "rejected", "rejected", "rejected", "rejected",
    ]  # fmt: skip
    assert items[0]["value"] == "evil.example" and items[0]["sighting"] == "false-positive"
    assert items[1]["reason"] == "no observable ipv4:192.0.2.250"
    assert [i.get("field") for i in items[2:]] == ["count", "last_seen", "sighting", "colour"]
    assert batch.json()["counts"] == {"recorded": 1, "duplicate": 0, "unknown": 1, "rejected": 4}


def test_a_hidden_observable_answers_exactly_like_an_unknown_one(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    contribute(client, acme, ["198.51.100.9"], tlp="amber")  # Bravo may not see it
    hidden = sight(client, bravo, [{"value": "198.51.100.9"}]).json()["items"][0]
    never = sight(client, bravo, [{"value": "198.51.100.10"}]).json()["items"][0]
    assert hidden["outcome"] == never["outcome"] == "unknown"
    assert hidden["reason"].replace("198.51.100.9", "X") == never["reason"].replace(
        "198.51.100.10", "X"
    )
    for value in ("198.51.100.9", "198.51.100.10"):
        read = client.get(f"/api/v1/observables/ipv4/{value}/sightings", headers=bravo.auth)
        assert read.status_code == 404
        assert read.json()["detail"] == f"no observable ipv4:{value}"
    # nothing was stored: Acme's impact shows no feedback
    assert client.get("/api/v1/sightings/impact", headers=acme.auth).json()["items"] == []


def test_retries_are_idempotent(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    contribute(client, acme, ["198.51.100.7"], tlp="green")
    body = [{"value": "198.51.100.7", "id": "run-1"}, {"value": "198.51.100.7", "id": "run-1"}]
    first = sight(client, bravo, body, **{"Idempotency-Key": "k1"})
    assert [i["outcome"] for i in first.json()["items"]] == ["recorded", "duplicate"]
    assert first.json()["items"][1]["reason"] == "repeats item 0 of this request (same id)"
    replay = sight(client, bravo, body, **{"Idempotency-Key": "k1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    again = sight(client, bravo, body[:1])  # no key: the item id still dedupes
    assert again.json()["items"][0]["outcome"] == "duplicate"
    assert again.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    other = sight(client, bravo, [{"value": "198.51.100.8"}], **{"Idempotency-Key": "k1"})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    view = client.get("/api/v1/observables/ipv4/198.51.100.7/sightings", headers=acme.auth)
    assert view.json()["sightings"]["seen"] == 1


def sid(kind: str, digit: str) -> str:
    """A STIX id made of one repeated hex digit."""
    return f"{kind}--{digit * 8}-{digit * 4}-4{digit * 3}-8{digit * 3}-{digit * 12}"


def test_stix_sightings_and_disagreeing_opinions(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    contribute(client, acme, ["198.51.100.7", "evil.example", "bad.example"], tlp="green")
    day = "2026-11-20T00:00:00.000Z"
    base = {"spec_version": "2.1", "created": day, "modified": day}
    indicator = {
        **base, "type": "indicator", "id": sid("indicator", "1"), "pattern_type": "stix",
        "pattern": "[domain-name:value = 'evil.example']", "valid_from": day,
    }  # fmt: skip
    other = {**indicator, "id": sid("indicator", "2")}
    other["pattern"] = "[domain-name:value = 'bad.example']"
    sco = {"type": "ipv4-addr", "spec_version": "2.1", "id": sid("ipv4-addr", "3")}
    sco["value"] = "198.51.100.7"
    observed = {
        **base, "type": "observed-data", "id": sid("observed-data", "4"),
        "first_observed": day, "last_observed": day, "number_observed": 1,
        "object_refs": [sco["id"]],
    }  # fmt: skip
    bundle = {
        "type": "bundle",
        "id": sid("bundle", "5"),
        "objects": [
            indicator, other, sco, observed,
            {**base, "type": "sighting", "id": sid("sighting", "6"), "count": 4,
             "sighting_of_ref": indicator["id"], "last_seen": "2026-11-21T00:00:00Z"},
            {**base, "type": "sighting", "id": sid("sighting", "7"),
             "sighting_of_ref": indicator["id"], "observed_data_refs": [observed["id"]],
             "x_phalanx_sighting_type": "false-positive"},
            {**base, "type": "opinion", "id": sid("opinion", "8"),
             "opinion": "strongly-disagree", "object_refs": [other["id"]]},
            {**base, "type": "sighting", "id": sid("sighting", "9"),
             "sighting_of_ref": sid("indicator", "a")},
        ],
    }  # fmt: skip
    response = client.post(
        "/api/v1/sightings",
        content=orjson.dumps(bundle),
        headers={**bravo.auth, "Content-Type": "application/stix+json"},
    )
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [(i["outcome"], i.get("value"), i.get("sighting")) for i in items] == [
        ("recorded", "evil.example", "seen"),
        ("recorded", "198.51.100.7", "false-positive"),
        ("recorded", "bad.example", "false-positive"),
        ("rejected", None, None),
    ]
    assert items[0]["input"].startswith("sighting--") and items[3]["field"] == "sighting_of_ref"
    again = client.post(
        "/api/v1/sightings",
        content=orjson.dumps(bundle),
        headers={**bravo.auth, "Content-Type": "application/stix+json"},
    )
    assert [i["outcome"] for i in again.json()["items"]][:3] == ["duplicate"] * 3
    view = client.get("/api/v1/observables/domain/evil.example/sightings", headers=acme.auth)
    assert view.json()["sightings"]["seen"] == 4


def test_counts_never_name_anonymous_sighters(client, member):
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    contribute(client, acme, ["198.51.100.7"], tlp="green", confidence=60)
    sight(client, bravo, [{"value": "198.51.100.7", "count": 5}])  # anonymous by default
    sight(client, carol, [{"value": "198.51.100.7", "count": 2, "anonymous": False}])
    for who, named in ((acme, ["Carol"]), (bravo, ["Bravo", "Carol"]), (carol, ["Carol"])):
        view = client.get("/api/v1/observables/ipv4/198.51.100.7/sightings", headers=who.auth)
        body = view.json()
        assert body["sightings"]["seen"] == 7 and body["sightings"]["seen_organisations"] == 2
        assert [o["org"] for o in body["organisations"]] == named
        assert "Bravo" not in view.text or who is bravo
    assert body["opinion"] == {"verdict": "positive", "positive": 3, "negative": 0}


def test_opinion_turns_disputed_and_confidence_moves(client, member):
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    contribute(client, acme, ["evil.example"], tlp="clear", confidence=80)

    def read() -> dict[str, Any]:
        return client.get(
            "/api/v1/observables/domain/evil.example/sightings", headers=acme.auth
        ).json()

    before = read()["confidence"]["score"]
    sight(client, bravo, [{"value": "evil.example"}])
    seen = read()
    assert seen["confidence"]["score"] > before
    sight(client, carol, [{"value": "evil.example", "sighting": "false-positive"}])
    disputed = read()
    assert disputed["opinion"] == {"verdict": "disputed", "positive": 2, "negative": 1}
    assert disputed["confidence"]["score"] < seen["confidence"]["score"]
    by_query = client.get(
        "/api/v1/feedback", params={"type": "domain", "value": "evil.example"}, headers=acme.auth
    )
    assert by_query.json() == disputed


def test_impact_and_reputation(client, member):
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    contribute(client, acme, ["198.51.100.7", "evil.example"], tlp="green")
    sight(client, bravo, [{"value": "198.51.100.7"}, {"value": "evil.example"}])
    sight(client, carol, [{"value": "evil.example", "sighting": "false-positive"}])
    sight(client, acme, [{"value": "evil.example"}])  # own sightings do not count
    reputation = client.get("/api/v1/reputation", headers=acme.auth).json()
    assert (reputation["confirmed"], reputation["false_positives"]) == (2, 1)
    assert reputation["score"] == round(6 / 8, 4)
    impact = client.get("/api/v1/sightings/impact", headers=acme.auth).json()
    by_value = {i["value"]: i for i in impact["items"]}
    assert by_value["evil.example"]["sightings"]["false_positive_organisations"] == 1
    assert by_value["evil.example"]["sightings"]["seen_organisations"] == 2
    assert [o["org"] for o in by_value["evil.example"]["organisations"]] == ["Acme"]
    assert impact["reputation"]["score"] == reputation["score"]
    assert client.get("/api/v1/sightings/impact", headers=bravo.auth).json()["items"] == []
    other = client.get("/api/v1/reputation", params={"org": "Acme"}, headers=bravo.auth)
    assert other.status_code == 403
    mine = client.get("/api/v1/sightings", headers=bravo.auth).json()["items"]
    assert [(s["value"], s["sighting"]) for s in mine] == [
        ("198.51.100.7", "seen"),
        ("evil.example", "seen"),
    ]


def test_bad_bodies_are_refused_with_the_field(client, member):
    acme = member("Acme")
    bad_json = client.post(
        "/api/v1/sightings", content=b"{", headers={**acme.auth, "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422 and bad_json.json()["field"] == "body"
    wrong_type = client.post(
        "/api/v1/sightings", content=b"x", headers={**acme.auth, "Content-Type": "text/csv"}
    )
    assert wrong_type.status_code == 415
    not_list = sight(client, acme, {"sightings": "nope"})
    assert not_list.status_code == 422 and not_list.json()["field"] == "sightings"
    empty_bundle = sight(client, acme, {"type": "bundle", "id": sid("bundle", "1"), "objects": []})
    assert empty_bundle.status_code == 422 and empty_bundle.json()["field"] == "objects"
    anonymous = client.post("/api/v1/sightings", content=b"[]")
    assert anonymous.status_code == 401


def test_expiry_through_the_api(client, member, clock):
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    contribute(client, acme, ["evil.example"], tlp="green")

    def expired(who: Any) -> bool:
        url = "/api/v1/observables/domain/evil.example/sightings"
        return bool(client.get(url, headers=who.auth).json()["confidence"]["expired"])

    sight(client, bravo, [{"value": "evil.example", "sighting": "expired"}])
    assert expired(bravo) and not expired(acme) and not expired(carol)
    clock.advance(minutes=1)
    sight(client, acme, [{"value": "evil.example", "sighting": "expired"}])  # retires its report
    assert expired(acme) and expired(carol)
    clock.advance(minutes=1)
    contribute(client, acme, ["evil.example"], tlp="green")  # reported again: live again
    assert not expired(acme) and not expired(carol) and expired(bravo)
