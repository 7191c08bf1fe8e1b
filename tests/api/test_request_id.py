"""Every answer carries X-Request-ID: the client's, or one the hub made; errors quote it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import Response

from phalanx.api.request_id import MAX_LENGTH, RequestId
from phalanx.app import create_app
from phalanx.hub import Hub

NEW_ID = re.compile(r"^[0-9a-f]{32}$")


def test_the_clients_id_is_echoed_and_a_missing_one_made(hub: Hub, member: Any) -> None:
    reader = member("Reader", role="reader")
    with TestClient(create_app(hub=hub)) as client:
        mine = client.get("/healthz", headers={"X-Request-ID": "trace-42/a"})
        made = client.get("/api/v1/observables", headers=reader.auth)
        again = client.get("/api/v1/observables", headers=reader.auth)
    assert mine.headers["x-request-id"] == "trace-42/a"
    assert NEW_ID.match(made.headers["x-request-id"])
    assert made.headers["x-request-id"] != again.headers["x-request-id"]
    assert made.headers.get_list("x-request-id") == [made.headers["x-request-id"]]


@pytest.mark.parametrize("given", ["x" * (MAX_LENGTH + 1), "bad\tid", "  ", "caf\u00e9"])
def test_an_unusable_client_id_is_replaced(given: str) -> None:
    with TestClient(_echo_app()) as client:
        answer = client.get("/", headers={"X-Request-ID": given.encode("latin-1")})
    assert NEW_ID.match(answer.headers["x-request-id"])
    assert answer.json() == {"state": answer.headers["x-request-id"]}


def test_the_endpoint_sees_the_id_it_answers_with() -> None:
    with TestClient(_echo_app()) as client:
        answer = client.get("/", headers={"X-Request-ID": "abc"})
    assert answer.json() == {"state": "abc"} and answer.headers["x-request-id"] == "abc"


def test_a_taxii_internal_error_quotes_the_id(hub: Hub, member: Any, monkeypatch: Any) -> None:
    from phalanx.taxii import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    reader = member("Reader", role="reader")
    headers = {**reader.auth, "Accept": "application/taxii+json;version=2.1", "X-Request-ID": "r-1"}
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        monkeypatch.setattr(views.collections, "list_for", broken)  # after the start-up's read
        answer = client.get("/taxii2/api/collections/", headers=headers)
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "r-1"
    assert answer.json()["error_id"] == "r-1"


def test_a_rest_internal_error_quotes_the_id(hub: Hub, member: Any, monkeypatch: Any) -> None:
    from phalanx.api import observables

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(observables, "report_filter", broken)
    reader = member("Reader", role="reader")
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/observables", headers={**reader.auth, "X-Request-ID": "q-7"})
    assert answer.status_code == 500 and answer.json()["request_id"] == "q-7"


def test_large_bodies_pass_through_whole() -> None:
    app = FastAPI()

    @app.post("/")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    app.add_middleware(RequestId)
    body = bytes(range(256)) * 4096  # 1 MiB, sent in several chunks
    with TestClient(app) as client:
        answer = client.post("/", content=iter([body[:300_000], body[300_000:]]))
    assert answer.content == body and NEW_ID.match(answer.headers["x-request-id"])


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def state(request: Request) -> dict[str, str]:
        return {"state": request.state.request_id}

    app.add_middleware(RequestId)
    return app
