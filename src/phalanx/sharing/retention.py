"""Retention: purge reports older than their agreement allows, and say so in the audit chain."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, exists, func, select

from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.store.db import Database
from phalanx.store.tables import observables, reports, scopes
from phalanx.store.world import load


def run(conn: Connection, db: Database, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Delete reports past retention (per agreement) and observables left without reports."""
    purged: dict[str, int] = {}
    for agreement in load(conn).agreements.values():
        if agreement.retention_days is None:
            continue
        cutoff = to_micros(now - timedelta(days=agreement.retention_days))
        scope_ids = select(scopes.c.id).where(scopes.c.agreement_id == agreement.id)
        result = conn.execute(
            delete(reports).where(reports.c.scope_id.in_(scope_ids), reports.c.created_at <= cutoff)
        )
        if result.rowcount:
            purged[str(agreement.id)] = int(result.rowcount)
    orphans = conn.execute(
        delete(observables).where(~exists().where(reports.c.observable_id == observables.c.id))
    ).rowcount
    summary = {"reports": purged, "total": sum(purged.values()), "observables": int(orphans or 0)}
    record(
        conn,
        db,
        action="retention.purge",
        at=to_micros(now),
        actor=actor,
        subject="retention",
        details=summary,
    )
    return summary


def due(conn: Connection, *, now: datetime) -> int:
    """Count reports already past retention (what the next run would purge)."""
    total = 0
    for agreement in load(conn).agreements.values():
        if agreement.retention_days is None:
            continue
        cutoff = to_micros(now - timedelta(days=agreement.retention_days))
        scope_ids = select(scopes.c.id).where(scopes.c.agreement_id == agreement.id)
        total += conn.execute(
            select(func.count()).where(
                reports.c.scope_id.in_(scope_ids), reports.c.created_at <= cutoff
            )
        ).scalar_one()
    return total
