"""Deployment keys, signed receipts and the alliance compliance table.

``/api/v1/deployment-keys`` (register, list, revoke Ed25519 public keys),
``/api/v1/channels/{id}/receipts`` (post a signed receipt, list them) and
``/api/v1/alliance/compliance`` (JSON, or CSV with ``?format=csv`` or ``Accept: text/csv``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import JSONResponse, Response

from phalanx.alliance import standing
from phalanx.api.deps import get_hub, json_object, principal, requires
from phalanx.clock import parse_timestamp
from phalanx.deployment import compliance as compliance_service
from phalanx.deployment import receipts as receipt_service
from phalanx.deployment.channels import owned_channel
from phalanx.errors import InvalidInput
from phalanx.members.model import Action, Principal
from phalanx.store import receipts as receipt_store

router = APIRouter(prefix="/api/v1", tags=["deployment"])


@router.post("/deployment-keys", status_code=201)
def register_key(
    request: Request,
    body: Any = Body(...),
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> dict[str, Any]:
    """Register an Ed25519 public key: ``{"public_key": PEM|base64|hex, "name"?, "org"?}``."""
    hub = get_hub(request)
    body = json_object(body)
    if not isinstance(body.get("public_key"), str):
        raise InvalidInput("give the Ed25519 public key (PEM, base64 or hex)", field="public_key")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise InvalidInput("must be text of at most 200 characters", field="name")
    with hub.db.transaction() as conn:
        key = receipt_service.register_key(
            conn,
            hub.db,
            org=str(body.get("org") or caller.org_name),
            public_key=body["public_key"],
            name=name,
            now=hub.clock(),
            caller=caller,
        )
    return key.to_json()


@router.get("/deployment-keys")
def list_keys(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """The caller's organisation's deployment keys (admins: all)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        keys = receipt_service.list_keys(conn, caller)
    return {"keys": [key.to_json() for key in keys]}


@router.delete("/deployment-keys/{key_id}")
def revoke_key(
    key_id: str, request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """Revoke a deployment key; receipts signed with it afterwards are refused."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        key = receipt_service.revoke_key(conn, hub.db, key_id, now=hub.clock(), caller=caller)
    return key.to_json()


@router.post("/channels/{channel_id}/receipts")
def post_receipt(
    channel_id: int,
    request: Request,
    body: Any = Body(...),
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> JSONResponse:
    """Post a signed receipt: 201 when stored, 200 when the same receipt was already."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        receipt, new = receipt_service.submit_receipt(
            conn,
            hub.db,
            channel_id=channel_id,
            body=json_object(body),
            caller=caller,
            now=hub.clock(),
        )
        if hub.worlds.rule.compliance_downgrade:
            # A receipt can end a compliance downgrade: re-evaluate the standing with it.
            standing.refresh(hub, conn, org_id=caller.org_id, now=hub.clock())
    return JSONResponse(receipt.to_json(), status_code=201 if new else 200)


@router.get("/channels/{channel_id}/receipts")
def list_receipts(
    channel_id: int, request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """The channel's receipts, oldest first (its own organisation only)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        channel = owned_channel(conn, caller, channel_id)
        found = receipt_store.receipts_for(conn, [channel.id])
    return {"receipts": [receipt.to_json() for receipt in found]}


@router.get("/alliance/compliance")
def alliance_compliance(
    request: Request,
    format: str | None = None,
    sla_hours: float | None = None,
    since: str | None = None,
    until: str | None = None,
    caller: Principal = Depends(principal),
) -> Response:
    """The compliance table over ``[since, until)`` (default: the 7 days before now)."""
    hub = get_hub(request)
    now = hub.clock()
    end = _moment(until, "until") or now
    start = _moment(since, "since") or end - timedelta(days=7)
    policy = compliance_service.policy_from(hub.settings, sla_hours=sla_hours)
    with hub.db.read() as conn:
        document = compliance_service.table(
            conn, policy=policy, start=start, end=end, now=now, caller=caller
        )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if format not in (None, "json", "csv"):
        raise InvalidInput("use json or csv", field="format")
    if wants_csv:
        return Response(compliance_service.to_csv(document), media_type="text/csv; charset=utf-8")
    return JSONResponse(document)


def _moment(text: str | None, field: str) -> Any:
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        raise InvalidInput("must be an RFC 3339 timestamp", field=field) from None
