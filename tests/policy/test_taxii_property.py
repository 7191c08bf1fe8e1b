"""TAXII reads return exactly what ``decide()`` allows, and nothing else.

The random worlds of the other policy tests, plus STIX objects in the object store: for each
report an indicator (the report's own facts, two versions for every other report) and a
context object (a malware SDO: context kind, no labels; taxii/context.py). Each viewer reads
over HTTP with its key: objects (every version, and the latest only), manifest, versions and
each object by id, in the shared, community and published collections, and status
resources. What comes back must be exactly what ``decide()`` allows (hidden objects answer
404 like ones that never existed), in every collection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from sqlalchemy import Connection, insert

from phalanx.clock import to_micros
from phalanx.hub import Hub
from phalanx.policy.decide import decide
from phalanx.policy.labels import encode_labels
from phalanx.policy.markings import TLP
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.tables import stix_objects, taxii_status
from phalanx.taxii.collections import collection_uuid
from phalanx.taxii.context import CONTEXT_KIND, object_facts

from .profiles import policy_settings
from .store import BASE, OneConnection, Stored, rolled_back, store_world
from .worlds import NOW, WorldSpec, policy_world, report_facts, scope, viewer, worlds

HUB_NAME = "Phalanx"
TAXII = "application/taxii+json;version=2.1"
VERSIONS = ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z")
NEVER = "indicator--00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class StixObject:
    """One stored object history: which report it stands for and how many versions."""

    stix_id: str
    report: int
    context: bool
    versions: tuple[str, ...]


def test_taxii_reads_return_exactly_what_decide_allows(
    engine: str, store: Database, app: tuple[FastAPI, TestClient]
) -> None:
    application, client = app

    @policy_settings(f"taxii-{engine}")
    @given(spec=worlds())
    def check(spec: WorldSpec) -> None:
        with rolled_back(store) as conn:
            check_world(application, client, store, conn, spec)

    check()


def check_world(
    application: FastAPI, client: TestClient, store: Database, conn: Connection, spec: WorldSpec
) -> None:
    stored = store_world(conn, spec)
    objects = store_objects(conn, spec, stored)
    statuses = store_statuses(conn, stored)
    settings = Settings(database_url=store.url, hub_name=HUB_NAME)
    application.state.hub = Hub(settings=settings, db=OneConnection(store, conn), clock=lambda: NOW)
    world = policy_world(spec, stored.ids)
    for index in range(len(spec.viewers)):
        who = viewer(spec, stored.ids, index)
        shown = [o for o in objects if decide(who, facts(spec, stored, o), now=NOW, world=world)]
        reader = Reader(
            client, {"Authorization": f"Bearer {stored.tokens[index]}", "Accept": TAXII}
        )
        reader.check_collection("shared", shown, objects)
        org_id = stored.ids.orgs[spec.viewers[index].org]
        for c, members in enumerate(spec.communities):
            cid = stored.ids.communities[c]
            url = collection_uuid(HUB_NAME, f"community:{cid}")
            if spec.viewers[index].org not in members:
                assert reader.get(f"collections/{url}/objects/").status_code == 404
                continue
            inside = [
                o
                for o in shown
                if cid in scope(spec, stored.ids, spec.reports[o.report].scope).communities
            ]
            reader.check_collection(url, inside, objects)
        public = [o for o in shown if spec.scopes[spec.reports[o.report].scope].tlp is TLP.CLEAR]
        reader.check_collection("published", public, objects)
        for status_org, status_id in statuses.items():
            answer = reader.get(f"status/{status_id}/")
            assert answer.status_code == (200 if status_org == org_id else 404)


def facts(spec: WorldSpec, stored: Stored, obj: StixObject) -> Any:
    base = report_facts(spec, stored.ids, obj.report)
    if not obj.context:
        return base
    return object_facts(org_id=base.org_id, scope=base.scope, created=base.created)


def store_objects(conn: Connection, spec: WorldSpec, stored: Stored) -> list[StixObject]:
    """Two objects per report (an indicator with the report's facts, a context object)."""
    objects, rows = [], []
    moment = to_micros(NOW) - 10_000_000
    for r in range(len(spec.reports)):
        for context in (False, True):
            kind = "malware" if context else "indicator"
            stix_id = f"{kind}--{uuid.UUID(int=BASE + 2 * r + context, version=4)}"
            versions = VERSIONS if r % 2 == 0 and not context else VERSIONS[:1]
            objects.append(StixObject(stix_id, r, context, versions))
            for v in range(len(versions)):
                moment += 1
                rows.append(_row(spec, stored, r, context, stix_id, kind, versions, v, moment))
    if rows:
        conn.execute(insert(stix_objects), rows)
    return objects


def _row(
    spec: WorldSpec,
    stored: Stored,
    r: int,
    context: bool,
    stix_id: str,
    kind: str,
    versions: tuple[str, ...],
    v: int,
    moment: int,
) -> dict[str, object]:
    report = spec.reports[r]
    content = {"type": kind, "spec_version": "2.1", "id": stix_id, "modified": versions[v]}
    return {
        "stix_id": stix_id,
        "type": kind,
        "spec_version": "2.1",
        "version": versions[v],
        "version_us": to_micros(NOW) + v,
        "date_added": moment,
        "is_latest": v == len(versions) - 1,
        "is_first": v == 0,
        "digest": f"{moment:064d}",
        "content": orjson.dumps(content),
        "org_id": stored.ids.orgs[report.org],
        "contribution_id": None,
        "scope_id": stored.ids.scopes[report.scope],
        "kind": str(CONTEXT_KIND) if context else spec.observables[report.observable].type.value,
        "labels": encode_labels(() if context else report.labels),
        "embargo_until": None
        if context or report.embargo_until is None
        else to_micros(NOW + report.embargo_until),
        "victim_country": None if context else report.victim_country,
        "created_at": to_micros(NOW + report.created),
    }


def store_statuses(conn: Connection, stored: Stored) -> dict[int, str]:
    """One status resource per organisation (only that organisation may read it)."""
    ids = {org_id: str(uuid.UUID(int=org_id, version=4)) for org_id in stored.ids.orgs}
    conn.execute(
        insert(taxii_status),
        [
            {"id": sid, "org_id": org_id, "created_at": to_micros(NOW), "body": b'{"id":"x"}'}
            for org_id, sid in ids.items()
        ],
    )
    return ids


class Reader:
    """TAXII reads of one viewer."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str, **params: str) -> Any:
        return self.client.get(f"/taxii2/api/{path}", params=params, headers=self.headers)

    def pages(self, path: str, key: str, **params: str) -> list[Any]:
        found: list[Any] = []
        query = {**params, "limit": "2"}
        while True:
            response = self.get(path, **query)
            assert response.status_code == 200, response.text
            body = response.json()
            found += body.get(key, [])
            if not body.get("more"):
                return found
            query["next"] = body["next"]

    def check_collection(
        self, collection: str, shown: list[StixObject], everything: list[StixObject]
    ) -> None:
        base = f"collections/{collection}/"
        every = {(o.stix_id, v) for o in shown for v in o.versions}
        latest = {(o.stix_id, o.versions[-1]) for o in shown}
        got = self.pages(base + "objects/", "objects", **{"match[version]": "all"})
        assert sorted((g["id"], g["modified"]) for g in got) == sorted(every)
        got = self.pages(base + "objects/", "objects")
        assert sorted((g["id"], g["modified"]) for g in got) == sorted(latest)
        manifest = self.pages(base + "manifest/", "objects", **{"match[version]": "all"})
        assert sorted((m["id"], m["version"]) for m in manifest) == sorted(every)
        never = self.get(base + f"objects/{NEVER}/")
        assert never.status_code == 404
        for obj in everything:
            one = self.get(base + f"objects/{obj.stix_id}/")
            versions = self.get(base + f"objects/{obj.stix_id}/versions/")
            if obj in shown:
                assert one.status_code == 200, one.text
                assert [o["modified"] for o in one.json()["objects"]] == [obj.versions[-1]]
                assert versions.json()["versions"] == list(obj.versions)
            else:
                assert one.status_code == versions.status_code == 404
                assert one.json() == never.json()
