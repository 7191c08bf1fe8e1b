"""Render a policy plan (policy/plan.py) as a SQL condition on the reports table."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_

from phalanx.clock import to_micros
from phalanx.policy.labels import label_pattern
from phalanx.policy.plan import Clause, Embargo, VisibilityPlan
from phalanx.store.tables import reports


def visible(plan: VisibilityPlan) -> ColumnElement[bool]:
    """Return the WHERE condition that selects exactly the live reports the plan allows."""
    now = plan.now
    moment = to_micros(now)
    parts = [reports.c.org_id == plan.org_id]
    parts += [_clause(clause, now, moment) for clause in plan.clauses]
    return and_(reports.c.revoked_at.is_(None), or_(*parts))


def _clause(clause: Clause, now: datetime, moment: int) -> ColumnElement[bool]:
    conditions = [reports.c.scope_id.in_(sorted(clause.scopes))]
    if clause.embargo is Embargo.LIFTED:
        conditions.append(or_(reports.c.embargo_until.is_(None), reports.c.embargo_until <= moment))
    elif clause.embargo is Embargo.ACTIVE:
        conditions.append(reports.c.embargo_until > moment)
    if clause.kinds:
        conditions.append(reports.c.kind.in_(sorted(clause.kinds)))
    if clause.labels:
        patterns = [label_pattern(label) for label in sorted(clause.labels)]
        conditions.append(or_(*(reports.c.labels.like(p) for p in patterns)))
    if clause.victim_country is not None:
        if not clause.victim_country:
            return false()
        conditions.append(reports.c.victim_country == clause.victim_country)
    if clause.retention_days is not None:
        cutoff = to_micros(now - timedelta(days=clause.retention_days))
        conditions.append(reports.c.created_at > cutoff)
    return and_(*conditions)
