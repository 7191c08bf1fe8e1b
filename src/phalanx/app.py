"""The application factory: builds the ASGI app, mounts routers, installs error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from phalanx import __version__
from phalanx.api import (
    alliance,
    audit,
    channels,
    contributions,
    deployment,
    errors,
    export,
    members,
    observables,
    sharing,
    taxii,
)
from phalanx.api import match as match_api
from phalanx.api import sightings as sightings_api
from phalanx.api.key_use import KeyUse
from phalanx.api.request_id import RequestId
from phalanx.feedback.events import FeedbackHooks
from phalanx.hub import Hub
from phalanx.runtime import tune_for_serving
from phalanx.settings import Settings
from phalanx.taxii.derive import Deriver
from phalanx.taxii.warm import warm_reads

log = logging.getLogger("phalanx")


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """Build the hub's ASGI app; open (and migrate) the store unless a hub is given."""
    settings = settings or (hub.settings if hub else Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = app.state.hub is None
        if owned:
            app.state.hub = Hub.open(settings)
            app.state.hub.warm_up()
        warm_routes(app.router)  # before the freeze: what it builds is never rescanned
        # In the thread pool, as a sync endpoint runs: a process's first dispatch to it imports
        # anyio's thread machinery, 20-50 ms that its first request would otherwise wait.
        await run_in_threadpool(warm_reads, app.state.hub)
        if owned:
            tune_for_serving()
        app.state.key_use.start(app.state.hub)
        deriver = None
        if settings.taxii_derivation == "background":
            deriver = app.state.deriver = Deriver(app.state.hub)
            deriver.start()
        try:
            yield
        finally:
            if deriver is not None:
                app.state.deriver = None
                deriver.stop()
            app.state.key_use.stop()
            if owned:
                app.state.hub.close()

    app = FastAPI(
        title="Phalanx",
        version=__version__,
        description="Collective-defense threat-intelligence exchange.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.deriver = None
    app.state.key_use = KeyUse()
    errors.install(app)
    app.state.feedback_hooks = FeedbackHooks()
    # Sightings first: its /observables/{type}/{value}/sightings precedes the catch-all path.
    routers = (
        sightings_api,
        match_api,
        members,
        contributions,
        observables,
        export,
        audit,
        sharing,
        taxii,
        alliance,
        channels,
        deployment,
    )
    for module in routers:
        app.include_router(module.router)
    app.add_middleware(RequestId)
    app.add_api_route("/healthz", _health, methods=["GET"], include_in_schema=False)
    return app


def warm_routes(router: Any) -> int:
    """Resolve every route's request handling now, not in a worker's first requests.

    FastAPI (0.16x) resolves the routes of an included router (dependencies, body limits)
    on the first request that walks them, and a worker does it for itself: about 50 ms for
    our routes, charged to the first request each worker serves. That was the slowest TAXII
    page of a benchmark whose poll arrived on a new connection to the worker that had served
    nothing yet. Versions that resolve routes when they are added have nothing to do here.
    Returns how many route contexts were resolved.
    """
    resolved = 0
    for route in getattr(router, "routes", ()):
        resolved += _resolve_included(route)
    return resolved


def _resolve_included(included: Any) -> int:
    candidates = getattr(included, "effective_candidates", None)
    if not callable(candidates):
        return 0
    resolved = 0
    for candidate in candidates():
        resolved += (
            _resolve_included(candidate) if hasattr(candidate, "effective_candidates") else 1
        )
    low_priority = getattr(included, "effective_low_priority_routes", None)
    if callable(low_priority):
        low_priority()
    return resolved


async def _health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
