"""Each worker resolves its routes at start-up, not in the first requests it serves."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from phalanx.app import create_app, warm_routes
from phalanx.hub import Hub


def test_no_route_is_resolved_by_a_request(
    hub: Hub, member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = getattr(routing, "_EffectiveRouteContext", None)
    if context is None:
        pytest.skip("this FastAPI resolves routes when they are added")
    resolving = context.from_api_route
    resolved: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        built = resolving(*args, **kwargs)
        resolved.append(kwargs["original_route"].path)
        return built

    monkeypatch.setattr(context, "from_api_route", counted)
    reader = member("Reader", role="reader")
    app = create_app(hub=hub)
    with TestClient(app) as client:  # start-up resolves them
        assert any(path.endswith("/collections/{collection_id}/objects/") for path in resolved)
        before = len(resolved)
        for path in ("/taxii2/api/collections/shared/objects/", "/api/v1/observables"):
            assert client.get(path, headers=reader.auth).status_code == 200
        assert len(resolved) == before  # nothing left for the requests to resolve
    assert warm_routes(app.router) > 0 and len(resolved) == before  # resolved once only
