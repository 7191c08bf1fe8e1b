"""May a recipient share a report onward? PURE.

TLP 2.0: CLEAR and GREEN may travel on (GREEN within the community); AMBER to the
recipient's organisation and its clients on a need-to-know basis; AMBER+STRICT and RED never
leave their recipients. An agreement that forbids onward sharing forbids it whatever the
marking. The forwarded copy is never marked less restrictively than the original.
"""

from __future__ import annotations

from datetime import datetime

from phalanx.policy.markings import TLP
from phalanx.policy.model import Decision, ReportFacts, World, allow, deny


def may_forward(report: ReportFacts, *, to_tlp: TLP, world: World, now: datetime) -> Decision:
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
    return allow("onward", f"{scope.tlp.label} may be shared onward as {to_tlp.label}")
