"""``phalanx match`` against a real uvicorn server: snapshot, index, matches, sightings."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from typer.testing import CliRunner

from phalanx.app import create_app
from phalanx.cli.app import app

SAMPLES = Path(__file__).resolve().parents[1] / "matcher" / "samples"
runner = CliRunner()
SHARED = [
    "198.51.100.7",
    "evil.test",
    "203.0.113.0/24",
    "http://dl.evil.test/payload/Stage2.bin?id=7",
    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    "2001:db8:bad::/48",
]
HIDDEN = ["phish.example", "5d41402abc4b2a76b9719d911017c592"]  # AMBER to another member


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(hub: Any) -> Iterator[str]:
    """The hub's API on a real port, as ``phalanx serve`` runs it."""
    port = _free_port()
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
def world(client: Any, member: Any, served: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    for who, values, tlp in ((acme, SHARED, "green"), (carol, HIDDEN, "amber")):
        response = client.post(
            "/api/v1/contributions",
            content=orjson.dumps({"defaults": {"tlp": tlp}, "items": values}),
            headers={**who.auth, "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
    monkeypatch.setenv("PHALANX_URL", served)
    monkeypatch.setenv("PHALANX_API_KEY", bravo.token)
    return acme, bravo, carol


def run(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = runner.invoke(app, ["match", *args])
    lines = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.output


def test_match_eve_against_the_snapshot_and_report_sightings(world, client, tmp_path):
    acme = world[0]
    code, matches, output = run(str(SAMPLES / "eve.json"), "--format", "eve", "--report-sightings")
    assert code == 0, output
    found = {m["indicator"]["value"] for m in matches}
    assert found <= set(SHARED) and {"198.51.100.7", "evil.test"} <= found
    assert not found & set(HIDDEN)  # Carol's AMBER indicators are not in Bravo's snapshot
    assert all(m["source"].startswith(str(SAMPLES / "eve.json") + ":") for m in matches)
    assert "malformed lines (eve)" in output and "sightings reported" in output
    view = client.get("/api/v1/observables/domain/evil.test/sightings", headers=acme.auth).json()
    expected = sum(1 for m in matches if m["indicator"]["value"] == "evil.test")
    assert view["sightings"]["seen"] == expected and view["sightings"]["seen_organisations"] == 1
    assert view["sightings"]["last_seen"].startswith("2025-03-01T10:")
    # The same run again is a replay of the same batch, not a second count.
    code, _, output = run(str(SAMPLES / "eve.json"), "--format", "eve", "--report-sightings")
    assert code == 0, output
    again = client.get("/api/v1/observables/domain/evil.test/sightings", headers=acme.auth)
    assert again.json()["sightings"]["seen"] == expected


def test_index_out_then_index_without_the_hub(world, tmp_path, monkeypatch):
    saved = tmp_path / "bravo.idx"
    code, _, output = run("--format", "text", "--index-out", str(saved))
    assert code == 0 and saved.stat().st_size > 0, output
    monkeypatch.setenv("PHALANX_URL", "http://127.0.0.1:9")  # nothing listens there
    logs = tmp_path / "iocs.txt.gz"
    logs.write_bytes(gzip.compress((SAMPLES / "iocs.txt").read_bytes()))
    out = tmp_path / "matches.jsonl"
    code, _, output = run(str(logs), "--format", "text", "--index", str(saved), "-o", str(out))
    assert code == 0, output
    matches = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    hows = {(m["indicator"]["value"], m["how"]) for m in matches}
    assert ("evil.test", "parent-domain") in hows and ("203.0.113.0/24", "cidr") in hows
    assert not {m["indicator"]["value"] for m in matches} & set(HIDDEN)
    assert "malformed lines (text)" in output


def test_jsonl_with_a_field_map_from_stdin(world):
    lines = b"\n".join(
        [
            b'{"ts":"2025-03-01T10:00:00Z","peer":"198.51.100.7","q":"x.evil.test"}',
            b"{not json",
            b'{"ts":"2025-03-01T10:00:01Z","peer":"192.0.2.1","q":"fine.example"}',
        ]
    )
    result = runner.invoke(
        app, ["match", "-", "--format", "jsonl", "--field-map", "peer=ip,q=domain"], input=lines
    )
    assert result.exit_code == 0, result.output
    matches = [orjson.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [(m["source"], m["field"], m["how"]) for m in matches] == [
        ("-:1", "peer", "exact"),
        ("-:1", "q", "parent-domain"),
    ]


def test_bad_usage_and_a_bad_key_fail_with_exit_codes(world, tmp_path, monkeypatch):
    code, _, output = run(str(SAMPLES / "eve.json"), "--format", "pcap")
    assert code == 2 and "pcap" in output
    code, _, output = run("--format", "text")
    assert code == 2 and "files" in output
    broken = tmp_path / "broken.idx"
    broken.write_bytes(b"not an index")
    code, _, output = run(str(SAMPLES / "iocs.txt"), "--format", "text", "--index", str(broken))
    assert code == 2 and "index" in output
    monkeypatch.setenv("PHALANX_API_KEY", "phx_0000000000000000_wrong")
    code, _, output = run(str(SAMPLES / "iocs.txt"), "--format", "text")
    assert code == 5, output
