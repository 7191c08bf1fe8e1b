"""The TAXII error resource (TAXII 2.1 §3.6.1) and the one mapping from the error tree to it.

``api/errors.py`` renders the same error classes as JSON problems for the REST API; TAXII
endpoints use :class:`TaxiiRoute`, which catches them first and renders the TAXII error
resource with the TAXII media type (§1.6.8: errors too). ``http_status`` is a string equal to
the HTTP status (§3.6.1). Unexpected errors become a 500 with a request id and are logged
once with the traceback, never shown.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from phalanx.api.errors import status_for
from phalanx.errors import InvalidInput, PhalanxError, Unauthorized, Unsupported
from phalanx.taxii.media import TAXII_MEDIA_TYPE
from phalanx.taxii.query import BadRequest

log = logging.getLogger("phalanx.taxii")


def error_response(status: int, title: str, description: str, **extra: Any) -> Response:
    """Render a TAXII error resource."""
    body = {"title": title, "description": description, "http_status": str(status), **extra}
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="phalanx-taxii", Bearer realm="phalanx-taxii"'
    return Response(
        orjson.dumps(body), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers
    )


def render(error: PhalanxError) -> Response:
    """The TAXII error resource for one error of the tree."""
    status = status_for(error)
    if isinstance(error, BadRequest):
        status = 400
    elif isinstance(error, Unsupported):
        status = 406 if error.what == "accept" else 415
    details = {k: v for k, v in error.details.items() if k in ("field", "item", "limit", "unit")}
    extra: dict[str, Any] = {"details": details} if details else {}
    if isinstance(error, Unauthorized):
        return error_response(401, error.title, error.message)
    return error_response(status, error.title, error.message, **extra)


class TaxiiRoute(APIRoute):
    """A route whose errors are TAXII error resources."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except PhalanxError as error:
                return render(error)
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {"msg": "invalid request"}
                return render(InvalidInput(str(first.get("msg"))))
            except Exception:
                request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
                log.exception("TAXII request %s failed with an internal error.", request_id)
                return error_response(
                    500,
                    "Internal error",
                    "The server failed; quote the request id.",
                    error_id=request_id,
                )

        return handle
