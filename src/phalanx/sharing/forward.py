"""Forward (re-share) a report one may see to further recipients, where the rules allow it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select

from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput, PolicyDenied
from phalanx.hub import Hub
from phalanx.lookup.service import visible_report
from phalanx.members.model import Principal
from phalanx.members.service import org_ids_by_name
from phalanx.policy.markings import parse_tlp
from phalanx.policy.model import Scope
from phalanx.policy.onward import may_forward
from phalanx.sharing import communities as community_service
from phalanx.sharing.explain import report_facts
from phalanx.store import reports as report_store
from phalanx.store import scopes as scope_store
from phalanx.store.tables import contributions, reports


def forward(
    hub: Hub,
    conn: Connection,
    *,
    principal: Principal,
    report_id: int,
    share_with: list[str],
    communities: list[str],
    tlp: str | None = None,
    purpose: str | None = None,
) -> dict[str, Any]:
    """Create the caller's own copy of a visible report, shared to new recipients.

    The report is read like any other read: with the purpose the caller states (default:
    the key's purpose), so a report hidden for that purpose is NotFound, never denied.
    """
    viewer = hub.viewer(principal, purpose)
    original = visible_report(hub, conn, viewer, report_id)  # NotFound when hidden
    facts = report_facts(hub, conn, report_id)
    try:
        target = parse_tlp(tlp) if tlp else facts.scope.tlp
    except ValueError as error:
        raise InvalidInput(str(error), field="tlp") from None
    scope = Scope(
        tlp=target,
        orgs=_orgs(conn, share_with),
        communities=_communities(conn, principal, communities),
    )
    decision = may_forward(
        facts,
        to_tlp=target,
        world=hub.world(conn),
        now=hub.clock(),
        to_orgs=scope.orgs,
        to_communities=scope.communities,
    )
    if not decision:
        raise PolicyDenied(
            f"report {report_id} may not be shared onward: {decision.reason}", rule=decision.rule
        )
    scope_id = scope_store.get_or_create(conn, hub.db, scope)
    at = to_micros(hub.clock())
    public_id = str(uuid.uuid4())
    contribution_id = conn.execute(
        insert(contributions).values(
            public_id=public_id,
            org_id=principal.org_id,
            api_key_id=principal.key_db_id,
            format="forward",
            created_at=at,
            item_count=1,
            new_count=0,
            known_count=1,
            rejected_count=0,
        )
    ).inserted_primary_key[0]
    row = conn.execute(select(reports).where(reports.c.id == report_id)).one()
    report_store.add_many(
        conn,
        hub.db,
        [
            (
                row.observable_id,
                principal.org_id,
                contribution_id,
                scope_id,
                row.kind,
                target.value,
                row.pap,
                row.labels,
                row.confidence,
                at,
                row.valid_until,
                None,
                False,
                None,
                row.victim_country,
                at,
                at,
            )
        ],
    )
    record(
        conn,
        hub.db,
        action="report.forward",
        at=at,
        actor_org_id=principal.org_id,
        actor=principal.key_id,
        subject=f"report:{report_id}",
        details={
            "tlp": target.value,
            "share_with": sorted(share_with),
            "communities": sorted(communities),
            "contribution": public_id,
        },
    )
    return {
        "forwarded": report_id,
        "contribution_id": public_id,
        "tlp": target.value,
        "value": original.value,
        "type": original.type.value,
    }


def _orgs(conn: Connection, names: list[str]) -> frozenset[int]:
    directory = org_ids_by_name(conn)
    missing = [n for n in names if n.strip().casefold() not in directory]
    if missing:
        raise InvalidInput(f"unknown organisation {missing[0]!r}", field="share_with")
    return frozenset(directory[n.strip().casefold()] for n in names)


def _communities(conn: Connection, principal: Principal, names: list[str]) -> frozenset[int]:
    known = community_service.ids_by_name(conn)
    mine = community_service.memberships(conn, principal.org_id)
    ids = set()
    for name in names:
        community_id = known.get(name.strip().lower())
        if community_id is None or community_id not in mine:
            raise InvalidInput(f"{name!r} is not a community of the caller", field="communities")
        ids.add(community_id)
    return frozenset(ids)
