"""A real HTTP server for the TAXII tests: uvicorn on a free loopback port, on each engine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from phalanx.app import create_app
from phalanx.hub import Hub

TAXII = "application/taxii+json;version=2.1"


@dataclass(frozen=True)
class Server:
    """A running Phalanx server."""

    url: str  # e.g. http://127.0.0.1:41234

    @property
    def discovery(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def api_root(self) -> str:
        return f"{self.url}/taxii2/api/"


def basic(token: str) -> tuple[str, str]:
    """(user, password) for HTTP Basic: the key id and the secret of a token."""
    _, key_id, secret = token.split("_", 2)
    return key_id, secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(hub: Hub) -> Iterator[Server]:
    """Serve ``hub`` over HTTP with uvicorn in a thread until the test ends."""
    port = _free_port()
    config = uvicorn.Config(create_app(hub=hub), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}")
    running.should_exit = True
    thread.join(timeout=20)
