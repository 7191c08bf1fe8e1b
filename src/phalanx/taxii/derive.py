"""Reports from TAXII objects, after the 202: the derivation queue and its worker.

A TAXII POST stores its objects and queues one job (taxii/ingest.py) naming the versions it
stored (by ``date_added``) and their places in the envelope. A job reads those versions back
and runs their indicators and SCOs through the contribution pipeline as the organisation
that posted them, in their collection's defaults, then, in the transaction that writes the
reports, links the stored versions to the contribution, adds to the status resource why an
object yielded no report, and deletes itself: every POST is derived exactly once. A revoked
indicator yields no report: in the same transaction, the organisation's reports of what it
stood for are withdrawn (taxii/withdraw.py), unless another object of the job reports them.
Only an object's newest version speaks for it: a version older than one already stored yields
no report, and a new version withdraws what its earlier versions stood for and it does not.

Jobs run one at a time, oldest first, across all processes (a lease on the oldest row says
who holds it), so reports keep the order of the POSTs. A worker that dies mid-job leaves its
lease to expire and another takes the job over; a worker that lost its lease writes nothing.
A job that fails ``MAX_ATTEMPTS`` times is given up: its objects stay stored and served, and
its status says that no reports were made and why.

Where jobs run (``PHALANX_TAXII_DERIVATION``):

- ``background`` (the default): every server process runs a ``Deriver`` thread, which
  yields to incoming POSTs (``should_derive``): a burst of POSTs is answered at full speed
  and derived just after; under a steady stream, derivation starts once the oldest job has
  waited ``PATIENCE_S``, in a process that is not answering the POSTs.
- ``inline``: the POST derives its own job before answering (the status it returns already
  carries the pipeline's remarks). Small hubs and tests.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update

from phalanx.clock import to_micros
from phalanx.formats.base import ParseProblem
from phalanx.formats.stix21.reader import read_objects
from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.ingest.withdraw import withdraw
from phalanx.members.model import Principal
from phalanx.members.service import principal_of_key
from phalanx.store import stix_objects as object_store
from phalanx.store.db import Database
from phalanx.store.tables import stix_objects, taxii_derivations, taxii_status
from phalanx.taxii.withdraw import claimed_keys, is_revoked

log = logging.getLogger("phalanx.taxii")

LEASE_S = 300  # a job takes well under a second per thousand objects
MAX_ATTEMPTS = 3
QUIET_S = 0.5
PATIENCE_S = 5.0
IDLE_POLL_S = 0.2
_j = taxii_derivations.c


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed derivation job."""

    id: int
    status_id: str
    org_id: int
    key_db_id: int
    defaults: Mapping[str, Any]
    positions: list[tuple[int, int, int]]  # (envelope position, success entry, date_added)
    first_added: int | None
    last_added: int | None
    attempts: int
    holder: str


def enqueue(
    conn: Connection,
    *,
    status_id: str,
    principal: Principal,
    defaults: Mapping[str, Any],
    positions: list[tuple[int, int, int]],
    added: list[int],
    now_us: int,
) -> int | None:
    """Queue the reports of a stored envelope; return the job id (None: nothing to derive)."""
    if not positions:
        return None
    return int(
        conn.execute(
            insert(taxii_derivations)
            .values(
                status_id=status_id,
                org_id=principal.org_id,
                key_db_id=principal.key_db_id,
                defaults=orjson.dumps(dict(defaults)),
                positions=orjson.dumps(positions),
                first_added=min(added, default=None),
                last_added=max(added, default=None),
                created_at=now_us,
                attempts=0,
            )
            .returning(_j.id)
        ).scalar_one()
    )


def derive_next(hub: Hub, holder: str) -> bool:
    """Claim and derive the oldest job; False when there is none free to claim."""
    return _claim_and_run(hub, holder, job_id=None)


def derive_job(hub: Hub, job_id: int, holder: str) -> bool:
    """Derive one job now (inline mode); False when another worker holds it or it is done."""
    return _claim_and_run(hub, holder, job_id=job_id)


def _claim_and_run(hub: Hub, holder: str, *, job_id: int | None) -> bool:
    job = _claim(hub, holder, job_id=job_id)
    if job is not None:
        _run(hub, job)
    return job is not None


@dataclass(frozen=True, slots=True)
class Queue:
    """The derivation queue at a glance."""

    jobs: int
    oldest_s: float  # how long the oldest job has waited
    newest_s: float  # how long ago the newest job came in


