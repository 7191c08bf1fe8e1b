"""A small HTTP client for commands that talk to a running hub (PHALANX_URL, PHALANX_API_KEY)."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from phalanx.errors import InvalidInput, Unauthorized, UpstreamError

RETRY_STATUSES = {502, 503, 504}


def from_env(url: str | None = None, api_key: str | None = None) -> httpx.Client:
    """Return a client for the hub named by PHALANX_URL with PHALANX_API_KEY."""
    base = url or os.environ.get("PHALANX_URL", "http://127.0.0.1:8000")
    key = api_key or os.environ.get("PHALANX_API_KEY")
    if not key:
        raise InvalidInput("set PHALANX_API_KEY (or pass --api-key)", field="PHALANX_API_KEY")
    return httpx.Client(
        base_url=base.rstrip("/"),
        headers={"Authorization": f"Bearer {key}", "User-Agent": "phalanx-cli"},
        timeout=httpx.Timeout(300.0, connect=10.0),
    )


def post(client: httpx.Client, path: str, *, attempts: int = 4, **kwargs: Any) -> httpx.Response:
    """POST with retries on connection errors and 502/503/504 (safe with an Idempotency-Key)."""
    for attempt in range(attempts):
        try:
            response = client.post(path, **kwargs)
        except httpx.TransportError as error:
            if attempt == attempts - 1:
                raise UpstreamError(f"cannot reach {client.base_url}: {error}") from None
        else:
            if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                return check(response)
        time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def check(response: httpx.Response) -> httpx.Response:
    """Raise a Phalanx error for a failed response, carrying the hub's problem detail."""
    if response.is_success:
        return response
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text[:500]
    if response.status_code == 401:
        raise Unauthorized(str(detail))
    if response.status_code in (400, 413, 415, 422):
        raise InvalidInput(f"HTTP {response.status_code}: {detail}")
    raise UpstreamError(f"HTTP {response.status_code}: {detail}", peer=str(response.url))
