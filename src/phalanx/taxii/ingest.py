"""Add Objects (TAXII 2.1 §5.5): an envelope into the object store and the contribution pipeline.

Two stages, like REST contributions (ingest/pipeline.py): ``prepare_post`` parses, checks and
normalises in a read transaction (the costly CPU work, several workers in parallel), and
``store_post`` writes in the caller's write transaction. Each object:

- fails on its own when it is not storable STIX 2.1 (the status names the object id, the
  property and why), and the rest of the envelope is kept;
- is stored verbatim as one version (store/stix_objects.py), with a scope from its TLP
  markings (the hub default, TLP:AMBER, when it has none) and from the collection (community
  collections share to their community);
- when it is an indicator or an SCO that normalises to observables, it ALSO goes through the
  contribution pipeline, so it becomes reports that REST, exports and channels serve. A value
  the pipeline refuses (a reserved address, say) does not fail the object; the status
  message says why no report was made.

Everything is written in one transaction before the 202 is sent: an acknowledged object is
durably stored, and the status resource is ``complete`` at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from phalanx.audit.record import record
from phalanx.clock import format_timestamp, parse_timestamp, to_micros
from phalanx.errors import InvalidInput
from phalanx.formats.base import ParseProblem
from phalanx.formats.stix21.objects import (
    check_storable,
    digest_of,
    spec_version_of,
    tlp_of,
    version_of,
)
from phalanx.formats.stix21.reader import read_objects
from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.members.model import Principal
from phalanx.policy.labels import encode_labels
from phalanx.policy.markings import TLP
from phalanx.policy.model import Scope
from phalanx.store import scopes as scope_store
from phalanx.store import stix_objects as object_store
from phalanx.store.tables import taxii_status
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
        version_us = None if version is None else to_micros(parse_timestamp(version))
        return cls(index, obj, tlp, version, version_us, digest_of(obj), orjson.dumps(obj))


@dataclass(slots=True)
class PreparedPost:
    """An envelope checked and normalised outside the write transaction."""

    request_timestamp: datetime
    candidates: list[Candidate]
    failures: dict[int, tuple[str, str, str]]  # index -> (id, version, message)
    notes: dict[int, list[str]]  # index -> pipeline remarks
    contribution: pipeline.Request
    prepared: pipeline.Prepared | None
    record_lines: list[int] = field(default_factory=list)  # object index per pipeline record


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


def prepare_post(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    body: bytes,
    collection: Collection,
) -> PreparedPost:
    """Check every object and normalise the observables (read transaction)."""
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
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    notes: dict[int, list[str]] = {}
    # Only storable objects are read for observables; positions map back to the envelope.
    for item in read_objects([candidate.obj for candidate in candidates]):
        line = (item.line if isinstance(item, ParseProblem) else item.get("_line")) or 0
        index = candidates[line - 1].index
        if isinstance(item, ParseProblem):
            notes.setdefault(index, []).append(f"no report: {item.reason}")
            continue
        records.append(item)
        lines.append(index)
    contribution = pipeline.Request(records, collection.defaults(), "taxii")
    prepared = (
        pipeline.prepare(hub, conn, principal=principal, request=contribution) if records else None
    )
    now = prepared.now if prepared else hub.clock()
    return PreparedPost(now, candidates, failures, notes, contribution, prepared, lines)


def store_post(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    post: PreparedPost,
    collection: Collection,
) -> dict[str, Any]:
    """Contribute the observables, store every object version, record and return the status."""
    contribution_id = None
    if post.contribution.records:
        result = pipeline.run(
            hub, conn, principal=principal, request=post.contribution, prepared=post.prepared
        )
        contribution_id = result.row_id
        for item, line in zip(result.items, post.record_lines, strict=True):
            if item.outcome == "rejected":
                shown = item.value or item.input
                post.notes.setdefault(line, []).append(f"no report for {shown}: {item.reason}")
    now_us = to_micros(hub.clock())
    versions = _new_versions(hub, conn, post.candidates, collection)
    stored = object_store.add_versions(
        conn,
        hub.db,
        org_id=principal.org_id,
        contribution_id=contribution_id,
        versions=versions,
        now_us=now_us,
    )
    status = _status(post, stored)
    conn.execute(
        insert(taxii_status).values(
            id=status["id"], org_id=principal.org_id, created_at=now_us, body=orjson.dumps(status)
        )
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
    return status


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
        remarks = ([] if outcome.added else ["already stored"]) + post.notes.get(outcome.index, [])
        if remarks:
            detail["message"] = "; ".join(remarks)
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
