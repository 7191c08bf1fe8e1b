"""Every MISP event in ../shared/data/misp and the sample feed import cleanly, on both engines.

"Cleanly" is checked item by item: each attribute (and proposal) of the source gets exactly
the outcomes its type calls for — the observables it names come back ``new`` or ``known``
with their normalised values, the rest come back ``rejected`` naming the attribute's uuid,
its type and why. Nothing else is rejected.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from phalanx.misp.attributes import Unmappable, observables_of
from phalanx.misp.envelope import events_of, list_of
from phalanx.observables.normalize import normalize

EVENT_FILES = [
    "events/pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json",
    "events/pymisp/misp_event.json",
    "events/pymisp/existing_event.json",
    "events/pymisp/shadow.json",
    "events/pymisp/sighting_1.json",
    "events/pymisp/mainly_objects_1.json",
    "events/pymisp/to_delete1.json",
    "misp-stix/test_events_collection_1.json",
    "misp-stix/test_events_collection_2.json",
]
# Pinned so a mapping change shows up here: (accepted observables, rejected attributes).
EXPECTED_COUNTS = {
    "57c4445b-c548-4654-af0b-4be3950d210f.json": (3, 6),
    "misp_event.json": (1, 1),
    "existing_event.json": (68, 54),
    "shadow.json": (0, 5),
    "sighting_1.json": (5, 0),
    "mainly_objects_1.json": (21, 53),
    "to_delete1.json": (50, 25),
    "test_events_collection_1.json": (2, 0),
    "test_events_collection_2.json": (2, 1),
}


def post_misp(client, member, payload: bytes):
    response = client.post(
        "/api/v1/contributions",
        params={"format": "misp"},
        content=payload,
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def expected_outcomes(document: Any) -> list[tuple[str, str | None]]:
    """(input, normalised value or None when rejected) per item, computed from the source."""
    expected: list[tuple[str, str | None]] = []
    for event in events_of(document):
        for attribute in list_of(event, "Attribute"):
            expected += _attribute(attribute, None)
        for obj in list_of(event, "Object"):
            for attribute in list_of(obj, "Attribute"):
                expected += _attribute(attribute, obj.get("name"))
        expected += [(_proposal(p), None) for p in list_of(event, "ShadowAttribute")]
    return expected


def _attribute(attribute: dict[str, Any], object_name: str | None) -> list[tuple[str, str | None]]:
    name = f"attribute {attribute['uuid']} ({attribute['type']})"
    proposals = [(_proposal(p), None) for p in list_of(attribute, "ShadowAttribute")]
    if attribute.get("deleted") in (True, "1"):
        return [*proposals, (name, None)]
    try:
        found = observables_of(attribute["type"], attribute["value"], object_name=object_name)
    except Unmappable:
        return [*proposals, (name, None)]
    return [*proposals, *((name, normalize(f.value, f.kind).value) for f in found)]


def _proposal(proposal: dict[str, Any]) -> str:
    return f"proposal {proposal['uuid']} ({proposal['type']})"


def check_items(body: dict[str, Any], document: Any) -> None:
    items = body["items"]
    expected = expected_outcomes(document)
    assert [(i["input"], i["value"]) for i in items] == expected
    for item, (name, value) in zip(items, expected, strict=True):
        if value is None:
            assert item["outcome"] == "rejected"
            assert item["reason"].startswith(f"{name}: ")  # uuid and type, then why
        else:
            assert item["outcome"] in ("new", "known"), item
            assert item.get("reason") in (None,) or item["reason"].startswith("repeats item")


@pytest.mark.parametrize("name", EVENT_FILES)
def test_every_shared_event_file_imports_item_by_item(client, member, shared_data: Path, name):
    payload = (shared_data / "misp" / name).read_bytes()
    body = post_misp(client, member("Acme"), payload)
    check_items(body, orjson.loads(payload))
    accepted = body["counts"]["new"] + body["counts"]["known"]
    assert (accepted, body["counts"]["rejected"]) == EXPECTED_COUNTS[Path(name).name]


def test_sample_event_details_survive(client, member, shared_data: Path):
    acme = member("Acme")
    events = shared_data / "misp" / "events" / "pymisp"
    body = post_misp(client, acme, (events / "existing_event.json").read_bytes())
    view = client.get("/api/v1/observables/domain/movieultimate.com", headers=acme.auth).json()
    (report,) = view["reports"]
    assert report["tlp"] == "clear"
    assert {"threat-actor:sofacy", "malware:x-agent", "malware:chopstick"} <= set(report["labels"])
    assert "5a3c2fcd-8328-42bb-a95e-4f4402de0b81" in report["comment"]  # the event uuid
    assert body["counts"]["known"] == 2  # the same hash twice in one event
    # Distribution 0 ("your organisation only"): nobody else sees it.
    post_misp(client, acme, (events / "misp_event.json").read_bytes())
    bravo = member("Bravo")
    url = "/api/v1/observables/url/http://fake.website.com/malware/is/here"
    assert client.get(url, headers=acme.auth).json()["reports"][0]["tlp"] == "amber+strict"
    assert client.get(url, headers=bravo.auth).status_code == 404


def test_the_sample_feed_imports_every_event(client, member, shared_data: Path):
    feed = shared_data / "misp" / "feed" / "chrome-mal-ids"
    manifest = json.loads((feed / "manifest.json").read_text())
    acme = member("Acme")
    totals: Counter[str] = Counter()
    for uuid in manifest:
        payload = (feed / f"{uuid}.json").read_bytes()
        body = post_misp(client, acme, payload)
        check_items(body, orjson.loads(payload))
        totals.update(body["counts"])
    types = Counter(
        a["type"]
        for uuid in manifest
        for a in json.loads((feed / f"{uuid}.json").read_text())["Event"]["Attribute"]
    )
    assert len(manifest) == 79
    assert totals["rejected"] == types["text"]  # extension ids: free text
    assert totals["new"] + totals["known"] == types["url"]
    listing = client.get("/api/v1/export", params={"format": "csv"}, headers=acme.auth).text
    rows = listing.splitlines()[1:]
    assert rows and all(",clear," in row and "no-ids" in row for row in rows)


def test_misp_media_type_selects_the_format(client, member, shared_data: Path):
    payload = (shared_data / "misp" / "events" / "pymisp" / "sighting_1.json").read_bytes()
    response = client.post(
        "/api/v1/contributions",
        content=payload,
        headers={**member("Acme").auth, "Content-Type": "application/x-misp+json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"] == {"new": 5, "known": 0, "rejected": 0}
