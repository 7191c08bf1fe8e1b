"""Why can (or cannot) an organisation see a report? The admin's view of ``decide``.

An anonymous report's contributor is hidden from hub admins too unless the operator allows
it (``admins_see_anonymous``). Answering "own" for one organisation would single the
contributor out, so for such a report the question is answered for every organisation as if
none of them had contributed it: the contributor gets the answer any other organisation in
its position gets (its own access is not explained).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, select

from phalanx.clock import from_micros
from phalanx.errors import InvalidInput, NotFound
from phalanx.hub import Hub
from phalanx.members.model import PURPOSES
from phalanx.members.service import get_org
from phalanx.observables.kinds import ObservableType
from phalanx.policy.attribution import reveals_contributor
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


_NOBODY = -1  # no organisation has this id


def explain(
    hub: Hub,
    conn: Connection,
    *,
    org: str,
    report_id: int,
    purpose: str | None = None,
    asker_org_id: int | None = None,
) -> dict[str, Any]:
    """Return the decision for an organisation and a report, with its rule and reason.

    ``asker_org_id`` is the hub admin's organisation (None: the operator's CLI); it decides,
    like every read, whether an anonymous report's contributor may be singled out.
    """
    clean_purpose = (purpose or hub.settings.default_purpose).strip().lower()
    if clean_purpose not in PURPOSES:
        raise InvalidInput(
            f"unknown purpose {purpose!r}; use one of {', '.join(PURPOSES)}", field="purpose"
        )
    organisation = get_org(conn, org)
    viewer = Viewer(org_id=organisation.id, country=organisation.country, purpose=clean_purpose)
    facts = report_facts(hub, conn, report_id)
    anonymous = conn.execute(
        select(reports.c.anonymous).where(reports.c.id == report_id)
    ).scalar_one()
    asker = Viewer(org_id=_NOBODY if asker_org_id is None else asker_org_id, hub_admin=True)
    if not reveals_contributor(
        asker,
        contributor_org=facts.org_id,
        anonymous=bool(anonymous),
        admins_see_anonymous=hub.settings.admins_see_anonymous,
    ):
        facts = dataclasses.replace(facts, org_id=_NOBODY)
    decision = decide(viewer, facts, now=hub.clock(), world=hub.world(conn))
    return {
        "org": organisation.name,
        "report": report_id,
        "purpose": viewer.purpose,
        "allowed": decision.allowed,
        "rule": decision.rule,
        "reason": decision.reason,
    }
