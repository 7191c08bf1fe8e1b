"""Read services. Every read compiles the viewer's plan and filters in SQL with it.

An observable whose reports the viewer may not see does not exist for that viewer: the
single lookup raises the very same NotFound as for a value never seen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection

from phalanx.errors import NotFound
from phalanx.hub import Hub
from phalanx.intel.merge import merge, report_view
from phalanx.intel.model import ObservableView, ReportView
from phalanx.observables.ids import observable_key
from phalanx.observables.model import Observable
from phalanx.policy.attribution import reveals_contributor
from phalanx.policy.model import Viewer
from phalanx.policy.plan import VisibilityPlan
from phalanx.store import reports as report_store
from phalanx.store.reports import ReportFilter


def get_observable(hub: Hub, conn: Connection, viewer: Viewer, obs: Observable) -> ObservableView:
    """Return the viewer's merged view of one observable; NotFound when it sees none."""
    views = views_for_keys(hub, conn, viewer, hub.plan(conn, viewer), [observable_key(obs)])
    if not views:
        raise not_found(obs)
    return next(iter(views.values()))


def not_found(obs: Observable) -> NotFound:
    """The one NotFound for an observable, whether unknown or hidden."""
    return NotFound(f"no observable {obs.type.value}:{obs.value}")


def lookup_many(
    hub: Hub, conn: Connection, viewer: Viewer, wanted: Sequence[Observable]
) -> list[ObservableView]:
    """Return the views of the observables the viewer may see, in request order."""
    keys = list(dict.fromkeys(observable_key(obs) for obs in wanted))
    views = views_for_keys(hub, conn, viewer, hub.plan(conn, viewer), keys)
    return [views[key] for key in keys if key in views]


def page(
    hub: Hub,
    conn: Connection,
    viewer: Viewer,
    filters: ReportFilter,
    *,
    after: int | None,
    limit: int,
) -> tuple[list[ObservableView], int | None]:
    """Return one page of observables and the cursor of the next page (None at the end)."""
    plan = hub.plan(conn, viewer)
    keys = report_store.page_keys(conn, plan, filters, after=after, limit=limit)
    views = views_for_keys(hub, conn, viewer, plan, keys)
    return [views[key] for key in keys if key in views], (keys[-1] if len(keys) == limit else None)


def views_for_keys(
    hub: Hub, conn: Connection, viewer: Viewer, plan: VisibilityPlan, keys: Sequence[int]
) -> dict[int, ObservableView]:
    """Merge the visible reports of each observable key into a view."""
    grouped: dict[int, list[ReportView]] = defaultdict(list)
    updated: dict[int, list[int]] = defaultdict(list)
    for row in report_store.for_keys(conn, plan, keys):
        key = int(str(row["observable_id"]))
        grouped[key].append(to_report_view(hub, viewer, row))
        updated[key].append(int(str(row["updated_at"])))
    return {key: merge(reports, updated[key]) for key, reports in grouped.items()}


def to_report_view(hub: Hub, viewer: Viewer, row: dict[str, object]) -> ReportView:
    """Build a report view with the attribution rule applied for this viewer."""
    reveal = reveals_contributor(
        viewer,
        contributor_org=int(str(row["org_id"])),
        anonymous=bool(row["anonymous"]),
        admins_see_anonymous=hub.settings.admins_see_anonymous,
    )
    return report_view(row, reveal_contributor=reveal)


def visible_report(hub: Hub, conn: Connection, viewer: Viewer, report_id: int) -> ReportView:
    """Return one report the viewer may see; the same NotFound whether hidden or absent."""
    rows = report_store.by_ids(conn, hub.plan(conn, viewer), [report_id])
    if not rows:
        raise NotFound(f"no report {report_id}")
    return to_report_view(hub, viewer, rows[0])


def statistics(hub: Hub, conn: Connection, viewer: Viewer) -> dict[str, object]:
    """Counts of what the viewer may see, by type and by TLP (policy-filtered like reads)."""
    plan = hub.plan(conn, viewer)
    by_type, by_tlp, total, observables = report_store.counts(conn, plan)
    return {"reports": total, "observables": observables, "by_type": by_type, "by_tlp": by_tlp}
