"""The compiled plan (what storage turns into SQL) admits exactly what ``decide()`` allows.

Pure and fast, so it runs on the most worlds: every viewer's plan is compiled (or taken from
the hub's plan cache after being compiled at an earlier moment) and its clauses are evaluated
report by report, the way ``store/visibility.py`` renders them, against ``decide``. Worlds
here also have organisations out of good standing (``test_standing_property.py`` checks them
on real stores).
The SQL rendering itself is checked on real stores by ``test_read_paths_property.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given

from phalanx.hub import PlanCache
from phalanx.policy.model import ReportFacts
from phalanx.policy.plan import Embargo, VisibilityPlan, compile_plan

from .profiles import policy_settings
from .worlds import NOW, Ids, WorldSpec, allowed, policy_world, report_facts, scope, viewer, worlds


def clause_allows(plan: VisibilityPlan, scope_id: int, facts: ReportFacts) -> bool:
    """Evaluate a plan for one live report, as visibility.py's SQL does."""
    if facts.org_id == plan.org_id:
        return True
    embargoed = facts.embargo_until is not None and plan.now < facts.embargo_until
    for clause in plan.clauses:
        if scope_id not in clause.scopes:
            continue
        if clause.embargo is Embargo.LIFTED and embargoed:
            continue
        if clause.embargo is Embargo.ACTIVE and not embargoed:
            continue
        if clause.kinds and facts.kind.value not in clause.kinds:
            continue
        if clause.labels and not clause.labels & facts.labels:
            continue
        if clause.victim_country is not None and (
            not clause.victim_country or facts.victim_country != clause.victim_country
        ):
            continue
        if clause.retention_days is not None and facts.created <= plan.now - timedelta(
            days=clause.retention_days
        ):
            continue
        return True
    return False


def plan_for(spec: WorldSpec, ids: Ids, index: int, now: datetime) -> VisibilityPlan:
    """The plan the hub would use at ``now``: from its cache when compiled earlier."""
    who = viewer(spec, ids, index)
    world = policy_world(spec, ids)
    scopes = {ids.scopes[i]: scope(spec, ids, i) for i in range(len(spec.scopes))}
    warm = spec.viewers[index].warm
    if warm is not None:
        cache = PlanCache()
        cache.put(who, world, len(scopes), compile_plan(who, scopes, world, now + warm))
        cached = cache.get(who, world, len(scopes), now)
        if cached is not None:
            assert cached.now == now
            return cached
    return compile_plan(who, scopes, world, now)


@policy_settings("plan")
@given(spec=worlds(restricted=True))
def test_compiled_plan_admits_exactly_what_decide_allows(spec: WorldSpec) -> None:
    ids = Ids.made_up(spec)
    for index in range(len(spec.viewers)):
        plan = plan_for(spec, ids, index, NOW)
        expected = allowed(spec, ids, viewer(spec, ids, index), live_only=False)
        admitted = {
            r
            for r, report in enumerate(spec.reports)
            if clause_allows(plan, ids.scopes[report.scope], report_facts(spec, ids, r))
        }
        assert admitted == expected, (index, plan)
