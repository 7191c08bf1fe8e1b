"""Why can (or cannot) an organisation see a report? The admin's view of ``decide``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from phalanx.clock import from_micros
from phalanx.errors import NotFound
from phalanx.hub import Hub
from phalanx.members.service import get_org
from phalanx.observables.kinds import ObservableType
from phalanx.policy.decide import decide
from phalanx.policy.labels import decode_labels
from phalanx.policy.model import ReportFacts, Viewer
from phalanx.store.tables import reports


def report_facts(hub: Hub, conn: Connection, report_id: int) -> ReportFacts:
    """Load the policy facts of one report; raise NotFound."""
    row = conn.execute(select(reports).where(reports.c.id == report_id)).first()
    if row is None or row.revoked_at is not None:
        raise NotFound(f"no report {report_id}", field="report")
    return ReportFacts(
        org_id=row.org_id,
        scope=hub.scopes.all(conn)[row.scope_id],
        kind=ObservableType(row.kind),
        created=from_micros(row.created_at),
        labels=frozenset(decode_labels(row.labels)),
        embargo_until=None if row.embargo_until is None else from_micros(row.embargo_until),
        victim_country=row.victim_country,
    )


def explain(
    hub: Hub, conn: Connection, *, org: str, report_id: int, purpose: str | None = None
) -> dict[str, Any]:
    """Return the decision for an organisation and a report, with its rule and reason."""
    organisation = get_org(conn, org)
    viewer = Viewer(
        org_id=organisation.id,
        country=organisation.country,
        purpose=purpose or hub.settings.default_purpose,
    )
    decision = decide(
        viewer, report_facts(hub, conn, report_id), now=hub.clock(), world=hub.world(conn)
    )
    return {
        "org": organisation.name,
        "report": report_id,
        "purpose": viewer.purpose,
        "allowed": decision.allowed,
        "rule": decision.rule,
        "reason": decision.reason,
    }
