"""May a recipient share a report onward? PURE.

TLP 2.0: CLEAR and GREEN may travel on (GREEN within the community); AMBER to the
recipient's organisation and its clients on a need-to-know basis; AMBER+STRICT and RED never
leave their recipients. An agreement that forbids onward sharing forbids it whatever the
marking. The forwarded copy is never marked less restrictively than the original.

Phalanx reads this as: a GREEN report shared to communities stays in them (a copy goes to
some of those communities or names their members, never other communities and never GREEN
for every member); an AMBER copy may name any organisation (the recipient's clients) but may
not be broadcast to a community the original was not shared to.
"""

from __future__ import annotations

from datetime import datetime

from phalanx.policy.markings import TLP
from phalanx.policy.model import Decision, ReportFacts, World, allow, deny


def may_forward(
    report: ReportFacts,
    *,
    to_tlp: TLP,
    world: World,
    now: datetime,
    to_orgs: frozenset[int] = frozenset(),
    to_communities: frozenset[int] = frozenset(),
) -> Decision:
    """Decide whether a recipient may re-share ``report`` with the marking ``to_tlp``."""
    scope = report.scope
    if scope.agreement_id is not None:
        agreement = world.agreements.get(scope.agreement_id)
        if agreement is None or not agreement.onward:
            return deny("no-onward", "the agreement does not allow onward sharing")
    if report.embargo_until is not None and now < report.embargo_until:
        return deny("embargo", "embargoed reports are not shared onward")
    if scope.tlp in (TLP.AMBER_STRICT, TLP.RED):
        return deny("tlp-no-onward", f"{scope.tlp.label} is never shared onward")
    if to_tlp.rank < scope.tlp.rank:
        return deny(
            "tlp-downgrade", f"a forwarded {scope.tlp.label} report cannot become {to_tlp.label}"
        )
    if scope.tlp is TLP.AMBER and not to_communities <= scope.communities:
        return deny(
            "community", "TLP:AMBER goes to named clients, not to communities it was not shared to"
        )
    if scope.tlp is TLP.GREEN and scope.communities:
        verdict = _within_communities(report, to_tlp, world, to_orgs, to_communities)
        if not verdict:
            return verdict
    return allow("onward", f"{scope.tlp.label} may be shared onward as {to_tlp.label}")


def _within_communities(
    report: ReportFacts,
    to_tlp: TLP,
    world: World,
    to_orgs: frozenset[int],
    to_communities: frozenset[int],
) -> Decision:
    scope = report.scope
    label = scope.tlp.label
    if to_tlp is TLP.GREEN and not to_communities:
        return deny("community", f"{label} shared to communities cannot go to every member")
    if not to_communities <= scope.communities:
        return deny("community", f"{label} shared to communities stays in those communities")
    if any(not world.in_community(org, scope.communities) for org in to_orgs):
        return deny("community", f"{label} may be named only to members of its communities")
    return allow("community", f"{label} stays within its communities")
