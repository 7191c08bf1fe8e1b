"""Stored standing: evaluate a member's standing, keep the policy world in step, overrides.

The stored row keeps only what the policy needs at read time — when AMBER community access
is (or will be) withheld, and an administrator's override — so the policy world never sums a
ledger. The row is refreshed whenever the member's ledger changes; the policy version is
bumped only when a cached world could be wrong (see ``_needs_bump``): a refresh that merely
pushes the restriction later is picked up when the cached moment arrives (store/world.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from phalanx.alliance import ledger
from phalanx.alliance.tiers import (
    Override,
    Standing,
    StandingRule,
    Status,
    downgraded_for_compliance,
    evaluate,
    restricted_at,
    with_override,
)
from phalanx.audit.record import record
from phalanx.clock import from_micros, to_micros
from phalanx.deployment import compliance
from phalanx.errors import InvalidInput, NotFound
from phalanx.members.service import get_org_by_id
from phalanx.settings import Settings
from phalanx.store import world as world_store
from phalanx.store.tables import alliance_standing, organisations

if TYPE_CHECKING:
    from phalanx.hub import Hub


def rule_from(settings: Settings) -> StandingRule:
    """The standing rule the hub is configured with."""
    return StandingRule(
        min_points_per_day=float(settings.standing_min_points_per_day),
        window_days=int(settings.standing_window_days),
        grace_days=int(settings.standing_grace_days),
        compliance_downgrade=settings.compliance_consequence == "downgrade",
    )


def current(hub: Hub, conn: Connection, *, org_id: int, now: datetime) -> Standing:
    """The organisation's standing at ``now`` (read only)."""
    rule = rule_from(hub.settings)
    joined = conn.execute(
        select(organisations.c.created_at).where(organisations.c.id == org_id)
    ).scalar()
    if joined is None:
        raise NotFound(f"no organisation {org_id}")
    stored = _stored(conn, org_id)
    override = None if stored is None else stored_override(stored)
    rows = ledger.entries(conn, org_id, rule.lookback(now))
    found = evaluate(rows, rule=rule, now=now, joined=from_micros(joined), override=override)
    if rule.compliance_downgrade and compliance.downgraded(
        conn, get_org_by_id(conn, org_id), policy=compliance.policy_from(hub.settings), now=now
    ):
        return downgraded_for_compliance(found, now)
    return found


def refresh(hub: Hub, conn: Connection, *, org_id: int, now: datetime) -> Standing:
    """Re-evaluate and store the organisation's standing (after its ledger changed)."""
    standing = current(hub, conn, org_id=org_id, now=now)
    old = _stored(conn, org_id)
    restricted_from = (
        None if standing.restricted_from is None else to_micros(standing.restricted_from)
    )
    values = {"restricted_from": restricted_from, "evaluated_at": to_micros(now)}
    if old is None:
        conn.execute(alliance_standing.insert().values(org_id=org_id, **values))
    else:
        conn.execute(
            alliance_standing.update().where(alliance_standing.c.org_id == org_id).values(**values)
        )
    if _needs_bump(old, restricted_from, now):
        world_store.bump(conn)
    return standing


def set_override(
    hub: Hub,
    conn: Connection,
    *,
    org_id: int,
    status: str | None,
    reason: str,
    until: datetime | None,
    now: datetime,
    actor_org_id: int | None,
    actor: str,
) -> Standing:
    """Force (``good``/``restricted``) or clear (None) an organisation's standing; audited."""
    if not reason.strip():
        raise InvalidInput("an override needs a reason", field="reason")
    if status is not None and status not in (Status.GOOD, Status.RESTRICTED):
        raise InvalidInput("must be good, restricted or null (clear)", field="status")
    if until is not None and until <= now:
        raise InvalidInput("must be in the future", field="until")
    refresh(hub, conn, org_id=org_id, now=now)
    values: dict[str, Any] = {
        "override_status": status,
        "override_reason": reason.strip() if status else None,
        "override_at": to_micros(now) if status else None,
        "override_until": None if until is None or not status else to_micros(until),
    }
    conn.execute(
        alliance_standing.update().where(alliance_standing.c.org_id == org_id).values(**values)
    )
    world_store.bump(conn)
    record(
        conn,
        hub.db,
        action="standing.override" if status else "standing.override-cleared",
        at=to_micros(now),
        actor_org_id=actor_org_id,
        actor=actor,
        subject=f"organisation:{org_id}",
        details={
            "status": status,
            "reason": reason.strip(),
            "until": None if until is None else until.isoformat(),
        },
    )
    standing = current(hub, conn, org_id=org_id, now=now)
    return with_override(standing, standing.override, now)


def refresh_all(hub: Hub, conn: Connection, *, now: datetime) -> int:
    """Re-evaluate every organisation (after the rule changed); return how many."""
    ids = list(conn.execute(select(organisations.c.id)).scalars())
    for org_id in ids:
        refresh(hub, conn, org_id=org_id, now=now)
    world_store.bump(conn)
    return len(ids)


def stored_override(row: Any) -> Override | None:
    """The override kept in a stored standing row, if any."""
    if not row["override_status"]:
        return None
    until = row["override_until"]
    return Override(
        status=Status(row["override_status"]),
        reason=row["override_reason"] or "",
        at=from_micros(row["override_at"]),
        until=None if until is None else from_micros(until),
    )


def standing_json(standing: Standing, *, org_id: int, rule: StandingRule) -> dict[str, Any]:
    """The API form of a standing."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    override = standing.override
    return {
        "org_id": org_id,
        "status": standing.status.value,
        "rule": {
            "enabled": rule.enabled,
            "min_points_per_day": rule.min_points_per_day,
            "window_days": rule.window_days,
            "grace_days": rule.grace_days,
            "compliance_downgrade": rule.compliance_downgrade,
        },
        "non_compliant": standing.non_compliant,
        "points_in_window": standing.points,
        "average_per_day": standing.average_per_day,
        "required_per_day": standing.required_per_day,
        "gap_points": standing.gap_points,
        "trend": {
            "direction": standing.trend,
            "previous_average_per_day": standing.previous_average_per_day,
        },
        "below_since": when(standing.below_since),
        "restricted_from": when(standing.restricted_from),
        "computed_status": standing.computed_status.value,
        "override": None
        if override is None
        else {
            "status": override.status.value,
            "reason": override.reason,
            "at": override.at.isoformat(),
            "until": when(override.until),
        },
        "withheld_while_restricted": (
            "TLP:AMBER and AMBER+STRICT reports of other organisations that reach you only "
            "through a community"
        ),
    }


def _stored(conn: Connection, org_id: int) -> Any:
    row = conn.execute(
        select(alliance_standing).where(alliance_standing.c.org_id == org_id)
    ).first()
    return None if row is None else row._mapping


def _needs_bump(old: Any, restricted_from: int | None, now: datetime) -> bool:
    # Cached worlds assume the stored restriction moment (or, without a row, the default one
    # from the join date). A moment that moved later is re-read when the cached one arrives;
    # one that moved earlier, appeared, or vanished while restricted must reach them now.
    if old is None:
        return True
    before = old["restricted_from"]
    if before == restricted_from:
        return False
    moment = to_micros(now)
    if restricted_from is None:
        return before is not None and before <= moment
    if before is None:
        return True
    override = stored_override(old)
    was = restricted_at(from_micros(before), override, now)
    will = restricted_at(from_micros(restricted_from), override, now)
    return was != will or restricted_from < before
