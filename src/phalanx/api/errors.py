"""The one mapping from the error tree to HTTP statuses and JSON problem bodies (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from phalanx.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PhalanxError,
    PolicyDenied,
    TooLarge,
    Unauthorized,
    Unsupported,
    UpstreamError,
)

log = logging.getLogger("phalanx.api")
PROBLEM = "application/problem+json"

STATUS: dict[type[PhalanxError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    PolicyDenied: 403,
    Unauthorized: 401,
    Forbidden: 403,
    TooLarge: 413,
    Unsupported: 415,
    UpstreamError: 502,
}


def status_for(error: PhalanxError) -> int:
    """Return the HTTP status for an error (the most specific class that is mapped)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """Render a problem body."""
    return Response(
        orjson.dumps({"status": status, **body}),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


async def _phalanx_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PhalanxError)
    status = status_for(error)
    if isinstance(error, Unsupported) and error.what == "accept":
        status = 406
    headers = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="phalanx", Basic realm="phalanx"'
    return problem(status, error.to_dict(), headers)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "reason": e["msg"]}
        for e in error.errors()
    ]
    first = errors[0] if errors else {"field": None, "reason": "invalid request"}
    detail = f"field '{first['field']}': {first['reason']}" if first["field"] else first["reason"]
    return problem(422, {"title": "Invalid input", "detail": detail, "errors": errors})


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    return problem(
        error.status_code,
        {"title": titles.get(error.status_code, "HTTP error"), "detail": str(error.detail)},
    )


async def _unexpected(request: Request, error: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "-")
    log.exception("Request %s failed with an unexpected error.", request_id)
    return problem(
        500,
        {
            "title": "Internal error",
            "detail": "the hub hit an unexpected error; quote the request id to the operator",
            "request_id": request_id,
        },
    )


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(PhalanxError, _phalanx_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
