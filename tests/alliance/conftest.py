"""Fixtures for the alliance rules: a hub with the give-to-get rule on and the shared
warninglists, driven through the REST API with the sharing scenarios' ``Api`` helper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from phalanx.settings import Settings

from ..sharing.conftest import Api


@pytest.fixture
def settings(database_url: str, shared_data: Path) -> Settings:
    """Settings with the shared warninglists; the standing rule stays off unless a test
    turns it on (``standing_settings``)."""
    return Settings(database_url=database_url, warninglists_dir=str(shared_data / "warninglists"))


@pytest.fixture
def api(client: TestClient, member: Any) -> Api:
    """The API driven by a hub admin ("Hub Ops") and the members of each scenario."""
    return Api(client, member("Hub Ops", kind="cert", role="admin"))


def ledger(api: Api, who: Any, **params: Any) -> list[dict[str, Any]]:
    """Every ledger row ``who`` may read, following the keyset pages."""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        query = {"limit": 2, **params, **({"after": after} if after is not None else {})}
        page = api.client.get("/api/v1/alliance/ledger", params=query, headers=who.auth)
        assert page.status_code == 200, page.text
        rows += page.json()["rows"]
        after = page.json()["next_after"]
        if after is None:
            return rows


def points(api: Api, who: Any) -> float:
    """The member's total points."""
    return round(sum(row["points"] for row in ledger(api, who)), 2)
