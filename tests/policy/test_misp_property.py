"""MISP export and MISP feeds hold exactly what ``decide()`` allows, and name no hidden
contributor.

The same random worlds as the other policy property tests. For each viewer:
``GET /api/v1/export?format=misp`` over HTTP with the viewer's key and purpose, with the
drawn report filters and without any (drawn filters often leave little to see), and the feed
directory written from ``misp.service.visible_events``. Every attribute must be a report the
viewer may see (and every such report an attribute), its value the observable's, and its
event's ``Orgc`` the contributor exactly when the viewer may learn it — otherwise the hub.
The feed's manifest lists exactly its event files, and
``hashes.csv`` hashes exactly the visible values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from sqlalchemy import Connection

from phalanx.api.deps import PURPOSE_HEADER
from phalanx.clock import format_timestamp, from_micros
from phalanx.export.stix import hub_uuid
from phalanx.hub import Hub
from phalanx.misp.service import visible_events, write_feed
from phalanx.misp.writer import attribute_uuid
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.reports import ReportFilter

from .expect import Expected
from .profiles import policy_settings
from .store import OneConnection, rolled_back, store_world
from .test_api_property import _key_purposes
from .worlds import NOW, WorldSpec, report_filters, worlds

HUB_NAME = "Phalanx"
HUB = {"name": HUB_NAME, "uuid": str(hub_uuid(HUB_NAME))}


def test_misp_export_and_feed_hold_exactly_what_decide_allows(
    engine: str, store: Database, app: tuple[FastAPI, TestClient]
) -> None:
    application, client = app

    @policy_settings(f"services-{engine}")
    @given(spec=worlds(), filters=report_filters())
    def check(spec: WorldSpec, filters: ReportFilter) -> None:
        if filters.label == "malware:*":  # the API refuses a bare family prefix (422)
            filters = dataclasses.replace(filters, label="malware:emo*")
        with rolled_back(store) as conn:
            check_world(application, client, store, conn, spec, filters)

    check()


def check_world(
    application: FastAPI,
    client: TestClient,
    store: Database,
    conn: Connection,
    spec: WorldSpec,
    filters: ReportFilter,
) -> None:
    stored = store_world(conn, spec)
    keys = _key_purposes(conn, spec, stored)
    settings = Settings(
        database_url=store.url, hub_name=HUB_NAME, admins_see_anonymous=spec.admins_see_anonymous
    )
    hub = Hub(settings=settings, db=OneConnection(store, conn), clock=lambda: NOW)
    application.state.hub = hub
    for index, who in enumerate(spec.viewers):
        headers = {"Authorization": f"Bearer {stored.tokens[index]}"}
        if keys[index] != who.purpose:
            headers[PURPOSE_HEADER] = who.purpose
        viewer = hub.viewer(stored.principals[index], who.purpose)
        # Unfiltered too: the drawn filters often leave little to look at.
        for chosen in (filters, ReportFilter()):
            expected = Expected(spec, stored, index, chosen)
            response = client.get("/api/v1/export", params=_params(chosen), headers=headers)
            assert response.status_code == 200, response.text
            check_events(response.json()["response"], expected)
        events = list(visible_events(hub, viewer, filters))
        check_events(events, Expected(spec, stored, index, filters))
        with tempfile.TemporaryDirectory() as folder:
            write_feed(Path(folder), events)
            check_feed(Path(folder), Expected(spec, stored, index, filters))


def _params(filters: ReportFilter) -> dict[str, Any]:
    params: dict[str, Any] = {"format": "misp", "type": filters.type, "label": filters.label}
    params["tlp"] = filters.tlp
    if filters.since is not None:
        params["since"] = format_timestamp(from_micros(filters.since))
    return {k: v for k, v in params.items() if v is not None}


def check_events(events: list[dict[str, Any]], e: Expected) -> None:
    wanted = {attribute_uuid(HUB_NAME, rid): rid for rid in e.report_ids(e.matching)}
    seen: set[str] = set()
    for raw in events:
        event = raw["Event"]
        assert event["Org"] == HUB
        for attribute in event["Attribute"]:
            rid = wanted.get(attribute["uuid"])
            assert rid is not None, "an attribute the policy does not allow (or filters exclude)"
            assert attribute["uuid"] not in seen
            seen.add(attribute["uuid"])
            r = e.stored.reports.index(rid)
            assert attribute["value"] == e.spec.observables[e.spec.reports[r].observable].value
            org = e.org(rid)
            if org is None:
                assert event["Orgc"] == HUB  # never the hidden contributor
            else:
                assert event["Orgc"]["name"] == org
        if event["Orgc"] == HUB:
            text = orjson.dumps(event)
            assert not any(name.encode() in text for name in e.stored.org_names)
    assert seen == set(wanted)


def check_feed(folder: Path, e: Expected) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p.name for p in folder.glob("*.json")} - {"manifest.json"}
    assert files == {f"{uuid}.json" for uuid in manifest}
    events = [json.loads((folder / name).read_text()) for name in sorted(files)]
    check_events([{"Event": {**ev["Event"], "Org": HUB}} for ev in events], e)
    hashes = sorted((folder / "hashes.csv").read_text().splitlines())
    expected = sorted(
        f"{hashlib.md5(a['value'].encode()).hexdigest()},{ev['Event']['uuid']}"
        for ev in events
        for a in ev["Event"]["Attribute"]
    )
    assert hashes == expected
    visible_values = set(e.values(e.matching))
    assert {a["value"] for ev in events for a in ev["Event"]["Attribute"]} == visible_values