def queue(hub: Hub) -> Queue:
    """How many jobs wait, and for how long."""
    now_us = to_micros(hub.clock())
    with hub.db.read() as conn:
        row = conn.execute(
            select(func.count(), func.min(_j.created_at), func.max(_j.created_at))
        ).one()
    if not row[0]:
        return Queue(0, 0.0, 0.0)
    return Queue(int(row[0]), (now_us - row[1]) / 1e6, (now_us - row[2]) / 1e6)


def should_derive(waiting: Queue, *, serving: bool) -> bool:
    """Whether a worker takes the next job now.

    POSTs come first: while jobs keep arriving (the newest is under ``QUIET_S`` old), the
    queue waits until its oldest job has waited ``PATIENCE_S``. A process that is itself
    answering TAXII writes waits twice as long, so an idle process, on the other core, takes
    the work and the writes keep their core.
    """
    if waiting.jobs == 0:
        return False
    if waiting.oldest_s >= PATIENCE_S * (2 if serving else 1):
        return True
    return not serving and waiting.newest_s >= QUIET_S


def _claim(hub: Hub, holder: str, *, job_id: int | None) -> Job | None:
    """Take the lease on a job: the oldest (one at a time hub-wide) or the one named."""
    now_us = to_micros(hub.clock())
    with hub.db.transaction() as conn:
        if job_id is None:
            row = conn.execute(select(_j.id, _j.lease_until).order_by(_j.id).limit(1)).first()
        else:
            row = conn.execute(select(_j.id, _j.lease_until).where(_j.id == job_id)).first()
        if row is None or (row.lease_until is not None and row.lease_until > now_us):
            return None
        # The lease test is repeated in the UPDATE: of two claimants, the second re-reads the
        # row after the first commits (PostgreSQL) or runs after it (SQLite) and takes nothing.
        taken = conn.execute(
            update(taxii_derivations)
            .where(
                _j.id == row.id,
                (_j.lease_until.is_(None)) | (_j.lease_until <= now_us),
            )
            .values(
                lease_until=now_us + LEASE_S * 1_000_000,
                holder=holder,
                attempts=_j.attempts + 1,
            )
        )
        if taken.rowcount != 1:
            return None
        job = conn.execute(select(taxii_derivations).where(_j.id == row.id)).one()
    return Job(
        id=job.id,
        status_id=job.status_id,
        org_id=job.org_id,
        key_db_id=job.key_db_id,
        defaults=orjson.loads(job.defaults),
        positions=[(int(p), int(e), int(d)) for p, e, d in orjson.loads(job.positions)],
        first_added=job.first_added,
        last_added=job.last_added,
        attempts=job.attempts,
        holder=holder,
    )


def _run(hub: Hub, job: Job) -> None:
    """Derive a claimed job; on an error, free it for a retry or, at the last attempt, give up."""
    try:
        _derive(hub, job)
    except Exception as error:  # a job must never stop the worker; its objects are stored
        log.exception("deriving reports for TAXII status %s failed", job.status_id)
        with hub.db.transaction() as conn:
            if not _holds(conn, job):
                return
            if job.attempts < MAX_ATTEMPTS:
                conn.execute(
                    update(taxii_derivations)
                    .where(_j.id == job.id)
                    .values(lease_until=None, holder=None)
                )
                return
            reason = f"no report: deriving reports failed ({type(error).__name__})"
            _annotate(conn, job, {index: [reason] for index, _, _ in job.positions})
            conn.execute(delete(taxii_derivations).where(_j.id == job.id))


