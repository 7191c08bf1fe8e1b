"""Organisations and API keys (admins manage; every member may read the directory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from phalanx.api.deps import get_hub, principal, requires
from phalanx.members import service
from phalanx.members.model import Action, Principal

router = APIRouter(prefix="/api/v1", tags=["members"])


class OrganisationCreate(BaseModel):
    """A new organisation."""

    name: str = Field(min_length=1, max_length=200)
    kind: str
    country: str = Field(min_length=2, max_length=2)


class KeyCreate(BaseModel):
    """A new API key for an organisation."""

    org: str
    role: str
    purpose: str = "network-defense"
    name: str | None = None
    user: str | None = None
    expires_at: datetime | None = None


@router.post("/organisations", status_code=201)
def create_organisation(
    body: OrganisationCreate,
    request: Request,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Create an organisation (admins only)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        org = service.create_org(
            conn,
            hub.db,
            name=body.name,
            kind=body.kind,
            country=body.country,
            now=hub.clock(),
            actor=caller.key_id,
            actor_org_id=caller.org_id,
        )
    return service.org_json(org)


@router.get("/organisations")
def list_organisations(request: Request, caller: Principal = Depends(principal)) -> dict[str, Any]:
    """List member organisations: the directory members share with (any role)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return {"organisations": [service.org_json(org) for org in service.list_orgs(conn)]}


@router.post("/keys", status_code=201)
def create_key(
    body: KeyCreate, request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> dict[str, Any]:
    """Create an API key; the response is the only place its secret ever appears."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        org = service.get_org(conn, body.org)
        user = None
        if body.user:
            user = service.find_user(conn, org, body.user) or service.create_user(
                conn,
                hub.db,
                org=org,
                name=body.user,
                role=body.role,
                now=hub.clock(),
                actor=caller.key_id,
            )
        key, token = service.create_key(
            conn,
            hub.db,
            org=org,
            role=body.role,
            now=hub.clock(),
            purpose=body.purpose,
            name=body.name,
            user=user,
            expires_at=body.expires_at,
            actor=caller.key_id,
            actor_org_id=caller.org_id,
        )
    return service.key_json(key, token)


@router.get("/keys")
def list_keys(
    request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> dict[str, Any]:
    """List every API key (never secrets)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return {"keys": [service.key_json(key) for key in service.list_keys(conn)]}


@router.get("/keys/me")
def who_am_i(request: Request, caller: Principal = Depends(principal)) -> dict[str, Any]:
    """Describe the calling key (any role)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return service.key_json(service.get_key(conn, caller.key_id))


@router.delete("/keys/{key_id}")
def revoke_key(
    key_id: str, request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> dict[str, Any]:
    """Revoke a key at once."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        key = service.revoke_key(
            conn,
            hub.db,
            key_id=key_id,
            now=hub.clock(),
            actor=caller.key_id,
            actor_org_id=caller.org_id,
        )
    return service.key_json(key)


class RedactionSettings(BaseModel):
    """An organisation's internal names, redacted from its free text."""

    internal_domains: list[str] = Field(default_factory=list)
    internal_host_prefixes: list[str] = Field(default_factory=list)


@router.put("/organisations/{name}/redaction")
def set_redaction(
    name: str,
    body: RedactionSettings,
    request: Request,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Set the internal domains and host-name prefixes redacted from an organisation's text."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        rules = service.set_redaction(
            conn,
            hub.db,
            org=service.get_org(conn, name),
            internal_domains=body.internal_domains,
            internal_host_prefixes=body.internal_host_prefixes,
            now=hub.clock(),
            actor=caller.key_id,
        )
    return {
        "org": name,
        "internal_domains": sorted(rules.internal_domains),
        "internal_host_prefixes": sorted(rules.internal_host_prefixes),
    }
