"""Channel definitions over REST and the CLI: own organisation, admins all, clear errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from phalanx.cli.app import app

from .conftest import IPS, Deploy


def test_create_list_get_update_delete(deploy: Deploy, member: Any) -> None:
    acme = member("Acme")
    created = deploy.channel(
        acme,
        "suricata",
        name="sensors",
        filter={"kinds": ["ip", "domain"], "labels": ["c2", "malware:*"], "max_tlp": "AMBER"},
        min_confidence=60,
    )
    assert created["org"] == "Acme" and created["format"] == "suricata"
    assert created["filter"] == {
        "kinds": ["cidr", "domain", "ipv4", "ipv6"],
        "labels": ["c2", "malware:*"],
        "min_confidence": 60,
        "max_tlp": "amber",
        "exclude_pap_red": True,
        "exclude_benign": True,
    }
    path = f"/api/v1/channels/{created['id']}"
    got = deploy.client.get(path, headers=acme.auth).json()
    assert got["latest_version"] is None and got["name"] == "sensors"
    listed = deploy.client.get("/api/v1/channels", headers=acme.auth).json()["channels"]
    assert [c["id"] for c in listed] == [created["id"]]

    patched = deploy.client.patch(
        path, json={"name": "sensor fleet", "filter": {"min_confidence": None}}, headers=acme.auth
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "sensor fleet"
    assert patched.json()["filter"]["min_confidence"] is None
    assert patched.json()["filter"]["labels"] == ["c2", "malware:*"]  # kept

    deploy.ok_feed(acme, created["id"])
    assert deploy.client.get(path, headers=acme.auth).json()["latest_version"]["version"] == 1
    gone = deploy.client.delete(path, headers=acme.auth)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert deploy.client.get(path, headers=acme.auth).status_code == 404
    assert deploy.feed(acme, created["id"]).status_code == 404


def test_members_manage_only_their_own_channels_admins_all(deploy: Deploy, member: Any) -> None:
    acme, bravo = member("Acme"), member("Bravo")
    mine = deploy.channel(acme, "edl-ip")
    path = f"/api/v1/channels/{mine['id']}"
    for method in ("get", "delete"):
        response = getattr(deploy.client, method)(path, headers=bravo.auth)
        assert response.status_code == 404
    assert deploy.client.patch(path, json={"name": "x"}, headers=bravo.auth).status_code == 404
    assert deploy.client.get("/api/v1/channels", headers=bravo.auth).json()["channels"] == []
    # A member may not create a channel for another organisation ...
    other = deploy.client.post(
        "/api/v1/channels", json={"format": "csv", "org": "Acme"}, headers=bravo.auth
    )
    assert other.status_code == 404
    # ... an admin may, and sees and manages every channel.
    made = deploy.channel(deploy.admin, "csv", org="Bravo")
    assert made["org"] == "Bravo"
    everything = deploy.client.get("/api/v1/channels", headers=deploy.admin.auth).json()
    assert {c["id"] for c in everything["channels"]} == {mine["id"], made["id"]}
    only = deploy.client.get(
        "/api/v1/channels", params={"org": "Bravo"}, headers=deploy.admin.auth
    ).json()
    assert [c["id"] for c in only["channels"]] == [made["id"]]
    assert deploy.client.get(path, headers=deploy.admin.auth).status_code == 200
    # A reader may run channels; an auditor (no intelligence) may not.
    reader = member("Acme", role="reader")
    assert deploy.client.get(path, headers=reader.auth).status_code == 200
    auditor = member("Acme", role="auditor")
    assert deploy.client.get(path, headers=auditor.auth).status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"format": "pdf"}, "format", "unknown channel format 'pdf'"),
        ({}, "format", "name a channel format"),
        ({"format": "csv", "filter": {"kinds": ["ipv5"]}}, "filter.kinds", "ipv5"),
        ({"format": "csv", "filter": {"min_confidence": 101}}, "filter.min_confidence", "0 to"),
        ({"format": "csv", "max_tlp": "purple"}, "filter.max_tlp", "purple"),
        ({"format": "csv", "filter": {"labels": ["ma*lware"]}}, "filter.labels", "prefix"),
        ({"format": "csv", "filter": {"colour": "red"}}, "filter.colour", "unknown filter"),
        ({"format": "csv", "filter": {"exclude_benign": "no"}}, "filter.exclude_benign", "true"),
        ({"format": "csv", "name": " "}, "name", "1 to 120"),
    ],
)
def test_bad_definitions_name_the_field(
    deploy: Deploy, member: Any, body: dict[str, Any], field: str, words: str
) -> None:
    acme = member("Acme")
    response = deploy.client.post("/api/v1/channels", json=body, headers=acme.auth)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and words in response.json()["detail"]
    assert deploy.client.get("/api/v1/channels", headers=acme.auth).json()["channels"] == []


def test_cli_channel_create_list_refresh_delete(deploy: Deploy, member: Any, hub: Any, monkeypatch):
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    runner = CliRunner()
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": ip} for ip in IPS], confidence=70)
    made = runner.invoke(
        app,
        [
            "channel",
            "create",
            "--org",
            "Acme",
            "--format",
            "edl-ip",
            "--kinds",
            "ipv4",
            "--labels",
            "c2",
            "--min-confidence",
            "60",
            "--max-tlp",
            "amber",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    channel = orjson.loads(made.stdout)
    assert channel["filter"]["kinds"] == ["ipv4"] and channel["filter"]["min_confidence"] == 60
    refreshed = runner.invoke(app, ["channel", "refresh", str(channel["id"]), "--json"])
    assert refreshed.exit_code == 0, refreshed.output
    assert orjson.loads(refreshed.stdout) == {"id": channel["id"], "version": 1, "items": 3}
    listed = runner.invoke(app, ["channel", "list", "--json"])
    assert [orjson.loads(line)["version"] for line in listed.stdout.splitlines()] == [1]
    bad = runner.invoke(app, ["channel", "create", "--org", "Acme", "--format", "pdf"])
    assert bad.exit_code == 2 and "unknown channel format" in bad.output
    missing = runner.invoke(app, ["channel", "create", "--org", "Nobody", "--format", "csv"])
    assert missing.exit_code == 3
    gone = runner.invoke(app, ["channel", "delete", str(channel["id"]), "--json"])
    assert gone.exit_code == 0
    assert runner.invoke(app, ["channel", "delete", str(channel["id"])]).exit_code == 3
    assert deploy.feed(acme, channel["id"]).status_code == 404


def test_cli_deploy_keys_and_compliance(
    deploy: Deploy, member: Any, hub: Any, monkeypatch, tmp_path
):
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    runner = CliRunner()
    member("Acme")
    key_file = tmp_path / "k.pem"
    public = runner.invoke(app, ["receipt", "keygen", "--out", str(key_file)]).stdout
    pub_file = tmp_path / "k.pub"
    pub_file.write_text(public)
    added = runner.invoke(app, ["deploy-key", "add", str(pub_file), "--org", "Acme", "--json"])
    assert added.exit_code == 0, added.output
    key_id = orjson.loads(added.stdout)["key_id"]
    again = runner.invoke(app, ["deploy-key", "add", str(pub_file), "--org", "Acme"])
    assert again.exit_code == 4 and "already registered" in again.output
    listed = runner.invoke(app, ["deploy-key", "list", "--json"])
    assert [orjson.loads(line)["key_id"] for line in listed.stdout.splitlines()] == [key_id]
    revoked = runner.invoke(app, ["deploy-key", "revoke", key_id, "--json"])
    assert revoked.exit_code == 0 and orjson.loads(revoked.stdout)["revoked"]
    table = runner.invoke(app, ["compliance", "--csv"])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].startswith("org,channels,delivered_items")
    assert any(line.startswith("Acme,0,0") for line in table.stdout.splitlines())
