"""Sightings in; feedback, opinions, confidence, impact and reputation out (issue 6)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from phalanx.api.deps import get_hub, purpose_of, read_body, requires
from phalanx.api.observables import decode_cursor, encode_cursor
from phalanx.clock import format_timestamp, from_micros
from phalanx.errors import Conflict, Forbidden, InvalidInput, TooLarge, Unsupported
from phalanx.feedback import service, stix
from phalanx.feedback import store as feedback_store
from phalanx.feedback.assess import assessment_json
from phalanx.feedback.events import FeedbackHooks
from phalanx.feedback.items import items_of, read_items
from phalanx.feedback.model import ItemProblem, SightingItem
from phalanx.feedback.reputation import DEFAULT_PRIOR
from phalanx.members import service as members
from phalanx.members.model import Action, Principal
from phalanx.observables.normalize import normalize

router = APIRouter(prefix="/api/v1", tags=["sightings"])
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_SIGHTINGS = 10_000  # items per request
JSON_MEDIA = ("application/json", "application/stix+json", "application/taxii+json")

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": (
            "One sighting {type?, value, sighting: seen|false-positive|expired, count, "
            "first_seen, last_seen, context, anonymous, id}, a list of them, "
            "{sightings: [...]}, or a STIX 2.1 bundle of sighting / opinion objects."
        ),
        "content": {media: {"schema": {"type": "object"}} for media in JSON_MEDIA[:2]},
    }
}


@router.post("/sightings", status_code=201, openapi_extra=_BODY_DOC)
async def create_sightings(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> Response:
    """Record sightings; each item answers recorded, duplicate, unknown or rejected."""
    hub = get_hub(request)
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in JSON_MEDIA:
        raise Unsupported(
            f"unsupported Content-Type {media!r}; send application/json or application/stix+json",
            what="media-type",
        )
    payload = await read_body(request, hub.settings.max_payload_bytes)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not 1 <= len(key.strip()) <= 200:
        raise InvalidInput("must be 1-200 characters", field=IDEMPOTENCY_HEADER)
    viewer = hub.viewer(caller, purpose_of(request, caller))

    def work() -> service.Recorded:
        sightings = _read(payload, key.strip() if key else None, viewer.purpose, hub.clock())
        try:
            with hub.db.transaction() as conn:
                return service.record_sightings(
                    hub, conn, principal=caller, viewer=viewer, request=sightings
                )
        except IntegrityError:
            raise Conflict(
                "a request with the same Idempotency-Key or sighting id is being processed; "
                "retry later",
                field=IDEMPOTENCY_HEADER,
            ) from None

    recorded = await run_in_threadpool(work)
    hooks: FeedbackHooks | None = getattr(request.app.state, "feedback_hooks", None)
    if hooks is not None:
        hooks.publish(recorded.events)
    return Response(
        recorded.body,
        status_code=200 if recorded.replayed else 201,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"} if recorded.replayed else {},
    )


def _read(payload: bytes, key: str | None, purpose: str, now: datetime) -> service.SightingRequest:
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"body is not valid JSON: {error}", field="body") from None
    source = "stix" if stix.is_stix(document) else "json"
    if source == "json" and isinstance(document, dict) and document.get("type") == "bundle":
        raise InvalidInput("the STIX bundle holds no sighting or opinion objects", field="objects")
    raws: list[Any] = stix.raw_items(document) if source == "stix" else items_of(document)
    if len(raws) > MAX_SIGHTINGS:
        raise TooLarge(
            f"a request may hold at most {MAX_SIGHTINGS} sightings, got {len(raws)}; split it",
            limit=MAX_SIGHTINGS,
            unit="sightings",
        )
    items: list[SightingItem | ItemProblem] = []
    for index, raw in enumerate(raws):
        if isinstance(raw, ItemProblem):
            items.append(ItemProblem(index, raw.input, raw.reason, raw.field))
            continue
        (item,) = read_items([raw], normalize=normalize, now=now)
        label = str(raw.get("id")) if source == "stix" else item.input
        if isinstance(item, ItemProblem):
            items.append(ItemProblem(index, label, item.reason, item.field))
        else:
            items.append(_renumbered(item, index, label))
    digest = hashlib.sha256(purpose.encode() + b"\n" + payload).hexdigest()
    return service.SightingRequest(items, source, key, digest)


def _renumbered(item: SightingItem, index: int, label: str) -> SightingItem:
    return replace(item, index=index, input=label)


@router.get("/sightings")
def list_own_sightings(
    request: Request,
    limit: int = Query(default=100, ge=1),
    cursor: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """The caller's organisation's own sightings, oldest first (keyset pagination)."""
    hub = get_hub(request)
    size = min(limit, hub.settings.max_page_size)
    with hub.db.read() as conn:
        rows = feedback_store.own_sightings(
            conn, caller.org_id, after=decode_cursor(cursor), limit=size
        )
    items = [_own_json(row) for row in rows]
    after = int(str(rows[-1]["id"])) if len(rows) == size else None
    return _json({"items": items, "next": encode_cursor(after)})


def _own_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "type": row["obs_type"],
        "value": row["obs_value"],
        "sighting": row["kind"],
        "count": row["count"],
        "first_seen": format_timestamp(from_micros(row["first_seen"])),
        "last_seen": format_timestamp(from_micros(row["last_seen"])),
        "context": row["context"],
        "anonymous": bool(row["anonymous"]),
        "source": row["source"],
        "client_id": row["item_key"],
        "recorded_at": format_timestamp(from_micros(row["created_at"])),
    }


@router.get("/sightings/impact")
def sightings_impact(
    request: Request,
    limit: int = Query(default=100, ge=1),
    cursor: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """Feedback on the caller's own reports: who saw them, who called them false positives."""
    hub = get_hub(request)
    size = min(limit, hub.settings.max_page_size)
    with hub.db.read() as conn:
        page, after = service.impact(conn, caller, after=decode_cursor(cursor), limit=size)
        reputation = feedback_store.reputations_of(conn, [caller.org_id])[caller.org_id]
    return _json(
        {
            "org": caller.org_name,
            "reputation": _reputation_json(caller.org_name, reputation),
            "items": page,
            "next": encode_cursor(after),
        }
    )


