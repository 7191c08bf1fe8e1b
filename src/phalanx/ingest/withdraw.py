"""Withdrawing an organisation's reports: the inverse of contributing them.

A report is the organisation's claim about a value, whichever way it arrived (REST, TAXII,
MISP), so a withdrawal is about the value: the organisation's live reports of it are revoked
(store/reports.py), and no lookup, export or channel serves them again; a channel's next
version lists the value as removed. Its latest statement wins: a value it wants shared again
is simply reported again. The reports are kept for what refers to them (sightings,
feedback); points earned stay in the ledger, and the value's credit unit stays credited, so
reporting it again earns nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from phalanx.audit.record import record
from phalanx.hub import Hub
from phalanx.store import reports as report_store


def withdraw(
    hub: Hub,
    conn: Connection,
    *,
    org_id: int,
    keys: Iterable[int],
    at: int,
    actor_org_id: int,
    actor: str,
    subject: str,
    why: str,
) -> int:
    """Revoke ``org_id``'s live reports of ``keys``, recorded in the audit chain; how many."""
    # In turn with the organisation's contributions: one re-reporting a value as it is
    # withdrawn would otherwise refresh a report the withdrawal then hides, or the reverse.
    hub.db.lock_contributions(conn, org_id)
    withdrawn = report_store.withdraw(conn, org_id, sorted(set(keys)), at)
    if withdrawn:
        record(
            conn,
            hub.db,
            action="reports.withdraw",
            at=at,
            actor_org_id=actor_org_id,
            actor=actor,
            subject=subject,
            details={"org_id": org_id, "reports": withdrawn, "why": why},
        )
    return withdrawn
