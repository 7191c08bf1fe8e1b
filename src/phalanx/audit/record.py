"""Append to and read the audit chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select

from phalanx.audit.model import (
    GENESIS,
    AuditEntry,
    ChainVerdict,
    canonical_details,
    entry_hash,
    verify_chain,
)
from phalanx.store.db import Database
from phalanx.store.tables import audit_events


def record(
    conn: Connection,
    db: Database,
    *,
    action: str,
    at: int,
    actor_org_id: int | None = None,
    actor: str | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction."""
    db.lock_audit_chain(conn)
    last = conn.execute(
        select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.hash
    text = canonical_details(details or {})
    sealed = entry_hash(
        prev_hash=prev_hash,
        seq=seq,
        at=at,
        actor_org_id=actor_org_id,
        actor=actor,
        action=action,
        subject=subject,
        details=text,
    )
    entry = AuditEntry(seq, at, actor_org_id, actor, action, subject, text, prev_hash, sealed)
    conn.execute(insert(audit_events).values(**_row(entry)))
    return entry


def iter_entries(conn: Connection, *, after: int = 0, batch: int = 5_000) -> Iterator[AuditEntry]:
    """Yield entries in seq order, reading in batches."""
    while True:
        rows = conn.execute(
            select(audit_events)
            .where(audit_events.c.seq > after)
            .order_by(audit_events.c.seq)
            .limit(batch)
        ).all()
        for row in rows:
            yield AuditEntry(**row._mapping)
        if len(rows) < batch:
            return
        after = rows[-1].seq


def list_entries(
    conn: Connection, *, after: int = 0, limit: int = 100, org_id: int | None = None
) -> list[AuditEntry]:
    """Return a page of entries (optionally only those an organisation caused)."""
    query = select(audit_events).where(audit_events.c.seq > after)
    if org_id is not None:
        query = query.where(audit_events.c.actor_org_id == org_id)
    rows = conn.execute(query.order_by(audit_events.c.seq).limit(limit)).all()
    return [AuditEntry(**row._mapping) for row in rows]


def verify(conn: Connection) -> ChainVerdict:
    """Recompute the whole chain and name the first broken entry."""
    return verify_chain(iter_entries(conn))


def count(conn: Connection) -> int:
    """Return the number of entries."""
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor_org_id": entry.actor_org_id,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
