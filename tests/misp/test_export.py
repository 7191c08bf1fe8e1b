"""MISP export: PyMISP loads every event, every visible report is one attribute, ids are
stable, anonymous contributors stay hidden, and our own events import back unchanged."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from pathlib import Path

import orjson
import pytest
from pymisp import MISPEvent
from pymisp.tools.feed import feed_meta_generator

from phalanx.errors import InvalidInput
from phalanx.export.stix import hub_uuid
from phalanx.misp.feed import feed_plan
from phalanx.misp.service import write_feed
from phalanx.misp.tags import read_tags
from phalanx.misp.writer import attribute_uuid

SHA = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"
ITEMS = [
    {"value": "198.51.100.7", "labels": ["c2", "malware:emotet", "attack:T1071.001"]},
    {"value": "2001:db8::7", "tlp": "amber", "share_with": ["Reader"]},
    {"value": "198.51.100.0/24", "labels": ["no-ids"]},
    {"value": "evil.example", "pap": "red", "labels": ["threat-actor:sofacy"]},
    {"value": "http://evil.example/gate.php", "comment": "gate"},
    {"value": "phish@evil.example", "type": "email"},
    {"value": "0cc175b9c0f1b6a831c399e269772661", "type": "md5"},
    {"value": "a" * 40, "type": "sha1"},
    {"value": SHA, "type": "sha256", "labels": ["benign"]},
    {"value": "b" * 128, "type": "sha512"},
    {"value": "AS64500", "type": "asn"},
    {"value": "rule phx { condition: true }", "type": "yara"},
]


def contribute(client, member, items, **defaults):
    body = orjson.dumps({"defaults": {"tlp": "green", **defaults}, "items": items})
    response = client.post(
        "/api/v1/contributions",
        content=body,
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["rejected"] == 0, response.text
    return response.json()


def export_misp(client, member, **params):
    response = client.get(
        "/api/v1/export", params={"format": "misp", **params}, headers=member.auth
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response


def load_events(document):
    events = []
    for raw in document["response"]:
        event = MISPEvent()
        event.load(copy.deepcopy(raw))  # PyMISP consumes the dict it loads
        events.append(event)
    return events


def visible_reports(client, member):
    text = client.get("/api/v1/export", params={"format": "csv"}, headers=member.auth).text
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def world(client, member):
    acme, bravo, reader = member("Acme"), member("Bravo"), member("Reader", role="reader")
    contribute(client, acme, ITEMS)
    contribute(
        client, bravo, [{"value": "evil2.example"}, {"value": "198.51.100.9"}], anonymous=True
    )
    contribute(client, bravo, [{"value": "named.example", "tlp": "clear"}])
    return acme, bravo, reader


def test_every_visible_report_is_one_attribute_pymisp_loads(client, world):
    acme, _, reader = world
    for who in (acme, reader):
        events = load_events(export_misp(client, who).json())
        rows = visible_reports(client, who)
        attributes = [a for event in events for a in event.attributes]
        assert len(attributes) == len(rows)
        wanted = {attribute_uuid("Phalanx", int(row["report_id"])): row for row in rows}
        for attribute in attributes:
            row = wanted.pop(attribute.uuid)
            expected = f"AS{row['value']}" if row["type"] == "asn" else row["value"]
            assert attribute.value == expected
            labels = set(filter(None, row["labels"].split(";")))
            assert attribute.to_ids == (not labels & {"no-ids", "benign"})
            tags = [tag.name for tag in attribute.tags]
            assert read_tags(tags).labels == sorted(labels - {"no-ids"})
        assert not wanted


def test_events_group_by_contribution_marking_and_shown_contributor(client, world):
    _, bravo, reader = world
    document = export_misp(client, reader).json()
    events = load_events(document)
    hub = {"name": "Phalanx", "uuid": str(hub_uuid("Phalanx"))}
    for event in events:
        tlps = [t.name for t in event.tags if t.name.startswith("tlp:")]
        paps = [t.name for t in event.tags if t.name.startswith("PAP:")]
        assert len(tlps) == 1 and len(paps) == 1
        assert event.Org.name == "Phalanx"
        assert event.distribution == {"tlp:clear": 3, "tlp:green": 1}.get(tlps[0], 0)
    anonymous = [e for e in events if e.Orgc.name == "Phalanx"]
    assert len(anonymous) == 1 and "anonymous contribution" in anonymous[0].info
    assert {a.value for a in anonymous[0].attributes} == {"evil2.example", "198.51.100.9"}
    assert anonymous[0].Orgc.uuid == hub["uuid"]
    named = [
        raw["Event"] for raw in document["response"] if raw["Event"]["Orgc"]["name"] == "Bravo"
    ]
    bravo_uuid = named[0]["Orgc"]["uuid"]
    hidden = orjson.dumps([r for r in document["response"] if r["Event"]["Orgc"] == hub])
    assert b"Bravo" not in hidden and bravo_uuid.encode() not in hidden
    # The anonymous contributor itself sees its own name on its own reports.
    own = export_misp(client, bravo).json()["response"]
    assert all(raw["Event"]["Orgc"]["name"] in ("Bravo", "Acme") for raw in own)
    # Reader sees Acme's amber IPv6 (named recipient) but not TLP:AMBER without recipients.
    values = {a.value for e in events for a in e.attributes}
    assert "2001:db8::7" in values


def test_export_is_deterministic_and_filtered(client, world):
    _, _, reader = world
    first = export_misp(client, reader).json()
    again = export_misp(client, reader).json()
    assert first == again
    only_domains = load_events(export_misp(client, reader, type="domain").json())
    assert {a.type for e in only_domains for a in e.attributes} == {"domain"}
    labelled = load_events(export_misp(client, reader, label="malware:emotet").json())
    assert [a.value for e in labelled for a in e.attributes] == ["198.51.100.7"]


def test_our_events_import_back_unchanged(client, world, member):
    acme, _, _ = world
    exported = export_misp(client, acme).content
    other = member("Other CERT")
    response = client.post(
        "/api/v1/contributions", params={"format": "misp"}, content=exported, headers=other.auth
    )
    assert response.status_code == 201
    assert response.json()["counts"]["rejected"] == 0
    mine = {
        _expected_back(r["type"], r["value"], r["tlp"], r["pap"], r["labels"])
        for r in visible_reports(client, acme)
        if r["org"] != "Other CERT"
    }
    theirs = {
        (r["type"], r["value"], r["tlp"], r["pap"], r["labels"])
        for r in visible_reports(client, other)
        if r["org"] == "Other CERT"
    }
    assert theirs == mine


def _expected_back(kind, value, tlp, pap, labels):
    # AMBER travels as distribution 0 ("your organisation only"): Other CERT may not pass it
    # on, so it comes back private to Other CERT. A benign report is exported with to_ids
    # false, which reads back as the no-ids label as well.
    tlp = "amber+strict" if tlp == "amber" else tlp
    if "benign" in labels.split(";"):
        labels = ";".join(sorted({*labels.split(";"), "no-ids"}))
    return kind, value, tlp, pap, labels


def test_feed_directory_matches_what_pymisp_generates(client, world, tmp_path: Path):
    _, _, reader = world
    document = export_misp(client, reader).json()
    ours = tmp_path / "ours"
    count = write_feed(ours, document["response"])
    assert count == len(document["response"])
    manifest = json.loads((ours / "manifest.json").read_text())
    names = {p.name for p in ours.iterdir()}
    assert feed_plan(manifest, names) == ([f"{u}.json" for u in manifest], [])
    for uuid in manifest:
        event = MISPEvent()
        event.load_file(str(ours / f"{uuid}.json"))
        assert event.uuid == uuid and event.attributes
        generated = event.to_feed(with_meta=True)["Event"]["_manifest"]
        assert _comparable(generated) == _comparable({uuid: manifest[uuid]})
    # PyMISP's own generator rebuilds manifest.json and hashes.csv from our event files.
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs)
    feed_meta_generator(theirs)
    assert _comparable(json.loads((theirs / "manifest.json").read_text())) == _comparable(manifest)
    assert sorted((theirs / "hashes.csv").read_text().splitlines()) == sorted(
        (ours / "hashes.csv").read_text().splitlines()
    )
    assert not list(ours.glob(".*.part"))


def _comparable(manifest):
    """PyMISP writes numbers as ints and adds tag defaults; MISP reads either spelling."""
    return {
        uuid: {
            **{k: str(v) for k, v in entry.items() if k not in ("Orgc", "Tag")},
            "Orgc": entry["Orgc"],
            "Tag": sorted(tag["name"] for tag in entry["Tag"]),
        }
        for uuid, entry in manifest.items()
    }


def test_feed_plan_reports_missing_and_unlisted_events():
    manifest = {"a": {}, "b": {}}
    wanted, problems = feed_plan(manifest, ["manifest.json", "a.json", "c.json", "hashes.csv"])
    assert wanted == ["a.json"]
    assert problems == [
        "event b is in manifest.json but b.json is missing",
        "c.json is not listed in manifest.json; skipped, as MISP would",
    ]
    assert feed_plan([], [])[1] == ["manifest.json must map event uuids to their summaries"]


def test_feed_refuses_an_event_uuid_that_is_not_a_uuid(tmp_path: Path):
    event = {"Event": {"uuid": "../escape", "info": "x", "Orgc": {"name": "a", "uuid": "b"}}}
    with pytest.raises(InvalidInput, match="not a UUID"):
        write_feed(tmp_path / "feed", [event])
    assert not (tmp_path / "escape.json").exists()
