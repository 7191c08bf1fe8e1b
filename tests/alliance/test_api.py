"""The alliance endpoints' shapes, authentication and the CLI's standing commands."""

from __future__ import annotations

from typing import Any

import orjson
from typer.testing import CliRunner

from phalanx.cli.app import app

runner = CliRunner()


def test_scoring_is_published_to_members(api: Any, member: Any) -> None:
    assert api.client.get("/api/v1/alliance/scoring").status_code == 401
    body = api.client.get("/api/v1/alliance/scoring", headers=member("Reader Co").auth).json()
    assert body["base_points"] == {
        "malware hash": 10.0,
        "signature": 10.0,
        "C2": 8.0,
        "address or domain": 5.0,
        "URL": 4.0,
        "email address": 3.0,
        "AS number": 2.0,
    }
    assert body["sighting_bonus"]["points"] == 2.0
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/alliance/ledger", "/api/v1/alliance/standing"} <= set(paths)


def test_ledger_pages_and_bad_parameters(api: Any, member: Any) -> None:
    who = member("Pager Ltd")
    api.contribute(who, [f"{n:064x}" for n in range(1, 6)], tlp="green")
    first = api.client.get("/api/v1/alliance/ledger", params={"limit": 2}, headers=who.auth)
    body = first.json()
    assert [r["points"] for r in body["rows"]] == [10.0, 10.0]
    after = body["next_after"]
    rest = api.client.get(
        "/api/v1/alliance/ledger", params={"limit": 10, "after": after}, headers=who.auth
    ).json()
    assert len(rest["rows"]) == 3 and rest["next_after"] is None
    bad = api.client.get("/api/v1/alliance/ledger", params={"limit": 0}, headers=who.auth)
    assert bad.status_code == 422


def test_cli_standing_show_and_override(api: Any, member: Any, hub: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    member("Cli Vendor")
    shown = runner.invoke(app, ["standing", "show", "Cli Vendor", "--json"])
    assert shown.exit_code == 0, shown.output
    assert orjson.loads(shown.stdout)["status"] == "good"  # the rule is off here
    done = runner.invoke(
        app, ["standing", "override", "Cli Vendor", "--status", "restricted", "--reason", "abuse"]
    )
    assert done.exit_code == 0, done.output
    assert "now restricted" in done.stdout
    bad = runner.invoke(
        app, ["standing", "override", "Cli Vendor", "--status", "banned", "--reason", "x"]
    )
    assert bad.exit_code == 2 and "good, restricted or null" in bad.output
