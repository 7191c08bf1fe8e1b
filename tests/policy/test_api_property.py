"""The REST API returns, counts and hints at exactly what ``decide()`` allows.

The same random worlds as ``test_read_paths_property.py``, read over HTTP with each viewer's
API key: single lookup (a hidden value answers 404 with the very body of a never-seen one),
bulk lookup, the paged listing with filters, CSV export, statistics and the contribution
outcome. Half the viewers state their purpose with ``X-Phalanx-Purpose`` (their key's
default purpose differs); the others rely on the key's purpose.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from sqlalchemy import Connection, update

from phalanx.api.deps import PURPOSE_HEADER
from phalanx.clock import format_timestamp, from_micros
from phalanx.hub import Hub
from phalanx.members.model import PURPOSES
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.reports import ReportFilter
from phalanx.store.tables import api_keys

from .expect import Expected
from .profiles import policy_settings
from .store import OneConnection, Stored, rolled_back, store_world
from .worlds import NEVER, NOW, WorldSpec, key_of, report_filters, worlds

HUB_NAME = "Phalanx"


def test_api_reads_return_exactly_what_decide_allows(
    engine: str, store: Database, app: tuple[FastAPI, TestClient]
) -> None:
    application, client = app

    @policy_settings(f"api-{engine}")
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
    application.state.hub = Hub(settings=settings, db=OneConnection(store, conn), clock=lambda: NOW)
    for index, who in enumerate(spec.viewers):
        headers = {"Authorization": f"Bearer {stored.tokens[index]}"}
        if keys[index] != who.purpose:
            headers[PURPOSE_HEADER] = who.purpose
        api = ApiCheck(client, headers, Expected(spec, stored, index, filters))
        api.lookups()
        api.listing()
        api.export_and_statistics()
    # A contribution states no purpose: whether a value is "known" follows the key's purpose.
    last = len(spec.viewers) - 1
    keyed = _with_purpose(spec, last, keys[last])
    headers = {"Authorization": f"Bearer {stored.tokens[last]}"}
    ApiCheck(client, headers, Expected(keyed, stored, last, filters)).contribution_outcomes()


def _key_purposes(conn: Connection, spec: WorldSpec, stored: Stored) -> list[str]:
    """Give odd viewers' keys another default purpose (they state theirs in the header)."""
    purposes = []
    for index, who in enumerate(spec.viewers):
        purpose = who.purpose
        if index % 2 == 1:
            purpose = PURPOSES[(PURPOSES.index(who.purpose) + 1) % len(PURPOSES)]
            key_id = stored.principals[index].key_db_id
            conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(purpose=purpose))
        purposes.append(purpose)
    return purposes


def _with_purpose(spec: WorldSpec, index: int, purpose: str) -> WorldSpec:
    viewers = list(spec.viewers)
    viewers[index] = dataclasses.replace(viewers[index], purpose=purpose)
    return dataclasses.replace(spec, viewers=tuple(viewers))


class ApiCheck:
    """The REST read paths for one viewer."""

    def __init__(self, client: TestClient, headers: dict[str, str], expected: Expected) -> None:
        self.client, self.headers, self.e = client, headers, expected

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=self.headers)

    def check_view(self, view: dict[str, Any]) -> None:
        o = self.e.observable_index(view["type"], view["value"])
        shown = {**view, "reports": [(r["id"], r["org"]) for r in view["reports"]]}
        assert shown == self.e.view(o)

    def lookups(self) -> None:
        e = self.e
        never = self.get(f"/api/v1/observables/{NEVER.type.value}/{NEVER.value}")
        assert never.status_code == 404
        for o, obs in enumerate(e.spec.observables):
            response = self.get(f"/api/v1/observables/{obs.type.value}/{obs.value}")
            if e.of_observable(o):
                assert response.status_code == 200, response.text
                self.check_view(response.json())
                continue
            assert response.status_code == 404, f"{obs} must not exist for this viewer"
            assert response.headers["content-type"] == never.headers["content-type"]
            assert response.json() == {
                **never.json(),
                "detail": never.json()["detail"].replace(str(NEVER), str(obs)),
            }
        values = [obs.value for obs in e.spec.observables] + [NEVER.value]
        body = orjson.dumps({"values": values})
        answer = self.client.post("/api/v1/lookup", content=body, headers=self.headers).json()
        shown = [o for o in range(len(e.spec.observables)) if e.of_observable(o)]
        assert answer["count"] == len(shown)
        assert [m["value"] for m in answer["matches"]] == [
            e.spec.observables[o].value for o in shown
        ]
        for match in answer["matches"]:
            self.check_view(match)

    def params(self) -> dict[str, Any]:
        f = self.e.filters
        params: dict[str, Any] = {"type": f.type, "label": f.label, "tlp": f.tlp}
        if f.since is not None:
            params["since"] = format_timestamp(from_micros(f.since))
        return {k: v for k, v in params.items() if v is not None}

    def listing(self) -> None:
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            response = self.get("/api/v1/observables", limit=2, **self.params(), **extra)
            assert response.status_code == 200, response.text
            page = response.json()
            listed.extend(page["items"])
            cursor = page["next"]
            if cursor is None:
                break
        keys = [key_of(self.e.spec.observables[self.observable(v)]) for v in listed]
        assert keys == self.e.keys(self.e.matching), self.e.filters
        for view in listed:
            self.check_view(view)

    def observable(self, view: dict[str, Any]) -> int:
        return self.e.observable_index(view["type"], view["value"])

    def export_and_statistics(self) -> None:
        e = self.e
        response = self.get("/api/v1/export", format="csv", **self.params())
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert sorted(int(row["report_id"]) for row in rows) == e.report_ids(e.matching)
        for row in rows:
            assert (row["org"] or None) == e.org(int(row["report_id"]))
        assert self.get("/api/v1/stats").json() == e.statistics()

    def contribution_outcomes(self) -> None:
        """``known`` exactly for values with a report this viewer may see (else ``new``)."""
        e = self.e
        items = [{"type": o.type.value, "value": o.value} for o in (*e.spec.observables, NEVER)]
        response = self.client.post(
            "/api/v1/contributions",
            content=orjson.dumps({"items": items}),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        outcomes = [item["outcome"] for item in response.json()["items"]]
        expected = [
            "known" if e.of_observable(o) else "new" for o in range(len(e.spec.observables))
        ]
        assert outcomes == [*expected, "new"]
