"""The audit chain over HTTP: auditors read their organisation's entries, admins all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from phalanx.api.deps import get_hub, requires
from phalanx.audit import record
from phalanx.clock import from_micros
from phalanx.members.model import Action, Principal

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit")
def list_audit(
    request: Request,
    after: int = Query(default=0, ge=0),
    limit: int = Query(default=100, ge=1, le=1000),
    caller: Principal = Depends(requires(Action.READ_AUDIT)),
) -> dict[str, Any]:
    """Page through audit entries (admins: all; auditors: those their organisation caused)."""
    hub = get_hub(request)
    org = None if caller.is_admin else caller.org_id
    with hub.db.read() as conn:
        entries = record.list_entries(conn, after=after, limit=limit, org_id=org)
    return {
        "entries": [
            {
                "seq": e.seq,
                "at": from_micros(e.at).isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "details": e.details,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
            }
            for e in entries
        ],
        "next_after": entries[-1].seq if len(entries) == limit else None,
    }


@router.get("/audit/verify")
def verify_audit(
    request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> dict[str, Any]:
    """Recompute the whole chain and name the first broken entry (admins)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        verdict = record.verify(conn)
    return {
        "ok": verdict.ok,
        "checked": verdict.checked,
        "first_broken": verdict.first_broken,
        "reason": verdict.reason,
    }
