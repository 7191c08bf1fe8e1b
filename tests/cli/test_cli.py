"""The CLI drives the hub from scripts: every creating command can print one JSON object."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from typer.testing import CliRunner

from phalanx.app import create_app
from phalanx.cli.app import app
from phalanx.cli.serving import NoDelayHttpToolsProtocol
from phalanx.members import service

runner = CliRunner()


@pytest.fixture
def cli(hub, monkeypatch):
    """Invoke the CLI against the test hub's store; return (exit code, stdout, output)."""
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)

    def invoke(*args: str):
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.output

    return invoke


def test_org_and_key_lifecycle_as_json(cli, client):
    code, stdout, _ = cli(
        "org", "create", "Acme CERT", "--kind", "cert", "--country", "de", "--json"
    )
    assert code == 0
    org = orjson.loads(stdout)
    assert (org["name"], org["kind"], org["country"]) == ("Acme CERT", "cert", "DE")

    code, stdout, _ = cli("key", "create", "--org", "Acme CERT", "--role", "reader", "--json")
    assert code == 0
    key = orjson.loads(stdout)
    assert key["secret"].startswith("phx_") and key["role"] == "reader"
    bearer = {"Authorization": f"Bearer {key['secret']}"}
    assert client.get("/api/v1/keys/me", headers=bearer).json()["org"] == "Acme CERT"

    code, stdout, _ = cli("key", "list", "--json")
    assert code == 0 and "secret" not in stdout  # the secret is shown only once
    assert orjson.loads(stdout.splitlines()[0])["key_id"] == key["key_id"]

    code, stdout, _ = cli("key", "revoke", key["key_id"], "--json")
    assert code == 0 and orjson.loads(stdout)["revoked_at"]
    assert client.get("/api/v1/keys/me", headers=bearer).status_code == 401

    code, stdout, _ = cli("org", "list", "--json")
    assert [orjson.loads(line)["name"] for line in stdout.splitlines()] == ["Acme CERT"]


@pytest.mark.parametrize(("workers", "loop"), [(1, "auto"), (2, "asyncio")])
def test_serve_runs_several_workers_on_asyncio(cli, monkeypatch, workers, loop):
    # Workers sharing the socket must accept in Python (cli/admin.serving_loop says why).
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: seen.update(options))
    code, _, output = cli("serve", "--port", "8099", "--workers", str(workers))
    assert code == 0, output
    assert (seen["workers"], seen["loop"]) == (workers, loop)
    assert seen["http"] is NoDelayHttpToolsProtocol


def test_workers_sharing_a_socket_reply_without_nagle_delay(hub):
    # As with several workers: uvicorn binds the socket itself (protocol number 0), and
    # asyncio then leaves Nagle's algorithm on for the connections it accepts.
    config = uvicorn.Config(
        create_app(hub=hub),
        host="127.0.0.1",
        port=_free_port(),
        loop="asyncio",
        http=NoDelayHttpToolsProtocol,
        log_level="warning",
    )
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{config.port}") as client:
            assert client.get("/healthz").status_code == 200
            # The connection is kept alive: look at the server's end of it.
            (connection,) = server.server_state.connections
            accepted = connection.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        server.should_exit = True
        thread.join(10)


def test_bad_input_names_the_field_and_fails(cli):
    code, _, output = cli("org", "create", "X", "--kind", "pirate", "--country", "DE")
    assert code == 2 and "kind" in output
    code, _, output = cli("key", "create", "--org", "Nobody", "--role", "reader")
    assert code == 3 and "Nobody" in output


def test_normalize_prints_one_json_line_per_input(cli):
    code, stdout, _ = cli("normalize", "hxxps://EVIL[.]example:443/a", "2001:DB8::0:1", "999.1.1.1")
    lines = [orjson.loads(line) for line in stdout.splitlines()]
    assert lines[0] == {
        "input": "hxxps://EVIL[.]example:443/a",
        "type": "url",
        "value": "https://evil.example/a",
    }
    assert lines[1]["value"] == "2001:db8::1" and lines[1]["type"] == "ipv6"
    assert lines[2]["input"] == "999.1.1.1" and lines[2]["error"]
    assert code == 2  # one input failed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(hub):
    """The hub's API served on a real port, as `phalanx serve` would."""
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


def contributor_of(hub, served, monkeypatch) -> str:
    """A contributor key of a new organisation, set as the CLI's PHALANX_URL and API key."""
    with hub.db.transaction() as conn:
        org = service.create_org(
            conn, hub.db, name="Acme", kind="vendor", country="DE", now=hub.clock()
        )
        _, token = service.create_key(conn, hub.db, org=org, role="contributor", now=hub.clock())
    monkeypatch.setenv("PHALANX_URL", served)
    monkeypatch.setenv("PHALANX_API_KEY", token)
    return token


def test_submit_sends_batches_with_idempotency_keys(cli, hub, served, tmp_path: Path, monkeypatch):
    contributor_of(hub, served, monkeypatch)
    listing = tmp_path / "iocs.txt"
    listing.write_text("198.51.100.1\nevil[.]example\nnot a value\n198.51.100.2\n")

    code, stdout, output = cli("submit", str(listing), "--batch", "2", "--tlp", "green", "--json")
    assert code == 0, output
    responses = [orjson.loads(line) for line in stdout.splitlines()]
    assert len(responses) == 2
    outcomes = [item["outcome"] for r in responses for item in r["items"]]
    assert outcomes.count("new") == 3 and outcomes.count("rejected") == 1

    retry = cli("submit", str(listing), "--batch", "2", "--tlp", "green", "--json")
    again = [orjson.loads(line) for line in retry[1].splitlines()]
    assert [r["contribution_id"] for r in again] == [r["contribution_id"] for r in responses]

    code, _, output = cli("submit", str(listing), "--tlp", "green")  # human summary
    assert code == 0 and "rejected" in output


def test_withdraw_removes_the_callers_reports_of_a_value(cli, hub, served, monkeypatch):
    token = contributor_of(hub, served, monkeypatch)
    auth = {"Authorization": f"Bearer {token}"}
    url = "http://evil.example/gate.php?id=7#top"
    sent = httpx.post(
        f"{served}/api/v1/contributions",
        json={"items": [{"value": url}, {"value": "198.51.100.7"}]},
        headers=auth,
    )
    assert sent.status_code == 201, sent.text
    canonical = sent.json()["items"][0]["value"]

    code, stdout, output = cli("withdraw", "url", canonical, "--json")
    assert code == 0, output
    assert orjson.loads(stdout) == {"type": "url", "value": canonical, "withdrawn": True}
    found = httpx.post(
        f"{served}/api/v1/lookup", json={"values": [canonical, "198.51.100.7"]}, headers=auth
    )
    assert [m["value"] for m in found.json()["matches"]] == ["198.51.100.7"]

    code, _, output = cli("withdraw", "url", canonical)  # nothing of ours left to withdraw
    assert code != 0 and "404" in output


def test_serve_keeps_idle_connections_longer_than_load_balancers_do(cli, monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    cli("serve", "--port", "8999", "--workers", "2")
    cli("serve", "--port", "8999", "--keep-alive", "10")
    assert [call["timeout_keep_alive"] for call in calls] == [65, 10]
    assert [call["workers"] for call in calls] == [2, 1]
    assert calls[0]["loop"] == "asyncio" and calls[0]["port"] == 8999
