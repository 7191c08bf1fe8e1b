"""`phalanx demo` prepares a usable hub: organisations of every kind, keys, visible reports."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from phalanx.app import create_app
from phalanx.cli.app import app
from phalanx.demo import ORGS, prepare_demo
from phalanx.hub import Hub
from phalanx.settings import Settings


def test_demo_creates_then_reuses(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PHALANX_DATABASE_URL", raising=False)
    database = tmp_path / "demo" / "phalanx-demo.db"
    first = prepare_demo(database, reports=800)
    assert len(first.keys) == len(ORGS) + 1
    assert {key.kind for key in first.keys} >= {"vendor", "cert", "isac", "law_enforcement"}
    assert len({key.country for key in first.keys}) >= 8
    assert 700 <= first.reports <= 800  # a few generated values may repeat within an org

    again = prepare_demo(database, reports=800)
    assert again.keys == first.keys and again.reports == first.reports

    hub = Hub.open(Settings(database_url=f"sqlite:///{database}"))
    try:
        with TestClient(create_app(hub=hub)) as client:
            auth = {"Authorization": f"Bearer {first.keys[0].token}"}
            page = client.get("/api/v1/observables", params={"limit": 3}, headers=auth).json()
            assert len(page["items"]) == 3 and page["next"]
            sample = f"/api/v1/observables/{first.sample['type']}/{first.sample['value']}"
            assert client.get(sample, headers=auth).status_code == 200
    finally:
        hub.close()


def test_demo_command_prints_keys_and_curl_examples(tmp_path: Path):
    database = tmp_path / "phalanx-demo.db"
    result = CliRunner().invoke(
        app, ["demo", "--database", str(database), "--reports", "200", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("curl -s") == 3
    assert "Aegis Security" in result.output
    keys = json.loads((tmp_path / "demo-keys.json").read_text())
    assert all(key["token"] in result.output for key in keys)  # printed whole, copyable
