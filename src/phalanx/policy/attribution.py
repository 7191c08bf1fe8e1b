"""Who may learn a report's contributor. PURE.

Named reports show their contributor to whoever may see the report. Anonymous reports show
it only to the contributor's own organisation and, when the operator configures it, to hub
admins; everyone else sees no organisation (and STIX shows the hub's identity).
"""

from __future__ import annotations

from phalanx.policy.model import Viewer


def reveals_contributor(
    viewer: Viewer, *, contributor_org: int, anonymous: bool, admins_see_anonymous: bool
) -> bool:
    """True when ``viewer`` may learn which organisation contributed the report."""
    if not anonymous or viewer.org_id == contributor_org:
        return True
    return viewer.hub_admin and admins_see_anonymous
