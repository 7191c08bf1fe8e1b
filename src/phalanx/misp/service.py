"""MISP export of what a viewer may see, and a feed directory on disk (I/O shells).

Every report comes from ``store.reports.iter_visible`` with the viewer's compiled plan, the
same visible-report read every export uses; attribution goes through ``to_report_view``.
Exports are audited like the other formats (``export.service``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from phalanx.clock import from_micros
from phalanx.export.service import audit_export
from phalanx.export.stix import hub_uuid
from phalanx.hub import Hub
from phalanx.lookup.service import to_report_view
from phalanx.members.model import Principal
from phalanx.misp.feed import MANIFEST, feed_files
from phalanx.misp.writer import ExportedReport, Organisation, events_for, write_response
from phalanx.policy.model import Viewer
from phalanx.store import reports as report_store
from phalanx.store.reports import ReportFilter
from phalanx.store.tables import contributions

MEDIA_TYPE = "application/json"


def hub_organisation(hub: Hub) -> Organisation:
    """The hub as a MISP organisation (the same uuid as its STIX identity)."""
    name = hub.settings.hub_name
    return Organisation(name, str(hub_uuid(name)))


def start_export(
    hub: Hub, *, principal: Principal, viewer: Viewer, filters: ReportFilter
) -> Iterator[bytes]:
    """Audit the export, then return the stream of ``{"response": [events]}``."""
    audit_export(hub, principal=principal, viewer=viewer, fmt="misp", filters=filters)
    return write_response(visible_events(hub, viewer, filters))


def visible_events(hub: Hub, viewer: Viewer, filters: ReportFilter) -> Iterator[dict[str, Any]]:
    """The MISP events of the reports ``viewer`` may see (see ``writer.py`` for grouping)."""
    return events_for(_exported(hub, viewer, filters), hub=hub_organisation(hub))


def _exported(hub: Hub, viewer: Viewer, filters: ReportFilter) -> Iterator[ExportedReport]:
    with hub.db.read() as conn:
        plan = hub.plan(conn, viewer)
        public_ids: dict[int, str] = {}
        for batch in report_store.iter_visible(conn, plan, filters, by_contribution=True):
            _learn_public_ids(conn, batch, public_ids)
            for row in batch:
                view = to_report_view(hub, viewer, row)
                org = None
                if view.org is not None:
                    org = Organisation(view.org, str(row["org_uuid"]))
                yield ExportedReport(
                    report=view,
                    contribution=public_ids[_int(row["contribution_id"])],
                    org=org,
                    updated=_moment(row["updated_at"]),
                )


def _learn_public_ids(
    conn: Connection, batch: list[dict[str, object]], known: dict[int, str]
) -> None:
    wanted = {_int(row["contribution_id"]) for row in batch} - known.keys()
    if wanted:
        query = select(contributions.c.id, contributions.c.public_id).where(
            contributions.c.id.in_(sorted(wanted))
        )
        known.update({int(row_id): str(public) for row_id, public in conn.execute(query)})


def _int(raw: object) -> int:
    return int(str(raw))


def _moment(raw: object) -> datetime:
    return from_micros(_int(raw))


def write_feed(directory: Path, events: Iterable[dict[str, Any]]) -> int:
    """Write a MISP feed directory; return the number of events written.

    Each file is written to a temporary name and renamed, and the manifest last, so a feed
    fetcher polling the directory never reads a half-written file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, content in feed_files(events):
        _replace(directory / name, content)
        if name != MANIFEST and name.endswith(".json"):
            count += 1
    return count


def _replace(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
