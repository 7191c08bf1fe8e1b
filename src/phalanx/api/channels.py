"""Deployment channels: /api/v1/channels (definitions) and /api/v1/channels/{id}/feed.

Members manage their own organisation's channels, hub admins every channel. A feed is served
only to its own organisation, rendered with that organisation's rights (``deployment/feeds``).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from phalanx.api.deps import get_hub, json_object, requires
from phalanx.channels.benign import BenignIndex
from phalanx.channels.formats import registry
from phalanx.channels.formats.base import channel_slug
from phalanx.clock import format_timestamp
from phalanx.deployment import channels as channel_service
from phalanx.deployment import feeds
from phalanx.errors import InvalidInput
from phalanx.members.model import Action, Principal
from phalanx.store import channels as channel_store

router = APIRouter(prefix="/api/v1", tags=["channels"])
_FILTER_FIELDS = (
    "kinds",
    "labels",
    "min_confidence",
    "max_tlp",
    "exclude_pap_red",
    "exclude_benign",
)


def _filter_of(body: dict[str, Any]) -> dict[str, Any]:
    """The filter document: ``filter`` or the same fields at top level (CLI-like)."""
    nested = body.get("filter")
    if nested is not None and not isinstance(nested, dict):
        raise InvalidInput("must be an object", field="filter")
    flat = {key: body[key] for key in _FILTER_FIELDS if key in body}
    return {**(nested or {}), **flat}


@router.post("/channels", status_code=201)
def create_channel(
    request: Request,
    body: Any = Body(...),
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> dict[str, Any]:
    """Create a channel: ``{"format", "name"?, "org"? (admins), "filter"?: {...}}``."""
    hub = get_hub(request)
    body = json_object(body)
    if not isinstance(body.get("format"), str):
        raise InvalidInput("name a channel format", field="format")
    with hub.db.transaction() as conn:
        found = channel_service.create(
            conn,
            hub.db,
            org=body.get("org"),
            name=body.get("name"),
            fmt=body["format"],
            filter_json=_filter_of(body),
            now=hub.clock(),
            caller=caller,
        )
    return found.to_json()


@router.get("/channels")
def list_channels(
    request: Request,
    org: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> dict[str, Any]:
    """The caller's organisation's channels (admins: every channel, or one organisation's)."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        found = channel_service.list_for(conn, caller, org=org)
    return {"channels": [channel.to_json() for channel in found]}


@router.get("/channels/{channel_id}")
def get_channel(
    channel_id: int, request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """One channel, with its latest version if it has one."""
    hub = get_hub(request)
    with hub.db.read() as conn:
        found = channel_service.visible_channel(conn, caller, channel_id)
        latest = channel_store.latest_version(conn, channel_id)
    document = found.to_json()
    document["latest_version"] = None if latest is None else _version_json(latest)
    return document


@router.patch("/channels/{channel_id}")
def update_channel(
    channel_id: int,
    request: Request,
    body: Any = Body(...),
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> dict[str, Any]:
    """Change name, format or filter fields (those left out keep their values)."""
    hub = get_hub(request)
    body = json_object(body)
    changes = {"name": body.get("name"), "format": body.get("format")}
    filter_json = _filter_of(body)
    if filter_json:
        changes["filter"] = filter_json
    with hub.db.transaction() as conn:
        found = channel_service.update(
            conn, hub.db, channel_id, changes=changes, now=hub.clock(), caller=caller
        )
    return found.to_json()


@router.delete("/channels/{channel_id}")
def delete_channel(
    channel_id: int, request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> dict[str, Any]:
    """Retire a channel; it stops serving (its receipts stay for compliance)."""
    hub = get_hub(request)
    with hub.db.transaction() as conn:
        found = channel_service.delete(conn, hub.db, channel_id, now=hub.clock(), caller=caller)
    return {**found.to_json(), "deleted": True}


def _version_json(version: feeds.Version) -> dict[str, Any]:
    return {
        "version": version.version,
        "digest": version.content_digest,
        "etag": version.etag,
        "items": version.item_count,
        "added": version.added,
        "removed": version.removed,
        "generated": format_timestamp(version.created_at),
    }


def _benign_index(request: Request) -> BenignIndex | None:
    index: BenignIndex | None = getattr(request.app.state, "benign_index", None)
    return index


def _feed_cache(request: Request) -> feeds.FeedCache:
    cache: feeds.FeedCache | None = getattr(request.app.state, "channel_feeds", None)
    if cache is None:
        cache = feeds.FeedCache()
        request.app.state.channel_feeds = cache
    return cache


def _version_headers(version: feeds.Version) -> dict[str, str]:
    raw = bytes.fromhex(version.content_digest.removeprefix("sha256:"))
    return {
        "Repr-Digest": f"sha-256=:{base64.b64encode(raw).decode()}:",
        "ETag": version.etag,
        "X-Phalanx-Channel-Version": str(version.version),
        "X-Phalanx-Content-Digest": version.content_digest,
        "X-Phalanx-Channel-Generated": format_timestamp(version.created_at),
        "Cache-Control": "private, no-cache",
    }


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, a list of tags or ``*``."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


@router.get("/channels/{channel_id}/feed")
def channel_feed(
    channel_id: int,
    request: Request,
    since: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> Response:
    """The channel's current version (ETag, ``If-None-Match`` → 304), or ``?since=V`` delta."""
    hub = get_hub(request)
    wanted = feeds.parse_since(since)
    with hub.db.read() as conn:
        channel = channel_service.owned_channel(conn, caller, channel_id)
    cache = _feed_cache(request)
    found = feeds.current(hub, channel, benign=_benign_index(request), cache=cache)
    headers = _version_headers(found.version)
    if wanted is not None:
        document = feeds.delta_document(hub, channel, found.version, wanted)
        feeds.audit_fetch(hub, caller, channel, found.version, mode="delta", since=wanted)
        # Both describe the full feed's representation, not this delta document.
        del headers["Repr-Digest"], headers["ETag"]
        return Response(orjson.dumps(document), media_type="application/json", headers=headers)
    if _matches(request.headers.get("if-none-match"), found.version.etag):
        feeds.audit_fetch(hub, caller, channel, found.version, mode="not-modified", since=None)
        return Response(status_code=304, headers=headers)
    found = feeds.body_of(hub, channel, found, cache)
    assert found.content is not None
    headers = _version_headers(found.version)
    feeds.audit_fetch(hub, caller, channel, found.version, mode="full", since=None)
    spec = registry.get(channel.format)
    name = f"{channel_slug(channel.name)}-v{found.version.version}{spec.extension}"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(found.content, media_type=spec.media_type, headers=headers)
