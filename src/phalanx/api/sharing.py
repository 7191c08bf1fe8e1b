"""Communities, agreements, policy explanations, forwarding and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from phalanx.api.deps import get_hub, principal, purpose_of, requires
from phalanx.lookup import service as lookup_service
from phalanx.members.model import Action, Principal
from phalanx.sharing import agreements, communities, explain, forward, retention

router = APIRouter(prefix="/api/v1", tags=["sharing"])


class CommunityCreate(BaseModel):
    """A new community and its first members."""

    name: str
    members: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list)
    description: str | None = None


class MemberAdd(BaseModel):
    """An organisation to add to a community."""

    org: str
    admin: bool = False


class AgreementCreate(BaseModel):
    """A data-exchange agreement."""

    parties: list[str]
    purposes: list[str]
    name: str | None = None
    kinds: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=list)
    own_victims_only: bool = False
    personal_data: bool = False
    retention_days: int | None = None
    onward: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class Forward(BaseModel):
    """Further recipients for a report."""

    share_with: list[str] = Field(default_factory=list)
    communities: list[str] = Field(default_factory=list)
    tlp: str | None = None


@router.post("/communities", status_code=201)
def create_community(
    body: CommunityCreate,
    request: Request,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Create a community (hub admins)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = communities.create(
            conn,
            hub.db,
            name=body.name,
            members=body.members,
            admins=body.admins,
            description=body.description,
            now=hub.clock(),
            actor=caller.key_id,
            actor_org_id=caller.org_id,
        )
    return found.to_json()


@router.get("/communities")
def list_communities(request: Request, caller: Principal = Depends(principal)) -> dict[str, Any]:
    """List communities: all for hub admins, one's own for everyone else."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        found = communities.list_all(conn, member=None if caller.is_admin else caller.org_id)
    return {"communities": [c.to_json() for c in found]}


@router.post("/communities/{name}/members")
def add_member(
    name: str, body: MemberAdd, request: Request, caller: Principal = Depends(principal)
) -> dict[str, Any]:
    """Add a member (hub admins and the community's admins)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = communities.add_member(
            conn,
            hub.db,
            community=name,
            org=body.org,
            admin=body.admin,
            now=hub.clock(),
            caller=caller,
        )
    return found.to_json()


@router.delete("/communities/{name}/members/{org}")
def remove_member(
    name: str, org: str, request: Request, caller: Principal = Depends(principal)
) -> dict[str, Any]:
    """Remove a member; its access to the community's reports ends at once."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = communities.remove_member(
            conn, hub.db, community=name, org=org, now=hub.clock(), caller=caller
        )
    return found.to_json()


@router.post("/agreements", status_code=201)
def create_agreement(
    body: AgreementCreate,
    request: Request,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Register a data-exchange agreement (hub admins)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = agreements.create(
            conn,
            hub.db,
            now=hub.clock(),
            actor=caller.key_id,
            actor_org_id=caller.org_id,
            **body.model_dump(),
        )
        return agreements.to_json(conn, found)


@router.get("/agreements")
def list_agreements(request: Request, caller: Principal = Depends(principal)) -> dict[str, Any]:
    """List agreements: all for hub admins, those one is party to for everyone else."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        found = agreements.list_all(conn, party=None if caller.is_admin else caller.org_id)
        return {"agreements": [agreements.to_json(conn, a) for a in found]}


@router.post("/agreements/{agreement_id}/revoke")
def revoke_agreement(
    agreement_id: int,
    request: Request,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Revoke an agreement; its reports vanish for the other parties at once."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = agreements.revoke(
            conn,
            hub.db,
            agreement_id=agreement_id,
            now=hub.clock(),
            actor=caller.key_id,
            actor_org_id=caller.org_id,
        )
        return agreements.to_json(conn, found)


@router.get("/policy/explain")
def explain_decision(
    org: str,
    report: int,
    request: Request,
    purpose: str | None = None,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Why can (or cannot) organisation ``org`` see report ``report``? (hub admins)"""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return explain.explain(
            hub, conn, org=org, report_id=report, purpose=purpose, asker_org_id=caller.org_id
        )


@router.post("/retention/run")
def run_retention(
    request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> dict[str, Any]:
    """Purge reports past their agreement's retention now (hub admins)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        return retention.run(conn, hub.db, now=hub.clock(), actor=caller.key_id)


@router.post("/reports/{report_id}/forward", status_code=201)
def forward_report(
    report_id: int,
    body: Forward,
    request: Request,
    caller: Principal = Depends(requires(Action.CONTRIBUTE)),
) -> dict[str, Any]:
    """Share a report you may see with further recipients, where its marking allows."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        return forward.forward(
            hub,
            conn,
            principal=caller,
            purpose=purpose_of(request, caller),
            report_id=report_id,
            share_with=body.share_with,
            communities=body.communities,
            tlp=body.tlp,
        )


@router.get("/stats")
def statistics(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """Counts of what the caller may see (policy-filtered like every read)."""
    hub = get_hub(request)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    with hub.db.read() as conn:
        return lookup_service.statistics(hub, conn, viewer)
