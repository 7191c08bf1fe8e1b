"""Lookup, listing and export; what a member cannot see does not exist for it."""

from __future__ import annotations

import csv
import io

import orjson


def _contribute(client, member, items, **defaults):
    response = client.post(
        "/api/v1/contributions",
        content=orjson.dumps({"defaults": defaults, "items": items}),
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_single_lookup_merges_visible_reports(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    _contribute(
        client, acme, [{"value": "evil.example", "labels": ["c2"], "confidence": 60}], tlp="green"
    )
    _contribute(
        client,
        bravo,
        [{"value": "evil.example", "labels": ["phishing"], "confidence": 90}],
        tlp="clear",
    )
    view = client.get("/api/v1/observables/domain/EVIL.example.", headers=acme.auth).json()
    assert view["value"] == "evil.example"
    assert view["labels"] == ["c2", "phishing"] and view["confidence"] == 90
    assert view["tlp"] == "clear"
    assert sorted(r["org"] for r in view["reports"]) == ["Acme", "Bravo"]


def test_url_and_cidr_values_in_the_path(client, member):
    acme = member("Acme")
    _contribute(client, acme, ["http://evil.example/a/b.php?x=1", "203.0.113.0/24"], tlp="green")
    url = client.get("/api/v1/observables/url/http://evil.example/a/b.php%3Fx=1", headers=acme.auth)
    assert url.status_code == 200 and url.json()["value"] == "http://evil.example/a/b.php?x=1"
    cidr = client.get("/api/v1/observables/cidr/203.0.113.0/24", headers=acme.auth)
    assert cidr.status_code == 200


def test_bulk_lookup(client, member):
    acme = member("Acme")
    _contribute(client, acme, ["198.51.100.80", "evil.example"], tlp="green")
    response = client.post(
        "/api/v1/lookup",
        content=orjson.dumps(
            {
                "values": [
                    "198.51.100.80",
                    {"type": "domain", "value": "EVIL.EXAMPLE"},
                    "198.51.100.81",
                    "999.1.1.1",
                ]
            }
        ),
        headers=acme.auth,
    )
    body = response.json()
    assert body["count"] == 2
    assert [m["value"] for m in body["matches"]] == ["198.51.100.80", "evil.example"]
    assert body["invalid"][0]["input"] == "999.1.1.1"


def test_bulk_lookup_limit(client, member, hub):
    acme = member("Acme")
    hub.settings = hub.settings.with_(max_lookup_values=2)
    response = client.post(
        "/api/v1/lookup",
        content=orjson.dumps({"values": ["a.example", "b.example", "c.example"]}),
        headers=acme.auth,
    )
    assert response.status_code == 413


def test_listing_pages_and_filters(client, member):
    acme = member("Acme")
    values = [f"198.51.100.{n}" for n in range(1, 26)]
    _contribute(client, acme, values, tlp="green", labels=["c2"])
    _contribute(client, acme, ["evil.example"], tlp="amber", labels=["phishing"])
    seen, cursor = [], None
    while True:
        params = {"limit": 10, "type": "ipv4"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/observables", params=params, headers=acme.auth).json()
        seen += [item["value"] for item in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(seen) == sorted(values) and len(seen) == len(set(seen))
    phishing = client.get(
        "/api/v1/observables", params={"label": "phishing"}, headers=acme.auth
    ).json()
    assert [i["value"] for i in phishing["items"]] == ["evil.example"]
    _contribute(client, acme, ["evil2.example"], tlp="green", labels=["malware:emotet"])
    for pattern in ("malware:*", "malware:emo*", "MALWARE:EMOTET"):
        found = client.get("/api/v1/observables", params={"label": pattern}, headers=acme.auth)
        assert [i["value"] for i in found.json()["items"]] == ["evil2.example"], pattern
    amber = client.get("/api/v1/observables", params={"tlp": "amber"}, headers=acme.auth).json()
    assert [i["value"] for i in amber["items"]] == ["evil.example"]
    bad = client.get("/api/v1/observables", params={"cursor": "!!"}, headers=acme.auth)
    assert bad.status_code == 422


def test_since_filter(client, member, clock):
    acme = member("Acme")
    _contribute(client, acme, ["198.51.100.90"], tlp="green")
    clock.advance(hours=1)
    _contribute(client, acme, ["198.51.100.91"], tlp="green")
    since = (clock() - __import__("datetime").timedelta(minutes=1)).isoformat()
    page = client.get("/api/v1/observables", params={"since": since}, headers=acme.auth).json()
    assert [i["value"] for i in page["items"]] == ["198.51.100.91"]


def test_csv_and_text_export(client, member):
    acme = member("Acme")
    _contribute(client, acme, ["198.51.100.95", "evil.example"], tlp="green", labels=["c2"])
    _contribute(
        client, acme, [{"value": "evil.example", "comment": '=HYPERLINK("x")'}], tlp="clear"
    )
    text = client.get("/api/v1/export", params={"format": "text"}, headers=acme.auth)
    assert text.status_code == 200
    assert sorted(text.text.split()) == ["198.51.100.95", "evil.example"]
    exported = client.get("/api/v1/export", params={"format": "csv"}, headers=acme.auth)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["value"] for r in rows} == {"198.51.100.95", "evil.example"}
    assert all(r["org"] == "Acme" for r in rows)
    assert {r["comment"] for r in rows} == {"", '\'=HYPERLINK("x")'}


def test_stix_export_is_a_valid_self_contained_bundle(client, member):
    from stix2validator import ValidationOptions, validate_instance

    acme, bravo = member("Acme"), member("Bravo")
    _contribute(
        client,
        acme,
        ["198.51.100.96", "http://evil.example/x", "44d88612fea8a8f36de82e1278abb02f"],
        tlp="green",
        labels=["c2", "attack:T1071"],
    )
    _contribute(client, bravo, ["hidden-sender.example"], tlp="clear", anonymous=True)
    response = client.get("/api/v1/export", params={"format": "stix"}, headers=acme.auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/stix+json")
    bundle = response.json()
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]

    objects = {obj["id"]: obj for obj in bundle["objects"]}
    indicators = [o for o in objects.values() if o["type"] == "indicator"]
    assert len(indicators) == 4
    for indicator in indicators:  # every reference resolves inside the bundle
        assert indicator["created_by_ref"] in objects
        assert all(ref in objects for ref in indicator["object_marking_refs"])
    identities = {o["name"] for o in objects.values() if o["type"] == "identity"}
    assert identities == {"Phalanx", "Acme"}  # Bravo shared anonymously: never named
    anonymous = next(i for i in indicators if "hidden-sender" in i["pattern"])
    assert objects[anonymous["created_by_ref"]]["identity_class"] == "system"
    assert "Bravo" not in response.text

    again = client.get("/api/v1/export", params={"format": "stix"}, headers=acme.auth).json()
    assert {o["id"] for o in again["objects"]} == set(objects)  # stable ids across exports
