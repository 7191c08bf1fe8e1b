"""Add Objects (TAXII 2.1 §5.5): an envelope into the object store, its reports queued.

Each object:

- fails on its own when it is not storable STIX 2.1 (the status names the object id, the
  property and why), and the rest of the envelope is kept;
- is stored verbatim (keys sorted) as one version (store/stix_objects.py), with a scope from its TLP
  markings (the hub default, TLP:AMBER, when it has none) and from the collection (community
  collections share to their community).

The versions, the status resource and a derivation job (taxii/derive.py) are written in one
transaction before the 202 is sent: an acknowledged object is durably stored, visible to
TAXII readers at once, and the status is ``complete``. The job then runs indicators and SCOs
through the contribution pipeline, so they become the reports that REST, exports and channels
serve; that is where nearly all of a POST's CPU goes, and it runs after the answer, in an idle
worker. A value the pipeline refuses (a reserved address, say) does not fail the object; the
job adds to the object's status entry why no report was made.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from phalanx.audit.record import record
from phalanx.clock import format_timestamp, micros_of, to_micros
from phalanx.errors import InvalidInput
from phalanx.formats.stix21.objects import (
    check_storable,
    spec_version_of,
    stored_json,
    tlp_of,
    version_of,
)
from phalanx.hub import Hub
from phalanx.members.model import Principal
from phalanx.policy.labels import encode_labels
from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.store import scopes as scope_store
from phalanx.store import stix_objects as object_store
from phalanx.store.tables import taxii_status
from phalanx.taxii import derive
from phalanx.taxii.collections import Collection
from phalanx.taxii.context import CONTEXT_KIND as _CONTEXT
from phalanx.taxii.query import BadRequest

CONTEXT_KIND = str(_CONTEXT)  # taxii/context.py: objects' policy kind
DEFAULT_TLP = TLP.AMBER  # the contribution pipeline's default (ingest/items.py)


@dataclass(slots=True)
class Candidate:
    """A storable object of the envelope, serialised and digested (CPU work done early)."""

    index: int
    obj: dict[str, Any]
    tlp: TLP
    version: str | None
    version_us: int | None
    digest: str
    content: bytes

    @classmethod
    def of(cls, index: int, obj: dict[str, Any], tlp: TLP) -> Candidate:
        """Prepare one checked object for storage."""
        version = version_of(obj)
        version_us = None if version is None else micros_of(version)
        # One serialisation is both what is stored and what the digest covers.
        content, digest = stored_json(obj)
        return cls(index, obj, tlp, version, version_us, digest, content)


@dataclass(slots=True)
class PreparedPost:
    """An envelope checked outside the write transaction."""

    request_timestamp: datetime
    candidates: list[Candidate]
    failures: dict[int, tuple[str, str, str]]  # index -> (id, version, message)


def objects_of(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope (a STIX bundle is accepted too); BadRequest if none."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not JSON: {error.msg}", field="body") from None
    objects = document.get("objects") if isinstance(document, dict) else None
    if not isinstance(objects, list):
        raise BadRequest("the body must be a TAXII envelope with an 'objects' list", field="body")
    return objects


def prepare_post(hub: Hub, *, body: bytes) -> PreparedPost:
    """Check every object of an envelope (no I/O)."""
    objects = objects_of(body)
    limit = hub.settings.max_items_per_contribution
    if len(objects) > limit:
        raise InvalidInput(f"an envelope may hold at most {limit} objects", field="objects")
    definitions = {
        obj["id"]: obj
        for obj in objects
        if isinstance(obj, dict) and obj.get("type") == "marking-definition" and "id" in obj
    }
    candidates: list[Candidate] = []
    failures: dict[int, tuple[str, str, str]] = {}
    for index, obj in enumerate(objects):
        try:
            check_storable(obj)
        except InvalidInput as error:
            failures[index] = _failure(index, obj, error)
            continue
        tlp = tlp_of(obj, definitions) or DEFAULT_TLP
        candidates.append(Candidate.of(index, obj, tlp))
    return PreparedPost(hub.clock(), candidates, failures)


def store_post(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    post: PreparedPost,
    collection: Collection,
) -> tuple[dict[str, Any], int | None]:
    """Store every object version, queue its reports, record; return (status, job id)."""
    now_us = to_micros(hub.clock())
    versions = _new_versions(hub, conn, post.candidates, collection)
    stored = object_store.add_versions(
        conn,
        hub.db,
        org_id=principal.org_id,
        contribution_id=None,  # set once the reports are derived (taxii/derive.py)
        versions=versions,
        now_us=now_us,
    )
    status = _status(post, stored)
    conn.execute(
        insert(taxii_status).values(
            id=status["id"], org_id=principal.org_id, created_at=now_us, body=orjson.dumps(status)
        )
    )
    job = derive.enqueue(
        conn,
        status_id=status["id"],
        principal=principal,
        defaults=collection.defaults(),
        positions=_positions(stored),
        added=[s.date_added for s in stored if s.added and s.date_added is not None],
        now_us=now_us,
    )
    expire_statuses(conn, hub, now_us)
    record(
        conn,
        hub.db,
        action="taxii.objects.add",
        at=now_us,
        actor_org_id=principal.org_id,
        actor=principal.key_id,
        subject=f"taxii-status:{status['id']}",
        details={
            "collection": collection.id,
            "total": status["total_count"],
            "stored": sum(1 for s in stored if s.added),
            "already_stored": sum(1 for s in stored if not s.added and s.failure is None),
            "failed": status["failure_count"],
        },
    )
    return status, job


def _positions(stored: list[object_store.Stored]) -> list[tuple[int, int, int]]:
    """(envelope position, status success entry, date_added) of every object stored.

    Success entries are listed in envelope order (``_status``), so counting the successes
    among the stored outcomes, sorted by position, gives each object's entry. An object that
    failed is left out: no report comes from what was not stored.
    """
    positions: list[tuple[int, int, int]] = []
    for outcome in sorted(stored, key=lambda s: s.index):
        if outcome.failure is None and outcome.date_added is not None:
            positions.append((outcome.index, len(positions), outcome.date_added))
    return positions


def _new_versions(
    hub: Hub, conn: Connection, candidates: list[Candidate], collection: Collection
) -> list[object_store.NewVersion]:
    scope_ids: dict[TLP, int] = {}
    communities = frozenset({collection.community_id}) if collection.community_id else frozenset()
    labels = encode_labels(())
    versions = []
    for candidate in candidates:
        scope_id = scope_ids.get(candidate.tlp)
        if scope_id is None:
            scope = Scope(tlp=candidate.tlp, communities=communities)
            scope_id = scope_ids[candidate.tlp] = scope_store.get_or_create(conn, hub.db, scope)
        obj = candidate.obj
        versions.append(
            object_store.NewVersion(
                index=candidate.index,
                stix_id=obj["id"],
                type=obj["type"],
                spec_version=spec_version_of(obj),
                version=candidate.version,
                version_us=candidate.version_us,
                digest=candidate.digest,
                content=candidate.content,
                scope_id=scope_id,
                kind=CONTEXT_KIND,
                labels=labels,
            )
        )
    return versions


def _status(post: PreparedPost, stored: list[object_store.Stored]) -> dict[str, Any]:
    successes, failures = [], []
    for outcome in stored:
        detail = {"id": outcome.stix_id, "version": outcome.version}
        if outcome.failure is not None:
            failures.append((outcome.index, {**detail, "message": outcome.failure}))
            continue
        if not outcome.added:
            detail["message"] = "already stored"
        successes.append((outcome.index, detail))
    for index, (stix_id, version, message) in post.failures.items():
        failures.append((index, {"id": stix_id, "version": version, "message": message}))
    status: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": "complete",
        "request_timestamp": format_timestamp(post.request_timestamp),
        "total_count": len(successes) + len(failures),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
    }
    # STIX/TAXII lists are never empty (§3.3): leave a list out rather than send [].
    if successes:
        status["successes"] = [detail for _, detail in sorted(successes, key=lambda s: s[0])]
    if failures:
        status["failures"] = [detail for _, detail in sorted(failures, key=lambda f: f[0])]
    return status


def _failure(index: int, obj: Any, error: InvalidInput) -> tuple[str, str, str]:
    """(id, version, message) for an object that cannot be stored."""
    stix_id = obj.get("id") if isinstance(obj, dict) else None
    version = version_of(obj) if isinstance(obj, dict) else None
    where = f"object {index + 1}" + (f" ({stix_id})" if isinstance(stix_id, str) else "")
    return (
        stix_id if isinstance(stix_id, str) else f"object {index + 1}",
        version or "",
        f"{where}: {error.message}",
    )


def expire_statuses(conn: Connection, hub: Hub, now_us: int) -> int:
    """Delete status resources older than ``taxii_status_hours``; return how many went.

    A status lists every object of its POST, so keeping them all would grow the store by a
    copy of each envelope's ids; clients read a status within minutes of their POST. Run
    with every POST, it deletes the few that expired since the last one (an index on
    ``created_at`` finds them). 0 keeps them forever.
    """
    hours = hub.settings.taxii_status_hours
    if hours <= 0:
        return 0
    cutoff = now_us - hours * 3_600_000_000
    result = conn.execute(delete(taxii_status).where(taxii_status.c.created_at < cutoff))
    return int(result.rowcount or 0)


def status_for(conn: Connection, principal: Principal, status_id: str) -> Mapping[str, Any] | None:
    """A status resource the caller's organisation created, or None (§4.3)."""
    body = conn.execute(
        select(taxii_status.c.body).where(
            taxii_status.c.id == status_id, taxii_status.c.org_id == principal.org_id
        )
    ).scalar()
    return None if body is None else orjson.loads(body)
