"""``phalanx misp import`` and ``phalanx misp export-feed`` against a served hub."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import orjson
import pytest
import uvicorn
from pymisp import MISPEvent
from typer.testing import CliRunner

from phalanx.app import create_app
from phalanx.cli.app import app

runner = CliRunner()


@pytest.fixture
def served(hub):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub=hub), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def as_member(served, member, monkeypatch):
    def use(name: str, **kwargs):
        who = member(name, **kwargs)
        monkeypatch.setenv("PHALANX_URL", served)
        monkeypatch.setenv("PHALANX_API_KEY", who.token)
        return who

    return use


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.output


def test_import_a_feed_directory_is_safe_to_rerun(as_member, shared_data: Path, tmp_path: Path):
    as_member("Acme")
    feed = tmp_path / "feed"
    shutil.copytree(shared_data / "misp" / "feed" / "chrome-mal-ids", feed)
    code, stdout, output = invoke("misp", "import", str(feed), "--json")
    assert code == 0, output
    answers = [orjson.loads(line) for line in stdout.splitlines()]
    manifest = json.loads((feed / "manifest.json").read_text())
    assert [a["event"] for a in answers] == list(manifest)
    assert all(a["counts"]["new"] + a["counts"]["known"] > 0 for a in answers)
    again = [
        orjson.loads(line) for line in invoke("misp", "import", str(feed), "--json")[1].splitlines()
    ]
    assert [a["contribution_id"] for a in again] == [a["contribution_id"] for a in answers]
    # A feed with a missing event file and an unlisted one: the rest imports, exit code 2.
    first = next(iter(manifest))
    (feed / f"{first}.json").rename(feed / "stray.json")
    code, _, output = invoke("misp", "import", str(feed))
    assert code == 2
    assert f"{first}.json is missing" in output and "stray.json is not listed" in output


def test_sharing_groups_resolve_to_communities(
    as_member, client, member, shared_data: Path, tmp_path: Path
):
    admin = member("Hub", role="admin")
    acme = as_member("Acme")
    member("Bravo")
    body = {"name": "PrivateTrustedGroup", "members": ["Acme", "Bravo"]}
    assert client.post("/api/v1/communities", json=body, headers=admin.auth).status_code == 201
    event = {
        "Event": {
            "uuid": "5f0c9d1e-0000-4000-8000-00000000abcd",
            "info": "shared with a sharing group",
            "distribution": "4",
            "sharing_group_id": "1",
            "Tag": [{"name": "tlp:clear"}],
            "Attribute": [{"uuid": "a1", "type": "domain", "value": "sg.example", "to_ids": True}],
        }
    }
    path = tmp_path / "event.json"
    path.write_bytes(orjson.dumps(event))
    groups = shared_data / "misp" / "api-samples" / "sharing_groups.json"
    code, _, output = invoke("misp", "import", str(path), "--sharing-groups", str(groups))
    assert code == 0, output
    view = client.get("/api/v1/observables/domain/sg.example", headers=acme.auth).json()
    assert view["reports"][0]["tlp"] == "green"
    outsider = member("Outsider")
    assert (
        client.get("/api/v1/observables/domain/sg.example", headers=outsider.auth).status_code
        == 404
    )
    # Without the sharing group list the event cannot say who may see it: refused per item.
    code, stdout, _ = invoke("misp", "import", str(path), "--json")
    (answer,) = [orjson.loads(line) for line in stdout.splitlines()]
    assert answer["counts"]["rejected"] == 1
    assert "sharing group" in answer["items"][0]["reason"]


def test_export_feed_writes_a_feed_pymisp_reads(as_member, client, member, tmp_path: Path):
    acme = as_member("Acme")
    body = {"defaults": {"tlp": "green"}, "items": [{"value": "198.51.100.7", "labels": ["c2"]}]}
    response = client.post("/api/v1/contributions", json=body, headers=acme.auth)
    assert response.status_code == 201
    out = tmp_path / "out"
    code, _, output = invoke("misp", "export-feed", str(out))
    assert code == 0, output
    assert "wrote 1 MISP event(s)" in output
    manifest = json.loads((out / "manifest.json").read_text())
    (uuid,) = manifest
    event = MISPEvent()
    event.load_file(str(out / f"{uuid}.json"))
    assert [(a.type, a.value, a.to_ids) for a in event.attributes] == [
        ("ip-dst", "198.51.100.7", True)
    ]
    assert (out / "hashes.csv").read_text().endswith(f",{uuid}\n")
