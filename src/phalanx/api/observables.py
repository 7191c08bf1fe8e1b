"""Reading observables: single lookup, bulk lookup, paged listing. Every read is policy-filtered."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from phalanx.api.deps import get_hub, purpose_of, read_body, requires
from phalanx.clock import parse_timestamp, to_micros
from phalanx.errors import InvalidInput, TooLarge
from phalanx.ingest.withdraw import withdraw
from phalanx.intel.merge import view_json
from phalanx.lookup import service
from phalanx.lookup.service import not_found
from phalanx.members.model import Action, Principal
from phalanx.observables.ids import observable_key
from phalanx.observables.kinds import parse_type
from phalanx.observables.normalize import normalize
from phalanx.policy.labels import normalize_label
from phalanx.policy.markings import parse_tlp
from phalanx.store.reports import ReportFilter

router = APIRouter(prefix="/api/v1", tags=["observables"])


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


@router.get("/observables/{type}/{value:path}")
def get_observable(
    type: str,
    value: str,
    request: Request,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """The merged view of the reports the caller may see; 404 exactly as for an unknown value."""
    hub = get_hub(request)
    obs = normalize(value, type)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    with hub.db.read() as conn:
        return _json(view_json(service.get_observable(hub, conn, viewer, obs)))


@router.delete("/observables/{type}/{value:path}", status_code=204)
def withdraw_observable(
    type: str,
    value: str,
    request: Request,
    caller: Principal = Depends(requires(Action.CONTRIBUTE)),
) -> Response:
    """Withdraw your organisation's reports of a value (ingest/withdraw.py).

    404 exactly as for an unknown value when your organisation has no live report of it:
    other organisations' reports are neither touched nor revealed.
    """
    hub = get_hub(request)
    obs = normalize(value, type)
    with hub.db.transaction() as conn:
        withdrawn = withdraw(
            hub,
            conn,
            org_id=caller.org_id,
            keys=[observable_key(obs)],
            at=to_micros(hub.clock()),
            actor_org_id=caller.org_id,
            actor=caller.key_id,
            subject=f"{obs.type.value}:{obs.value}",
            why="withdrawn",
        )
        if not withdrawn:
            raise not_found(obs)
    return Response(status_code=204)


@router.post("/lookup")
async def lookup(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> Response:
    """Bulk lookup: ``{"values": ["…", {"type": "…", "value": "…"}]}`` → the visible matches."""
    hub = get_hub(request)
    body = await read_body(request, hub.settings.max_payload_bytes)
    viewer = hub.viewer(caller, purpose_of(request, caller))

    def work() -> bytes:
        wanted, invalid = _lookup_values(body, hub.settings.max_lookup_values)
        with hub.db.read() as conn:
            views = service.lookup_many(hub, conn, viewer, wanted)
        return orjson.dumps(
            {"matches": [view_json(v) for v in views], "count": len(views), "invalid": invalid}
        )

    return Response(await run_in_threadpool(work), media_type="application/json")


def _lookup_values(body: bytes, limit: int) -> tuple[list[Any], list[dict[str, str]]]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"body is not valid JSON: {error}", field="body") from None
    values = document.get("values") if isinstance(document, dict) else None
    if not isinstance(values, list):
        raise InvalidInput("is required and must be a list", field="values")
    if len(values) > limit:
        raise TooLarge(
            f"a lookup may hold at most {limit} values, got {len(values)}",
            limit=limit,
            unit="values",
        )
    wanted, invalid = [], []
    for entry in values:
        raw, kind = (
            (entry.get("value"), entry.get("type")) if isinstance(entry, dict) else (entry, None)
        )
        try:
            if not isinstance(raw, str):
                raise InvalidInput("each value must be a string or {type, value}", field="values")
            wanted.append(normalize(raw, kind))
        except InvalidInput as error:
            invalid.append({"input": str(raw), "error": error.reason})
    return wanted, invalid


@router.get("/observables")
def list_observables(
    request: Request,
    type: str | None = None,
    label: str | None = None,
    tlp: str | None = None,
    since: str | None = None,
    limit: int = Query(default=100, ge=1),
    cursor: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """Page through visible observables (keyset pagination: pass ``next`` as ``cursor``)."""
    hub = get_hub(request)
    filters = report_filter(type=type, label=label, tlp=tlp, since=since)
    size = min(limit, hub.settings.max_page_size)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    with hub.db.read() as conn:
        views, after = service.page(
            hub, conn, viewer, filters, after=decode_cursor(cursor), limit=size
        )
    return _json({"items": [view_json(v) for v in views], "next": encode_cursor(after)})


def report_filter(
    *, type: str | None, label: str | None, tlp: str | None, since: str | None
) -> ReportFilter:
    """Validate listing/export filters."""
    try:
        kind = parse_type(type).value if type else None
        marking = parse_tlp(tlp).value if tlp else None
    except ValueError as error:
        raise InvalidInput(str(error), field="type" if type and not tlp else "tlp") from None
    clean_label = None
    if label:
        # "malware:emo*" matches by prefix; "malware:*" every label of that namespace.
        prefix = label.endswith("*")
        stem = label.removesuffix("*")
        namespace = prefix and stem.endswith(":")
        clean_label = normalize_label(stem.removesuffix(":") if namespace else stem)
        clean_label += (":" if namespace else "") + ("*" if prefix else "")
    moment = None
    if since:
        try:
            moment = to_micros(parse_timestamp(since))
        except ValueError:
            raise InvalidInput(f"{since!r} is not an RFC 3339 timestamp", field="since") from None
    return ReportFilter(type=kind, label=clean_label, tlp=marking, since=moment)


def encode_cursor(after: int | None) -> str | None:
    """Return an opaque cursor for a keyset position."""
    return None if after is None else base64.urlsafe_b64encode(str(after).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """Return the keyset position of a cursor; InvalidInput when it is not ours."""
    if not cursor:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise InvalidInput("is not a cursor this API returned", field="cursor") from None