def _derive(hub: Hub, job: Job) -> None:
    principal: Principal | None = None
    prepared: pipeline.Prepared | None = None
    with hub.db.read() as conn:
        contents = _contents(conn, hub.db, [added for _, _, added in job.positions])
        read = _records(job, contents)
        records, lines, notes = read.records, read.lines, read.notes
        request = pipeline.Request(records, job.defaults, "taxii")
        earlier = _earlier_claims(conn, hub.db, job.org_id, read.replacing)
        if records or read.revoked or earlier:
            principal = principal_of_key(conn, job.key_db_id)
        if records and principal is not None:
            prepared = pipeline.prepare(hub, conn, principal=principal, request=request)
    with hub.db.transaction() as conn:
        # This transaction writes stix_objects rows (their contribution) and then the audit
        # chain; a POST locks stix_objects rows (version flags) and then the audit chain.
        # Taking the TAXII write lock first, as every writer of stix_objects does, keeps the
        # two from waiting on each other (PostgreSQL found that deadlock under load).
        object_store.lock_writes(conn, hub.db)
        if not _holds(conn, job):
            return  # the lease ran out and another worker took the job over
        if records and principal is not None:
            result = pipeline.run(
                hub, conn, principal=principal, request=request, prepared=prepared
            )
            for item, line in zip(result.items, lines, strict=True):
                if item.outcome == "rejected":
                    shown = item.value or item.input
                    notes.setdefault(line, []).append(f"no report for {shown}: {item.reason}")
            if job.first_added is not None and result.row_id is not None:
                conn.execute(
                    update(stix_objects)
                    .where(
                        stix_objects.c.date_added.between(job.first_added, job.last_added),
                        stix_objects.c.org_id == job.org_id,
                    )
                    .values(contribution_id=result.row_id)
                )
        if (read.revoked or earlier) and principal is not None:
            _withdraw_stale(hub, conn, job, principal, read, earlier)
        _annotate(conn, job, notes)
        conn.execute(delete(taxii_derivations).where(_j.id == job.id))
    if records:
        hub.db.grew("observables", len(records))
        hub.db.grew("reports", len(records))


def _withdraw_stale(
    hub: Hub,
    conn: Connection,
    job: Job,
    principal: Principal,
    read: _Read,
    earlier: Mapping[int, set[int]],
) -> None:
    """Withdraw what the job's newest versions no longer stand for, but what it reports.

    A revoked indicator stands for nothing any more; a new version of an object stands for
    its own pattern only, so what its earlier versions claimed beyond that goes (a pattern
    corrected from one address to another no longer reports the first).
    """
    kept = claimed_keys(read.reported)
    at = to_micros(hub.clock())
    for index in sorted(read.revoked.keys() | earlier.keys()):
        revoked = read.revoked.get(index)
        obj = revoked if revoked is not None else read.replacing[index]
        gone = earlier.get(index, set()) | (claimed_keys([obj]) if revoked else set())
        gone -= kept
        if revoked is None and not gone:
            continue  # the new version stands for all its earlier versions did
        withdrawn = withdraw(
            hub,
            conn,
            org_id=job.org_id,
            keys=gone,
            at=at,
            actor_org_id=principal.org_id,
            actor=principal.key_id,
            subject=str(obj.get("id")),
            why="revoked" if revoked is not None else "superseded",
        )
        if revoked is not None:
            remark = f"revoked: {withdrawn} report(s) withdrawn" if withdrawn else "revoked"
        elif withdrawn:
            remark = f"superseded: {withdrawn} report(s) of earlier versions withdrawn"
        else:
            continue
        read.notes.setdefault(index, []).append(remark)


@dataclass(slots=True)
class _Read:
    """A job's stored objects, read back for the pipeline."""

    records: list[dict[str, Any]]  # pipeline records
    lines: list[int]  # each record's envelope position
    notes: dict[int, list[str]]  # remarks by envelope position
    revoked: dict[int, dict[str, Any]]  # revoked indicators by envelope position
    reported: list[dict[str, Any]]  # the other objects
    replacing: dict[int, dict[str, Any]]  # newest versions of a longer history, by position


class _Version(NamedTuple):
    content: bytes
    latest: bool  # the newest version of its object (from its organisation)
    first: bool  # the oldest


def _records(job: Job, contents: Mapping[int, _Version]) -> _Read:
    """The pipeline records of a job's stored objects, their envelope positions, and remarks.

    Only an object's newest version speaks for it: a version older than one already stored
    (sent late, or twice in one envelope) yields no report.
    """
    notes: dict[int, list[str]] = {}
    present: list[int] = []  # envelope positions of the objects still stored
    chosen: list[Any] = []
    revoked: dict[int, dict[str, Any]] = {}
    replacing: dict[int, dict[str, Any]] = {}
    for index, _, added in job.positions:
        version = contents.get(added)
        if version is None:
            notes[index] = ["no report: the object was deleted before its reports were made"]
            continue
        if not version.latest:
            notes[index] = ["no report: a later version of this object is stored"]
            continue
        obj = orjson.loads(version.content)
        if not version.first:
            replacing[index] = obj
        if obj.get("type") == "indicator" and is_revoked(obj):
            revoked[index] = obj
            continue
        present.append(index)
        chosen.append(obj)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for item in read_objects(chosen):
        line = (item.line if isinstance(item, ParseProblem) else item.get("_line")) or 0
        index = present[line - 1]
        if isinstance(item, ParseProblem):
            notes.setdefault(index, []).append(f"no report: {item.reason}")
            continue
        records.append(item)
        lines.append(index)
    return _Read(records, lines, notes, revoked, chosen, replacing)


