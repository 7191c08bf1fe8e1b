"""Helpers for the sharing scenarios: drive the hub through its REST API only.

``api`` wraps the test client: admins create communities and agreements, members contribute,
and ``api.sees(member)`` answers "which values can this member see" by asking *every* read
path (listing, export CSV/text/STIX, statistics, bulk lookup, single lookup) and checking
that they all agree, so each scenario proves the whole read surface at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient


@dataclass
class Api:
    """The REST API as the scenarios use it."""

    client: TestClient
    admin: Any  # a Member with an admin key

    # -- admin ---------------------------------------------------------------------------

    def community(self, name: str, members: Iterable[str], **extra: Any) -> dict[str, Any]:
        """Create a community (as hub admin)."""
        body = {"name": name, "members": list(members), **extra}
        response = self.client.post("/api/v1/communities", json=body, headers=self.admin.auth)
        assert response.status_code == 201, response.text
        return response.json()

    def agreement(self, parties: Iterable[str], purposes: Iterable[str], **terms: Any) -> int:
        """Register an agreement (as hub admin); return its id."""
        body = {"parties": list(parties), "purposes": list(purposes), **terms}
        response = self.client.post("/api/v1/agreements", json=body, headers=self.admin.auth)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def revoke(self, agreement_id: int) -> dict[str, Any]:
        """Revoke an agreement (as hub admin)."""
        response = self.client.post(
            f"/api/v1/agreements/{agreement_id}/revoke", headers=self.admin.auth
        )
        assert response.status_code == 200, response.text
        return response.json()

    def add_member(self, community: str, org: str, caller: Any = None) -> Any:
        """Add an organisation to a community; return the raw response."""
        return self.client.post(
            f"/api/v1/communities/{community}/members",
            json={"org": org},
            headers=(caller or self.admin).auth,
        )

    def remove_member(self, community: str, org: str, caller: Any = None) -> Any:
        """Remove an organisation from a community; return the raw response."""
        return self.client.delete(
            f"/api/v1/communities/{community}/members/{org}", headers=(caller or self.admin).auth
        )

    def explain(self, org: str, report: int, *, caller: Any = None, **params: Any) -> Any:
        """Ask /policy/explain; return the raw response."""
        return self.client.get(
            "/api/v1/policy/explain",
            params={"org": org, "report": report, **params},
            headers=(caller or self.admin).auth,
        )

    # -- members -------------------------------------------------------------------------

    def contribute(
        self, member: Any, items: list[Any], *, status: int = 201, **defaults: Any
    ) -> dict[str, Any]:
        """POST a JSON contribution; return the body (asserting the status)."""
        response = self.client.post(
            "/api/v1/contributions",
            content=orjson.dumps({"defaults": defaults, "items": items}),
            headers={**member.auth, "Content-Type": "application/json"},
        )
        assert response.status_code == status, response.text
        return response.json()

    def report_ids(self, member: Any, value: str, kind: str) -> list[int]:
        """Ids of the member's own reports of one value (the contributor always sees them)."""
        response = self.client.get(f"/api/v1/observables/{kind}/{value}", headers=member.auth)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["reports"] if r["org"] == member.name]

    def lookup(self, member: Any, kind: str, value: str, purpose: str | None = None) -> Any:
        """GET one observable; return the raw response."""
        return self.client.get(
            f"/api/v1/observables/{kind}/{value}", headers=_headers(member, purpose)
        )

    def sees(
        self, member: Any, candidates: Iterable[tuple[str, str]], purpose: str | None = None
    ) -> set[str]:
        """Return the candidate values ``member`` can see, after checking every read path.

        ``candidates`` are (kind, value) pairs: each is looked up singly and in bulk, and the
        listing, every export format and the statistics must show exactly the same set.
        """
        wanted = list(candidates)
        headers = _headers(member, purpose)
        single = set()
        for kind, value in wanted:
            response = self.client.get(f"/api/v1/observables/{kind}/{value}", headers=headers)
            assert response.status_code in (200, 404), response.text
            if response.status_code == 200:
                single.add(value)
        bulk = self.client.post(
            "/api/v1/lookup",
            content=orjson.dumps({"values": [{"type": k, "value": v} for k, v in wanted]}),
            headers=headers,
        )
        assert bulk.status_code == 200, bulk.text
        assert {m["value"] for m in bulk.json()["matches"]} == single, "bulk lookup"
        values = {value for _kind, value in wanted}
        listed = self.listing(member, purpose)
        assert listed & values == single, "listing"
        for fmt in ("text", "csv", "stix"):
            exported = self.client.get("/api/v1/export", params={"format": fmt}, headers=headers)
            assert exported.status_code == 200, exported.text
            shown = {value for value in values if value in exported.text}
            assert shown == single, f"export {fmt}"
        stats = self.client.get("/api/v1/stats", headers=headers)
        assert stats.status_code == 200, stats.text
        assert stats.json()["observables"] == len(listed), "statistics"
        return single

    def listing(self, member: Any, purpose: str | None = None) -> set[str]:
        """Every value the paged listing shows the member."""
        found: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            page = self.client.get(
                "/api/v1/observables", params=params, headers=_headers(member, purpose)
            )
            assert page.status_code == 200, page.text
            found |= {item["value"] for item in page.json()["items"]}
            cursor = page.json()["next"]
            if cursor is None:
                return found


def _headers(member: Any, purpose: str | None) -> dict[str, str]:
    return {**member.auth, **({"X-Phalanx-Purpose": purpose} if purpose else {})}


@pytest.fixture
def api(client: TestClient, member: Any) -> Api:
    """The API driven by a hub admin ("Hub Ops") and the members of each scenario."""
    return Api(client, member("Hub Ops", kind="cert", role="admin"))
