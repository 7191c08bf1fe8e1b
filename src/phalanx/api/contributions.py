"""POST /api/v1/contributions: intelligence in, per-item outcomes out."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from phalanx.api.deps import get_hub, read_body, requires
from phalanx.errors import Conflict, InvalidInput
from phalanx.formats import registry
from phalanx.formats.base import FormatSpec, ReadResult
from phalanx.formats.items_json import parse_document, records_of
from phalanx.ingest.items import DEFAULT_FIELDS
from phalanx.ingest.pipeline import Request as Contribution
from phalanx.ingest.pipeline import note_growth, prepare, replay, run
from phalanx.ingest.staged import stage
from phalanx.members.model import Action, Principal
from phalanx.misp.sync import read_import
from phalanx.runtime import collection_paused
from phalanx.store.staging import clear as clear_staged

router = APIRouter(prefix="/api/v1", tags=["contributions"])
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A contribution is CPU work from end to end, and one process runs one at a time (the
# others wait for it; other API workers run theirs alongside). Two in one process share its
# interpreter lock: the one holding the store's single write lock then writes at half
# speed while the other prepares, and every worker's writes wait for it. Measured with
# staging, 2 clients on 2 workers: 49,759-51,616 against about 48,000 indicators/s, and 3
# clients: 45,342 and 46,208 against 38,530-39,203/s. Waiting contributions wait on the
# event loop, not in the thread pool, so they never hold the threads other requests need.
_ONE_AT_A_TIME: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _contribution_lock() -> asyncio.Lock:
    """This process's contribution lock (one per event loop: an asyncio lock belongs to one)."""
    loop = asyncio.get_running_loop()
    lock = _ONE_AT_A_TIME.get(loop)
    if lock is None:
        lock = _ONE_AT_A_TIME[loop] = asyncio.Lock()
    return lock


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": (
            "JSON {defaults, items}; a STIX 2.1 bundle (application/stix+json); CSV with a header "
            "(text/csv); one value per line (text/plain); or prose (text/x-freetext). "
            "Defaults may also be query parameters."
        ),
        "content": {
            media: {"schema": {"type": "string"}}
            for media in ("application/json", "application/stix+json", "text/csv", "text/plain")
        },
    }
}


@router.post("/contributions", status_code=201, openapi_extra=_BODY_DOC)
async def create_contribution(
    request: Request,
    format: str | None = None,
    caller: Principal = Depends(requires(Action.CONTRIBUTE)),
) -> Response:
    """Contribute intelligence; every item gets an outcome (new, known or rejected).

    Accepted items also carry their ``novelty`` (novel, corroborating, published, benign)
    and the ``points`` they earned; the body's ``points`` is the contribution's total.
    """
    hub = get_hub(request)
    payload = await read_body(request, hub.settings.max_payload_bytes)
    spec = (
        registry.get(format)
        if format
        else registry.for_media_type(request.headers.get("content-type", "application/json"))
    )
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not 1 <= len(key.strip()) <= 200:
        raise InvalidInput("must be 1-200 characters", field=IDEMPOTENCY_HEADER)

    def work() -> tuple[bytes, bool]:
        with collection_paused():
            contribution = _read(spec, payload, _query_defaults(request), key)
            # One connection throughout: the rows staged while preparing live on it.
            with hub.db.connection() as pinned:
                return _contribute(pinned, contribution)

    def _contribute(pinned: Connection, contribution: Contribution) -> tuple[bytes, bool]:
        prepared = staged = None
        with hub.db.read(on=pinned) as conn:
            stored = replay(conn, caller, contribution) if contribution.idempotency_key else None
            if stored is None:
                prepared = prepare(hub, conn, principal=caller, request=contribution)
                staged = stage(hub, conn, principal=caller, prepared=prepared)
        if stored is not None:
            return stored, True
        try:
            # Staged rows reference only what the write inserts (observables, the
            # contribution) or checks (scopes, the caller's organisation and key) first:
            # SQLite's per-row foreign-key probes would only lengthen the single writer's turn.
            with hub.db.transaction(on=pinned, foreign_keys=staged is None) as conn:
                result = run(
                    hub,
                    conn,
                    principal=caller,
                    request=contribution,
                    prepared=prepared,
                    staged=staged,
                )
            note_growth(hub, result)
            # Serialised after the commit: the single SQLite writer is not held for it.
            return result.response(), result.replayed
        except IntegrityError:
            if contribution.idempotency_key:
                raise Conflict(
                    "a request with this Idempotency-Key is still being processed; retry later",
                    field=IDEMPOTENCY_HEADER,
                ) from None
            raise
        finally:
            if staged is not None:  # the pooled connection would keep its TEMP tables
                with hub.db.read(on=pinned) as conn:
                    clear_staged(conn)

    async with _contribution_lock():
        body, replayed = await run_in_threadpool(work)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(
        body,
        status_code=200 if replayed else 201,
        media_type="application/json",
        headers=headers,
    )


def _read(
    spec: FormatSpec, payload: bytes, defaults: dict[str, Any], key: str | None
) -> Contribution:
    misp_events = None
    if spec.name == "json":
        body_defaults, items = parse_document(payload)
        defaults.update(body_defaults)
        records: list[ReadResult] = list(records_of(items))
    elif spec.name == "misp":  # the events too, which a newer copy of one updates
        records, misp_events = read_import(payload)
    else:
        records = list(spec.read(payload, defaults))
    return Contribution(
        records=records,
        defaults=defaults,
        format=spec.name,
        idempotency_key=key.strip() if key else None,
        digest=_digest(spec.name, payload, defaults),
        misp_events=misp_events,
    )


def _query_defaults(request: Request) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k in DEFAULT_FIELDS}


def _digest(fmt: str, payload: bytes, defaults: dict[str, Any]) -> str:
    sha = hashlib.sha256(fmt.encode())
    sha.update(repr(sorted(defaults.items())).encode())
    sha.update(payload)
    return sha.hexdigest()