def _earlier_claims(
    conn: Connection, db: Database, org_id: int, replacing: Mapping[int, Mapping[str, Any]]
) -> dict[int, set[int]]:
    """What the earlier versions of each replacing object stood for, by envelope position."""
    positions: dict[str, list[int]] = {}
    for index, obj in replacing.items():
        positions.setdefault(str(obj.get("id")), []).append(index)
    ids = sorted(positions)
    older: dict[str, list[bytes]] = {}
    for start in range(0, len(ids), object_store.CHUNK):
        matching, params = db.any_of("stix_id", ids[start : start + object_store.CHUNK])
        rows = conn.exec_driver_sql(
            "SELECT stix_id, content FROM stix_objects"
            f" WHERE org_id = {db.param} AND NOT is_latest AND {matching}",
            (org_id, *params),
        )
        for stix_id, content in rows:
            older.setdefault(stix_id, []).append(bytes(content))
    claims: dict[int, set[int]] = {}
    for stix_id, contents in older.items():
        keys = claimed_keys(orjson.loads(content) for content in contents)
        if keys:
            claims.update((index, keys) for index in positions[stix_id])
    return claims


def _contents(conn: Connection, db: Database, moments: list[int]) -> dict[int, _Version]:
    """The stored versions by their date_added (the deleted ones are missing)."""
    found: dict[int, _Version] = {}
    for start in range(0, len(moments), object_store.CHUNK):
        matching, params = db.any_of("date_added", moments[start : start + object_store.CHUNK])
        rows = conn.exec_driver_sql(
            f"SELECT date_added, content, is_latest, is_first FROM stix_objects WHERE {matching}",
            tuple(params),
        )
        found.update(
            (moment, _Version(bytes(content), bool(latest), bool(first)))
            for moment, content, latest, first in rows
        )
    return found


def _holds(conn: Connection, job: Job) -> bool:
    """True while ``job`` is still this worker's (the row locked until the transaction ends)."""
    holder = conn.execute(
        select(_j.holder).where(_j.id == job.id).with_for_update()
    ).scalar_one_or_none()
    return holder == job.holder


def _annotate(conn: Connection, job: Job, notes: Mapping[int, list[str]]) -> None:
    """Add the remarks to the objects' entries in the status resource (if it still exists)."""
    entries = {entry: notes[index] for index, entry, _ in job.positions if notes.get(index)}
    if not entries:
        return
    body = conn.execute(
        select(taxii_status.c.body).where(taxii_status.c.id == job.status_id)
    ).scalar_one_or_none()
    if body is None:
        return  # expired
    status = orjson.loads(body)
    for entry, remarks in entries.items():
        detail = status["successes"][entry]
        detail["message"] = "; ".join(
            ([detail["message"]] if "message" in detail else []) + remarks
        )
    conn.execute(
        update(taxii_status)
        .where(taxii_status.c.id == job.status_id)
        .values(body=orjson.dumps(status))
    )


def holder_name() -> str:
    """A name for this worker that no other process shares."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Deriver:
    """A server process's background worker for the derivation queue."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.holder = holder_name()
        self._stop = threading.Event()
        self._busy_until = 0.0
        self._thread = threading.Thread(target=self._loop, name="taxii-deriver", daemon=True)

    def start(self) -> None:
        """Start working the queue."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job at hand and stop (an unfinished job's lease lets others resume it)."""
        self._stop.set()
        self._thread.join(timeout)

    def noted_write(self) -> None:
        """This process just stored a TAXII POST: leave its job to idle workers for a moment."""
        self._busy_until = time.monotonic() + QUIET_S

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self._turn()
            except Exception:  # the store may be briefly unreachable; try again later
                log.exception("the TAXII derivation worker failed; retrying")
                worked = False
            if not worked:
                self._stop.wait(IDLE_POLL_S)

    def _turn(self) -> bool:
        serving = time.monotonic() < self._busy_until
        if not should_derive(queue(self.hub), serving=serving):
            return False
        return derive_next(self.hub, self.holder)
