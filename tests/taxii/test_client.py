"""``phalanx taxii push`` / ``pull`` against our own server: incremental, resumable, Basic auth."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from phalanx.cli.app import app
from phalanx.federation.client import TaxiiClient
from phalanx.hub import Hub

from ..conftest import add_member
from .conftest import Server, basic
from .test_taxii2_client import indicator, malware


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_push_then_pull_incrementally(hub: Hub, server: Server, tmp_path: Path) -> None:
    user, password = basic(add_member(hub, "Peer Hub").token)
    auth = ["--user", user, "--password", password, "--state", str(tmp_path / "state.json")]
    first = tmp_path / "first.json"
    first.write_bytes(orjson.dumps({"type": "bundle", "objects": [indicator(1), malware()]}))
    pushed = run("taxii", "push", server.discovery, str(first), "--collection", "shared", *auth)
    assert "2 accepted, 0 failed" in pushed
    # Pushing the same file again skips what was acknowledged.
    again = run("taxii", "push", server.discovery, str(first), "--collection", "shared", *auth)
    assert "0 accepted, 0 failed, 2 already pushed" in again

    got = tmp_path / "pulled.jsonl"
    pull = ["taxii", "pull", server.discovery, "--collection", "shared", "-o", str(got)]
    run(*pull, "--limit", "1", *auth)
    assert [o["id"] for o in lines(got)] == [indicator(1)["id"], malware()["id"]]

    second = tmp_path / "second.json"
    second.write_bytes(orjson.dumps([indicator(2), indicator(3)]))
    run("taxii", "push", server.api_root, str(second), "--collection", "shared", *auth)
    run(*pull, *auth)  # resumes after the last object it saw: only the new ones
    assert [o["id"] for o in lines(got)][2:] == [indicator(2)["id"], indicator(3)["id"]]
    run(*pull, *auth)
    assert len(lines(got)) == 4
    state = orjson.loads((tmp_path / "state.json").read_bytes())
    assert any(entry.get("added_after") for entry in state.values())


def test_push_reports_failures(hub: Hub, server: Server, tmp_path: Path) -> None:
    user, password = basic(add_member(hub, "Peer Hub").token)
    broken = {**indicator(9), "id": "indicator--not-a-uuid"}
    path = tmp_path / "broken.json"
    path.write_bytes(orjson.dumps([indicator(8), broken]))
    result = CliRunner().invoke(
        app,
        [
            *("taxii", "push", server.discovery, str(path), "--collection", "shared"),
            *("--user", user, "--password", password, "--state", str(tmp_path / "s.json")),
        ],
    )
    assert result.exit_code == 2
    assert "1 accepted, 1 failed" in result.output
    assert "indicator--not-a-uuid" in result.output and "field 'id'" in result.output


def test_admin_collections_from_the_command_line(
    hub: Hub, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    created = orjson.loads(
        run(
            "taxii",
            "collection-add",
            "green-indicators",
            "--title",
            "Green indicators",
            "--types",
            "indicator",
            "--tlp",
            "green",
        )
    )
    assert created["filter"] == {"types": ["indicator"], "tlp": ["green"], "communities": []}
    assert "green-indicators" in run("taxii", "collection-list")
    bad = CliRunner().invoke(app, ["taxii", "collection-add", "x", "--title", "X", "--tlp", "pink"])
    assert bad.exit_code == 2 and "filter.tlp" in bad.output
    member = add_member(hub, "Reader")
    user, password = basic(member.token)
    amber = {
        **indicator(20),
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
    }
    green = indicator(21)
    client = TaxiiClient(server.discovery, user=user, password=password)
    list(client.push("shared", [amber, green, malware()]))
    pulled = [o for page in client.pull("green-indicators") for o in page.objects]
    client.close()
    assert [o["id"] for o in pulled] == [green["id"]]
    run("taxii", "collection-remove", "green-indicators")
    assert "green-indicators" not in run("taxii", "collection-list")
