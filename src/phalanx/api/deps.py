"""Request dependencies: the hub, the authenticated principal, role checks, body limits."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from fastapi import Request
from sqlalchemy import Connection

from phalanx.api.key_use import KeyUse
from phalanx.errors import Forbidden, InvalidInput, TooLarge, Unauthorized
from phalanx.hub import Hub
from phalanx.members import secrets
from phalanx.members.model import PURPOSES, Action, Principal
from phalanx.members.service import authenticate

PURPOSE_HEADER = "X-Phalanx-Purpose"


def get_hub(request: Request) -> Hub:
    """Return the hub the app was built with."""
    hub: Hub = request.app.state.hub
    return hub


def credentials(header: str | None) -> tuple[str, str]:
    """Return (key_id, secret) from a Bearer token or HTTP Basic (key id + secret)."""
    if not header:
        raise Unauthorized("send 'Authorization: Bearer <API key>' or HTTP Basic credentials")
    scheme, _, value = header.strip().partition(" ")
    parsed = None
    if scheme.lower() == "bearer":
        parsed = secrets.parse_token(value)
    elif scheme.lower() == "basic":
        parsed = _basic(value.strip())
    if parsed is None:
        raise Unauthorized("invalid, expired or revoked API key")
    return parsed


def _basic(value: str) -> tuple[str, str] | None:
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    # The password may be the secret alone (user = key id) or the whole token.
    token = secrets.parse_token(password)
    if token is not None:
        return token
    return (user, password) if user and password else None


def principal(request: Request) -> Principal:
    """Authenticate the request (dependency)."""
    with get_hub(request).db.read() as conn:
        return principal_in(request, conn)


def principal_in(request: Request, conn: Connection) -> Principal:
    """Authenticate the request in a read transaction the caller has open.

    A read endpoint that authenticates in its own transaction saves a connection checkout
    and its round trips per request, which on PostgreSQL is a good part of a small page.
    """
    hub = get_hub(request)
    key_id, secret = credentials(request.headers.get("authorization"))
    now = hub.clock()
    caller = authenticate(conn, key_id=key_id, secret=secret, now=now)
    key_use: KeyUse = request.app.state.key_use
    key_use.used(caller.key_db_id, now)
    request.state.principal = caller
    return caller


def requires(action: Action) -> Callable[[Request], Principal]:
    """Return a dependency that authenticates and checks the role grants ``action``."""

    def check(request: Request) -> Principal:
        caller = principal(request)
        if not caller.allows(action):
            raise Forbidden(f"role '{caller.role.value}' may not {action.value.replace('-', ' ')}")
        return caller

    return check


def purpose_of(request: Request, caller: Principal) -> str:
    """Return the purpose a read states (header), defaulting to the key's purpose."""
    stated = request.headers.get(PURPOSE_HEADER)
    if stated is None:
        return caller.purpose
    stated = stated.strip().lower()
    if stated not in PURPOSES:
        raise InvalidInput(
            f"unknown purpose {stated!r}; use one of {', '.join(PURPOSES)}", field=PURPOSE_HEADER
        )
    return stated


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body, refusing (413) anything over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"request body exceeds the limit of {limit} bytes; split the contribution",
        limit=limit,
        unit="bytes",
    )


def json_object(body: Any) -> dict[str, Any]:
    """The request body as a JSON object, or a 422 naming the body."""
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    return body
