"""TAXII 2.1 endpoints (TAXII 2.1 §4-5, https://docs.oasis-open.org/cti/taxii/v2.1/os/).

Thin shells: negotiate the media type, authenticate (HTTP Basic with key id + secret, or
Bearer), resolve the caller's collection, parse the query (taxii/query.py), and read through
the caller's visibility plan (store/stix_objects.py) or add through taxii/ingest.py.
A collection the caller does not have, an object it may not see and one that does not exist
all answer 404 alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import cast

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection
from starlette.responses import Response

from phalanx.api.deps import get_hub, principal, principal_in, purpose_of, read_body
from phalanx.audit.record import record
from phalanx.clock import format_timestamp, from_micros, to_micros
from phalanx.errors import Forbidden, NotFound
from phalanx.formats.stix21.objects import STIX_MEDIA_TYPE
from phalanx.hub import Hub
from phalanx.members.model import Principal
from phalanx.store import stix_objects as object_store
from phalanx.store.stix_objects import Selection
from phalanx.taxii import collections, derive, ingest, withdraw
from phalanx.taxii.errors import TaxiiRoute
from phalanx.taxii.media import TAXII_MEDIA_TYPE, check_accept, check_content_type
from phalanx.taxii.query import (
    DELETE,
    OBJECT,
    OBJECTS,
    VERSIONS,
    ObjectQuery,
    Versions,
    parse_query,
)

ROOT = "/taxii2/"
API_ROOT = "/taxii2/api/"
router = APIRouter(route_class=TaxiiRoute, include_in_schema=False)


def _respond(body: object, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def _caller(request: Request) -> tuple[Hub, Principal]:
    check_accept(request.headers.get("accept"))
    return get_hub(request), principal(request)


@router.get(ROOT)
def discovery(request: Request) -> Response:
    """Server Discovery (§4.1)."""
    hub, _ = _caller(request)
    return _respond(
        {
            "title": f"{hub.settings.hub_name} TAXII 2.1",
            "description": "Phalanx collective-defense exchange: STIX 2.1 over TAXII 2.1.",
            "default": API_ROOT,
            "api_roots": [API_ROOT],
        }
    )


@router.get(API_ROOT)
def api_root(request: Request) -> Response:
    """Get API Root Information (§4.2)."""
    hub, _ = _caller(request)
    return _respond(
        {
            "title": f"{hub.settings.hub_name}",
            "description": "Shared, community, published and admin-defined collections.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": hub.settings.max_payload_bytes,
        }
    )


@router.get(API_ROOT + "status/{status_id}/")
def status(request: Request, status_id: str) -> Response:
    """Get Status (§4.3): only the organisation that posted may read a status."""
    hub, caller = _caller(request)
    with hub.db.read() as conn:
        found = ingest.status_for(conn, caller, status_id)
    if found is None:
        raise NotFound("no such status")
    return _respond(found)


@router.get(API_ROOT + "collections/")
def list_collections(request: Request) -> Response:
    """Get Collections (§5.1)."""
    hub, caller = _caller(request)
    with hub.db.read() as conn:
        found = collections.list_for(conn, hub.settings.hub_name, caller)
    return _respond({"collections": [c.to_json() for c in found]} if found else {})


@router.get(API_ROOT + "collections/{collection_id}/")
def get_collection(request: Request, collection_id: str) -> Response:
    """Get a Collection (§5.2)."""
    hub, caller = _caller(request)
    with hub.db.read() as conn:
        found = collections.get_for(conn, hub.settings.hub_name, caller, collection_id)
    return _respond(found.to_json())


def _query(request: Request, hub: Hub, allowed: frozenset[str]) -> ObjectQuery:
    size = hub.settings.max_page_size
    return parse_query(
        request.query_params.multi_items(), allowed=allowed, default_limit=size, max_limit=size
    )


def _page(
    request: Request,
    collection_id: str,
    allowed: frozenset[str],
    *,
    object_id: str | None = None,
    with_content: bool = True,
) -> tuple[ObjectQuery, list[object_store.Row], bool]:
    """One page of what the caller may read in a collection (404 when the object is unseen)."""
    check_accept(request.headers.get("accept"))
    hub = get_hub(request)
    with hub.db.read() as conn:
        caller = principal_in(request, conn)  # one transaction for the request
        query = _query(request, hub, allowed)
        collection = collections.get_for(conn, hub.settings.hub_name, caller, collection_id)
        if not collection.can_read:
            raise Forbidden("your role may not read this collection")
        plan = hub.plan(conn, hub.viewer(caller, purpose_of(request, caller)))
        selection = _selection(hub, conn, collection)
        rows, more = object_store.read_page(
            conn,
            plan,
            query=query,
            selection=selection,
            object_id=object_id,
            with_content=with_content,
        )
        if object_id is not None and not rows and query.after_seq == 0:
            # An empty page is {} only for an object the caller may see (§3.5); otherwise
            # it does not exist for the caller: 404, as after a DELETE (§5.7).
            probe = ObjectQuery(limit=1, versions=Versions(last=False, all=True))
            seen, _ = object_store.read_page(
                conn,
                plan,
                query=probe,
                selection=selection,
                object_id=object_id,
                with_content=False,
            )
            if not seen:
                raise NotFound("no such object in this collection")
    return query, rows, more


def _selection(hub: Hub, conn: Connection, collection: collections.Collection) -> Selection:
    # The shared collection is everything visible: no need to read the scopes for it.
    return collection.selection(hub.scopes.all(conn) if collection.needs_scopes else {})


def _headers(rows: Sequence[object_store.Row]) -> dict[str, str]:
    if not rows:
        return {}
    return {
        "X-TAXII-Date-Added-First": format_timestamp(from_micros(rows[0].date_added)),
        "X-TAXII-Date-Added-Last": format_timestamp(from_micros(rows[-1].date_added)),
    }


def _envelope(query: ObjectQuery, rows: list[object_store.Row], more: bool) -> bytes:
    if not rows and not more:
        return b"{}"
    head = b'{"more":' + (b"true" if more else b"false")
    if more:
        head += b',"next":' + orjson.dumps(query.next_token(rows[-1].seq if rows else 0))
    if not rows:
        return head + b"}"
    return head + b',"objects":[' + b",".join(row.content or b"" for row in rows) + b"]}"


@router.get(API_ROOT + "collections/{collection_id}/objects/")
def get_objects(request: Request, collection_id: str) -> Response:
    """Get Objects (§5.4)."""
    query, rows, more = _page(request, collection_id, OBJECTS)
    return _respond(_envelope(query, rows, more), _headers(rows))


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    """Get an Object (§5.6)."""
    query, rows, more = _page(request, collection_id, OBJECT, object_id=object_id)
    return _respond(_envelope(query, rows, more), _headers(rows))


@router.get(API_ROOT + "collections/{collection_id}/manifest/")
def get_manifest(request: Request, collection_id: str) -> Response:
    """Get Object Manifests (§5.3)."""
    query, rows, more = _page(request, collection_id, OBJECTS, with_content=False)
    body: dict[str, object] = {}
    if rows or more:
        body["more"] = more
    if more:
        body["next"] = query.next_token(rows[-1].seq if rows else 0)
    if rows:
        body["objects"] = [
            {
                "id": row.stix_id,
                "date_added": format_timestamp(from_micros(row.date_added)),
                "version": row.version,
                "media_type": STIX_MEDIA_TYPE,
            }
            for row in rows
        ]
    return _respond(body, _headers(rows))


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/versions/")
def get_versions(request: Request, collection_id: str, object_id: str) -> Response:
    """Get Object Versions (§5.8)."""
    hub, caller = _caller(request)
    # Versions lists every version: match[version] is not a filter of this endpoint.
    params = [(k, v) for k, v in request.query_params.multi_items() if k in VERSIONS]
    params.append(("match[version]", "all"))
    query_all = parse_query(
        params,
        allowed=VERSIONS | {"match[version]"},
        default_limit=hub.settings.max_page_size,
        max_limit=hub.settings.max_page_size,
    )
    rows, more = _versions_page(request, hub, caller, collection_id, object_id, query_all)
    body: dict[str, object] = {"more": more}
    if more:
        body["next"] = query_all.next_token(rows[-1].seq if rows else 0)
    if rows:
        body["versions"] = [row.version for row in rows]
    return _respond(body, _headers(rows))


def _versions_page(
    request: Request,
    hub: Hub,
    caller: Principal,
    collection_id: str,
    object_id: str,
    query: ObjectQuery,
) -> tuple[list[object_store.Row], bool]:
    with hub.db.read() as conn:
        collection = collections.get_for(conn, hub.settings.hub_name, caller, collection_id)
        if not collection.can_read:
            raise Forbidden("your role may not read this collection")
        plan = hub.plan(conn, hub.viewer(caller, purpose_of(request, caller)))
        selection = _selection(hub, conn, collection)
        rows, more = object_store.read_page(
            conn, plan, query=query, selection=selection, object_id=object_id, with_content=False
        )
    if not rows and query.after_seq == 0 and query.added_after is None:
        raise NotFound("no such object in this collection")
    return rows, more


@router.delete(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
    """Delete an Object (§5.7): the contributing organisation (or a hub admin) only."""
    hub, caller = _caller(request)
    query = _query(request, hub, DELETE)
    if "match[version]" not in request.query_params:
        # Without a version filter DELETE removes the object, every version (as medallion).
        query = dataclasses.replace(query, versions=Versions(last=False, all=True))
    with hub.db.transaction() as conn:
        collection = collections.get_for(conn, hub.settings.hub_name, caller, collection_id)
        if not (collection.can_read and collection.can_write):
            if not (collection.can_read or collection.can_write):
                raise NotFound("no such collection")
            raise Forbidden("deleting needs both read and write access to the collection")
        plan = hub.plan(conn, hub.viewer(caller, purpose_of(request, caller)))
        selection = _selection(hub, conn, collection)
        deletion = object_store.delete_versions(
            conn,
            hub.db,
            plan,
            object_id=object_id,
            query=query,
            selection=selection,
            org_id=caller.org_id,
            admin=caller.is_admin,
        )
        at = to_micros(hub.clock())
        withdrawn = withdraw.after_delete(
            hub,
            conn,
            deletion,
            object_id=object_id,
            at=at,
            actor_org_id=caller.org_id,
            actor=caller.key_id,
        )
        record(
            conn,
            hub.db,
            action="taxii.objects.delete",
            at=at,
            actor_org_id=caller.org_id,
            actor=caller.key_id,
            subject=object_id,
            details={
                "collection": collection.id,
                "versions": deletion.versions,
                "reports_withdrawn": withdrawn,
            },
        )
    return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)


@router.post(API_ROOT + "collections/{collection_id}/objects/")
async def add_objects(request: Request, collection_id: str) -> Response:
    """Add Objects (§5.5): 202 and a complete status resource once everything is stored."""
    check_accept(request.headers.get("accept"))
    hub = get_hub(request)
    caller = await run_in_threadpool(principal, request)
    check_content_type(request.headers.get("content-type"))
    body = await read_body(request, hub.settings.max_payload_bytes)

    def work() -> dict[str, object]:
        with hub.db.read() as conn:
            collection = collections.get_for(conn, hub.settings.hub_name, caller, collection_id)
        if not collection.can_write:
            if not collection.can_read:
                raise NotFound("no such collection")
            raise Forbidden("your role may not add objects to this collection")
        post = ingest.prepare_post(hub, body=body)
        with hub.db.transaction() as conn:
            status, job = ingest.store_post(
                hub, conn, principal=caller, post=post, collection=collection
            )
        hub.db.grew("stix_objects", cast(int, status["success_count"]))
        deriver: derive.Deriver | None = request.app.state.deriver
        if job is None:
            return status
        if deriver is not None:
            deriver.noted_write()
            return status
        # Inline: the reports exist, and the status carries the pipeline's remarks, on 202.
        derive.derive_job(hub, job, derive.holder_name())
        with hub.db.read() as conn:
            return dict(ingest.status_for(conn, caller, str(status["id"])) or status)

    return _respond(await run_in_threadpool(work), status=202)