@router.get("/reputation")
def get_reputation(
    request: Request,
    org: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """The caller's organisation's reputation (admins may name another organisation)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        if org is not None and org.casefold() != caller.org_name.casefold():
            if not caller.is_admin:
                raise Forbidden("only hub admins may read another organisation's reputation")
            target = members.get_org(conn, org)
            org_id, name = target.id, target.name
        else:
            org_id, name = caller.org_id, caller.org_name
        reputation = feedback_store.reputations_of(conn, [org_id])[org_id]
    return _json(_reputation_json(name, reputation))


def _reputation_json(name: str, reputation: Any) -> dict[str, Any]:
    return {
        "org": name,
        "confirmed": reputation.confirmed,
        "false_positives": reputation.false_positives,
        "score": round(reputation.score, 4),
        "prior": {
            "confirmed": DEFAULT_PRIOR.confirmed,
            "false_positives": DEFAULT_PRIOR.false_positives,
        },
        "formula": "(confirmed + 4) / (confirmed + false_positives + 5)",
    }


@router.get("/observables/{type}/{value:path}/sightings")
def observable_feedback(
    type: str,
    value: str,
    request: Request,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """Sightings, pooled opinion and confidence of an observable, from what the caller sees.

    404 exactly as for a value never seen when the caller may see no report of it.
    """
    return _feedback(request, caller, type, value)


@router.get("/feedback")
def feedback_by_query(
    request: Request,
    type: str,
    value: str,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """The same as ``/observables/{type}/{value}/sightings``, for URLs ending in /sightings."""
    return _feedback(request, caller, type, value)


def _feedback(request: Request, caller: Principal, kind: str, value: str) -> Response:
    hub = get_hub(request)
    obs = normalize(value, kind)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    with hub.db.read() as conn:
        assessment, names = service.assess_observable(hub, conn, viewer, obs)
    body = {"type": obs.type.value, "value": obs.value, "as_of": format_timestamp(hub.clock())}
    return _json(body | assessment_json(assessment, names))


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")
