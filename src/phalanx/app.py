"""The application factory: builds the ASGI app, mounts routers, installs error handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import Response

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
from phalanx.api.deps import KeyToucher
from phalanx.feedback.events import FeedbackHooks
from phalanx.hub import Hub
from phalanx.runtime import tune_for_serving
from phalanx.settings import Settings
from phalanx.taxii.derive import Deriver

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
            tune_for_serving()
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
    app.state.key_toucher = KeyToucher()
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
    app.middleware("http")(_request_id)
    app.add_api_route("/healthz", _health, methods=["GET"], include_in_schema=False)
    return app


async def _request_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response


async def _health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
