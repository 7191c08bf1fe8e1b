"""Stream a viewer's visible reports in a chosen format; every export is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator

from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.errors import Unsupported
from phalanx.export.stix import write_stix
from phalanx.export.writers import write_csv, write_text
from phalanx.hub import Hub
from phalanx.intel.model import ReportView
from phalanx.lookup.service import to_report_view
from phalanx.members import service as members
from phalanx.members.model import Principal
from phalanx.policy.model import Viewer
from phalanx.store import reports as report_store
from phalanx.store.reports import ReportFilter

Writer = Callable[[Hub, Viewer, Iterable[list[ReportView]]], Iterator[bytes]]

MEDIA_TYPES = {
    "stix": "application/stix+json;version=2.1",
    "csv": "text/csv; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}


def writer_for(fmt: str) -> Writer:
    """Return the writer of an export format."""
    writers: dict[str, Writer] = {
        "stix": _stix_writer,
        "csv": lambda hub, viewer, batches: write_csv(batches),
        "text": lambda hub, viewer, batches: write_text(batches),
    }
    if fmt not in writers:
        raise Unsupported(
            f"unknown export format {fmt!r}; use one of {', '.join(writers)}", what="format"
        )
    return writers[fmt]


def start_export(
    hub: Hub, *, principal: Principal, viewer: Viewer, fmt: str, filters: ReportFilter
) -> Iterator[bytes]:
    """Audit the export, then return the stream of its bytes."""
    writer = writer_for(fmt)
    audit_export(hub, principal=principal, viewer=viewer, fmt=fmt, filters=filters)
    return writer(hub, viewer, _batches(hub, viewer, filters, by_observable=fmt == "text"))


def audit_export(
    hub: Hub, *, principal: Principal, viewer: Viewer, fmt: str, filters: ReportFilter
) -> None:
    """Record an export of ``fmt`` in the audit chain (every export format does)."""
    with hub.db.transaction() as conn:
        record(
            conn,
            hub.db,
            action="export",
            at=to_micros(hub.clock()),
            actor_org_id=principal.org_id,
            actor=principal.key_id,
            subject=f"export:{fmt}",
            details={
                "format": fmt,
                "purpose": viewer.purpose,
                "filters": {k: v for k, v in vars_of(filters).items() if v is not None},
            },
        )


def _batches(
    hub: Hub, viewer: Viewer, filters: ReportFilter, *, by_observable: bool
) -> Iterator[list[ReportView]]:
    with hub.db.read() as conn:
        plan = hub.plan(conn, viewer)
        rows = report_store.iter_visible(conn, plan, filters, by_observable=by_observable)
        for batch in rows:
            yield [to_report_view(hub, viewer, row) for row in batch]


def _stix_writer(hub: Hub, viewer: Viewer, batches: Iterable[list[ReportView]]) -> Iterator[bytes]:
    with hub.db.read() as conn:
        org_uuids = {org.name: org.uuid for org in members.list_orgs(conn)}
    return write_stix(
        batches, hub_name=hub.settings.hub_name, org_uuids=org_uuids, bundle_uuid=uuid.uuid4()
    )


def vars_of(filters: ReportFilter) -> dict[str, object]:
    """Return the filters as a plain mapping (for the audit entry)."""
    return {
        "type": filters.type,
        "label": filters.label,
        "tlp": filters.tlp,
        "since": filters.since,
    }
