"""TAXII 2.1 under /taxii2/ (taxii/views.py) and the admin REST API for filtered collections."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from phalanx.api.deps import get_hub, requires
from phalanx.clock import to_micros
from phalanx.members.model import Action, Principal
from phalanx.taxii import collections
from phalanx.taxii.views import router as taxii_router

router = APIRouter()
router.include_router(taxii_router)
admin = APIRouter(prefix="/api/v1/taxii", tags=["taxii"])


class CollectionCreate(BaseModel):
    """An admin-defined TAXII collection: a filter over what each caller may see."""

    alias: str = Field(description="URL name, a-z 0-9 '-'")
    title: str
    description: str | None = None
    filter: dict[str, Any] = Field(
        default_factory=dict,
        description='{"types": ["indicator"], "tlp": ["clear", "green"], "communities": [...]}',
    )


@admin.get("/collections")
def list_defined(
    request: Request, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> list[dict[str, Any]]:
    """List the admin-defined TAXII collections."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        return collections.list_defined(conn)


@admin.post("/collections", status_code=201)
def create_defined(
    request: Request,
    body: CollectionCreate,
    caller: Principal = Depends(requires(Action.MANAGE_MEMBERS)),
) -> dict[str, Any]:
    """Define a filtered, read-only TAXII collection (hub admins)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        return collections.create(
            conn,
            alias=body.alias,
            title=body.title,
            description=body.description,
            filter=body.filter,
            at=to_micros(hub.clock()),
        )


@admin.delete("/collections/{alias}", status_code=204)
def delete_defined(
    request: Request, alias: str, caller: Principal = Depends(requires(Action.MANAGE_MEMBERS))
) -> None:
    """Remove an admin-defined TAXII collection (objects stay in the store)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        collections.remove(conn, alias)


router.include_router(admin)
