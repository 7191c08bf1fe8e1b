"""Every request gets an id: the client's ``X-Request-ID``, else a new one, echoed back.

Error answers and logs quote it (``request.state.request_id``), so an operator can find the
request a member reports.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
``BaseHTTPMiddleware`` hands every response body from the endpoint's task to its own through
an in-memory channel, and every request body back through a wrapped ``receive``; a 700 KB
TAXII page or envelope pays for that in each request. This one only adds a header.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-request-id"
MAX_LENGTH = 200  # a longer client id is replaced: it would only bloat logs and answers


class RequestId:
    """Set ``request.state.request_id`` and answer with an ``X-Request-ID`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _given(scope) or uuid.uuid4().hex
        # Request.state reads scope["state"]; uvicorn may have put the lifespan's state there.
        scope.setdefault("state", {})["request_id"] = request_id
        header = (HEADER, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                message["headers"] = [*headers, header]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _given(scope: Scope) -> str | None:
    """The client's id when it is printable ASCII of a sensible length."""
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            text = value.decode("latin-1").strip()
            if 0 < len(text) <= MAX_LENGTH and text.isascii() and text.isprintable():
                return text
            return None
    return None
