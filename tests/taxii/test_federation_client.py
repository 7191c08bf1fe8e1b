"""The TAXII client against scripted servers (httpx.MockTransport): paging and server quirks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from phalanx.errors import Unauthorized, UpstreamError
from phalanx.federation.client import PullState, TaxiiClient

TAXII = "application/taxii+json;version=2.1"


def reply(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=orjson.dumps(body), headers={"Content-Type": TAXII, **headers}
    )


def scripted(pages: dict[str | None, httpx.Response], seen: list[httpx.Request]) -> TaxiiClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/taxii2/":
            return reply({"title": "t", "default": "/api1/", "api_roots": ["/api1/"]})
        if path == "/api1/":
            return reply({"title": "a", "versions": [TAXII], "max_content_length": 1000})
        if path == "/api1/status/s1/":
            return reply({"id": "s1", "status": "complete", "success_count": 1})
        if request.method == "POST":
            return reply({"id": "s1", "status": "pending", "success_count": 0}, 202)
        key = request.url.params.get("next") or request.url.params.get("added_after")
        return pages[key]

    return TaxiiClient(
        "https://peer.example/taxii2/", token="t", transport=httpx.MockTransport(handle)
    )


def test_pull_follows_next_then_added_after_when_next_is_missing() -> None:
    seen: list[httpx.Request] = []
    first = [{"id": "indicator--1"}]
    client = scripted(
        {
            None: reply(
                {"more": True, "next": "n1", "objects": first}, **{"X-TAXII-Date-Added-Last": "d1"}
            ),
            "n1": reply(
                {"more": True, "objects": [{"id": "indicator--2"}]},
                **{"X-TAXII-Date-Added-Last": "d2"},
            ),
            "d2": reply({"objects": [{"id": "indicator--3"}]}, **{"X-TAXII-Date-Added-Last": "d3"}),
        },
        seen,
    )
    pages = list(client.pull("c1", limit=1))
    assert [o["id"] for p in pages for o in p.objects] == [
        "indicator--1",
        "indicator--2",
        "indicator--3",
    ]
    assert [p.date_added_last for p in pages] == ["d1", "d2", "d3"]
    assert all(r.headers["Accept"] == TAXII for r in seen)
    assert seen[-1].url.params["added_after"] == "d2"


def test_push_splits_by_max_content_length_and_waits_for_status() -> None:
    seen: list[httpx.Request] = []
    client = scripted({}, seen)
    objects = [{"id": f"indicator--{n}", "pad": "x" * 300} for n in range(5)]
    statuses = list(client.push("c1", objects))
    posts = [r for r in seen if r.method == "POST"]
    assert len(posts) == 3 and all(len(r.content) <= 1000 for r in posts)
    assert [sent for sent, _ in statuses] == [2, 4, 5]
    assert all(status["status"] == "complete" for _, status in statuses)


def test_errors_and_state(tmp_path: Path) -> None:
    def deny(request: httpx.Request) -> httpx.Response:
        return reply({"title": "Unauthorized", "http_status": "401"}, 401)

    client = TaxiiClient("https://peer.example/taxii2/", transport=httpx.MockTransport(deny))
    with pytest.raises(Unauthorized):
        client.collections()

    def broken(request: httpx.Request) -> httpx.Response:
        return reply({"title": "boom"}, 500)

    with pytest.raises(UpstreamError):
        TaxiiClient("https://p/", transport=httpx.MockTransport(broken)).api_root()
    state = PullState(tmp_path / "s" / "state.json")
    state.save("https://p/", "c1", added_after="2026-01-01T00:00:00.000000Z")
    again = PullState(tmp_path / "s" / "state.json")
    assert again.added_after("https://p/", "c1") == "2026-01-01T00:00:00.000000Z"
    assert again.added_after("https://p/", "c2") is None
