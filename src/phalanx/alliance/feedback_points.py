"""Sightings and false positives into the points ledger. Storage shell.

The sightings service calls :func:`score_sightings` in its own transaction, so a sighting and
the points it moves are stored together or not at all. A ``seen`` sighting by another member
is a bonus for every report it attached to (``ledger.record_feedback`` caps and dedupes).
One member's ``false-positive`` is only a claim — a competitor could otherwise wipe out a
rival's points alone — so the penalty waits until ``FALSE_POSITIVE_CONFIRMATIONS`` distinct
members other than the contributor have called the report a false positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from phalanx.alliance import ledger
from phalanx.alliance.scoring import FALSE_POSITIVE_CONFIRMATIONS
from phalanx.clock import from_micros
from phalanx.feedback.events import FeedbackEvent, SightingRecorded
from phalanx.store.tables import reports, sighting_reports, sightings

if TYPE_CHECKING:
    from phalanx.hub import Hub


def score_sightings(hub: Hub, conn: Connection, events: Sequence[FeedbackEvent]) -> int:
    """Write the ledger rows that ``events`` earn; return how many were written."""
    written = 0
    for event in events:
        if not isinstance(event, SightingRecorded):
            continue
        at = from_micros(event.at)
        for report_id in event.report_ids:
            if event.kind == "seen":
                kind = "sighting"
            elif event.kind == "false-positive" and _confirmed(conn, report_id):
                kind = "false-positive"
            else:
                continue
            row = ledger.record_feedback(
                hub, conn, report_id=report_id, kind=kind, by_org=event.org_id, at=at
            )
            written += row is not None
    return written


def _confirmed(conn: Connection, report_id: int) -> bool:
    """True once enough members besides the contributor called the report a false positive."""
    contributor = select(reports.c.org_id).where(reports.c.id == report_id).scalar_subquery()
    members = conn.execute(
        select(func.count(func.distinct(sightings.c.org_id)))
        .select_from(
            sightings.join(sighting_reports, sighting_reports.c.sighting_id == sightings.c.id)
        )
        .where(
            sighting_reports.c.report_id == report_id,
            sightings.c.kind == "false-positive",
            sightings.c.org_id != contributor,
        )
    ).scalar_one()
    return members >= FALSE_POSITIVE_CONFIRMATIONS
