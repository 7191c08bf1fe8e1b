"""The one decision function every read path obeys. PURE.

``decide(viewer, report, now=..., world=...)`` is the single source of truth (DESIGN: "Policy
is one function"); ``plan.py`` compiles the same rules into SQL and is tested against it.

Order of the rules:

1. Own reports: an organisation always sees what it contributed.
2. Embargo: until ``embargo_until`` only the early-access organisations see a report.
3. Agreement: a report under an agreement is visible only to its parties, while the agreement
   is in force, for its kinds, labels and purposes, in its jurisdictions, within retention, and
   (when the agreement says so) only about victims in the reader's own country.
4. Marking (TLP 2.0): CLEAR anyone; GREEN every member, or the members of the communities it
   is shared to; AMBER and AMBER+STRICT the named organisations and community members; RED
   only the named organisations or users. An organisation out of good standing loses AMBER
   reports that reach it only through a community.
"""

from __future__ import annotations

from datetime import datetime

from phalanx.policy.markings import TLP
from phalanx.policy.model import Decision, ReportFacts, Scope, Viewer, World, allow, deny


def decide(viewer: Viewer, report: ReportFacts, *, now: datetime, world: World) -> Decision:
    """May ``viewer`` see ``report`` now? Returns the deciding rule and reason."""
    if report.org_id == viewer.org_id:
        return allow("own", "the viewer's organisation contributed this report")
    scope = report.scope
    early = report.embargo_until is not None and now < report.embargo_until
    if early and viewer.org_id not in scope.early_access:
        return deny("embargo", f"embargoed until {report.embargo_until:%Y-%m-%dT%H:%M:%SZ}")
    if scope.agreement_id is not None:
        verdict = decide_agreement(viewer, scope, world, now)
        if verdict:
            verdict = decide_report_terms(viewer, report, world, now)
        if not verdict or not early:
            return verdict
    if early:
        return allow("early-access", "named for early access during the embargo")
    return decide_marking(viewer, scope, world)


def decide_agreement(viewer: Viewer, scope: Scope, world: World, now: datetime) -> Decision:
    """Decide the agreement terms that depend on the viewer, not on the report."""
    agreement = world.agreements.get(scope.agreement_id or -1)
    if agreement is None or not agreement.active(now):
        return deny("agreement-inactive", "the agreement is not in force")
    if viewer.org_id not in agreement.parties:
        return deny("not-a-party", "the viewer is not a party to the agreement")
    if viewer.purpose not in agreement.purposes:
        return deny("purpose", f"the agreement does not allow the purpose {viewer.purpose!r}")
    if agreement.jurisdictions and viewer.country not in agreement.jurisdictions:
        return deny("jurisdiction", f"the agreement does not allow recipients in {viewer.country}")
    if scope.tlp is TLP.RED and (scope.orgs or scope.users) and not _named(viewer, scope):
        return deny("not-a-recipient", "TLP:RED names other recipients")
    return allow("agreement", f"shared under agreement {agreement.id} ({agreement.name})")


def decide_report_terms(
    viewer: Viewer, report: ReportFacts, world: World, now: datetime
) -> Decision:
    """Decide the agreement terms that depend on the report (kind, labels, victim, age)."""
    agreement = world.agreements[report.scope.agreement_id or -1]
    if agreement.kinds and report.kind not in agreement.kinds:
        return deny("kind", f"the agreement does not cover {report.kind.value} observables")
    if agreement.labels and not (agreement.labels & report.labels):
        return deny("label", "the report carries none of the agreement's labels")
    own = report.victim_country is not None and report.victim_country == viewer.country
    if agreement.own_victims_only and not own:
        return deny("victim-country", "the agreement covers victims in the viewer's country only")
    cutoff = agreement.retention_cutoff(now)
    if cutoff is not None and report.created <= cutoff:
        return deny(
            "retention", f"past the agreement's retention of {agreement.retention_days} days"
        )
    return allow("agreement", f"shared under agreement {agreement.id} ({agreement.name})")


def decide_marking(viewer: Viewer, scope: Scope, world: World) -> Decision:
    """Decide by the TLP marking, recipients and communities (no agreement, no embargo)."""
    tlp = scope.tlp
    if tlp is TLP.CLEAR:
        return allow("tlp-clear", "TLP:CLEAR may be shared with anyone")
    if _named(viewer, scope):
        return allow("named-recipient", f"{tlp.label} names the viewer as a recipient")
    if tlp is TLP.RED:
        return deny("not-a-recipient", "TLP:RED is limited to its named recipients")
    if tlp is TLP.GREEN and not scope.communities:
        return allow("tlp-green", "TLP:GREEN without communities is shared with every member")
    if not world.in_community(viewer.org_id, scope.communities):
        return deny("not-a-recipient", f"{tlp.label} is limited to its recipients and communities")
    if tlp is not TLP.GREEN and viewer.org_id in world.restricted:
        return deny("standing", "out of good standing: AMBER community intelligence is withheld")
    return allow("community", f"{tlp.label} is shared to a community of the viewer")


def _named(viewer: Viewer, scope: Scope) -> bool:
    return viewer.org_id in scope.orgs or (
        viewer.user_id is not None and viewer.user_id in scope.users
    )
