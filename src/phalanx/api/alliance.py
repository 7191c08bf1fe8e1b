"""The alliance rules over HTTP: the scoring formula, the points ledger, standing, sources.

Members read their own ledger rows and standing; hub administrators read everyone's and may
override a standing with a reason (written to the audit chain).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from phalanx.alliance import feeds, ledger, scoring, standing
from phalanx.api.deps import get_hub, principal, requires
from phalanx.errors import Forbidden
from phalanx.members.model import Action, Principal

router = APIRouter(prefix="/api/v1/alliance", tags=["alliance"])


class OverrideCreate(BaseModel):
    """An administrator's standing override; ``status`` null clears it."""

    status: str | None = Field(description="good, restricted, or null to clear the override")
    reason: str = Field(min_length=1, max_length=2000)
    until: datetime | None = Field(default=None, description="when the override ends")


@router.get("/scoring")
def get_scoring(caller: Principal = Depends(principal)) -> dict[str, Any]:
    """The points formula, every constant included (README: Scoring)."""
    return scoring.describe()


@router.get("/ledger")
def list_ledger(
    request: Request,
    after: int | None = Query(default=None, ge=0, description="the next_after of a page"),
    limit: int = Query(default=100, ge=1, le=1000),
    org_id: int | None = Query(default=None, description="admins: one organisation's rows"),
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> dict[str, Any]:
    """Page through ledger rows by id: your organisation's; administrators see all."""
    hub = get_hub(request)
    org = _org_for(caller, org_id)
    with hub.db.read() as conn:
        rows = ledger.list_rows(conn, org_id=org, after=after, limit=limit)
    return {
        "rows": [row.to_json() for row in rows],
        "next_after": rows[-1].id if len(rows) == limit else None,
    }


@router.get("/standing")
def get_standing(
    request: Request,
    org_id: int | None = Query(default=None, description="admins: another organisation"),
    caller: Principal = Depends(principal),
) -> dict[str, Any]:
    """Your standing: status, average against the rule, trend and the exact gap."""
    hub = get_hub(request)
    org = _org_for(caller, org_id) or caller.org_id
    with hub.db.read() as conn:
        found = standing.current(hub, conn, org_id=org, now=hub.clock())
    return standing.standing_json(found, org_id=org, rule=hub.worlds.rule)


@router.post("/standing/{org_id}/override")
def override_standing(
    request: Request,
    org_id: int,
    body: OverrideCreate,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Force or clear an organisation's standing, with a reason (administrators; audited)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = standing.set_override(
            hub,
            conn,
            org_id=org_id,
            status=body.status,
            reason=body.reason,
            until=body.until,
            now=hub.clock(),
            actor_org_id=caller.org_id,
            actor=caller.key_id,
        )
    return standing.standing_json(found, org_id=org_id, rule=hub.worlds.rule)


@router.get("/sources")
def list_sources(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """The published sources novelty is judged against."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return {"sources": [s.to_json() for s in feeds.list_(conn)]}


def _org_for(caller: Principal, org_id: int | None) -> int | None:
    """The organisation to read: your own; administrators any (None: all)."""
    if caller.is_admin:
        return org_id
    if org_id is not None and org_id != caller.org_id:
        raise Forbidden("only administrators read other organisations' points and standing")
    return caller.org_id
