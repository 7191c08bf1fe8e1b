"""Merge the reports one viewer may see into that viewer's view of an observable. PURE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from phalanx.clock import from_micros
from phalanx.intel.model import ObservableView, ReportView
from phalanx.observables.kinds import ObservableType
from phalanx.policy.labels import decode_labels
from phalanx.policy.markings import PAP, TLP


def report_view(row: Mapping[str, Any], *, reveal_contributor: bool) -> ReportView:
    """Build a report view from a stored row; the contributor is named only when revealed."""
    return ReportView(
        id=int(row["id"]),
        type=ObservableType(row["obs_type"]),
        value=str(row["obs_value"]),
        tlp=TLP(row["tlp"]),
        pap=PAP(row["pap"]),
        created=from_micros(row["created_at"]),
        org=str(row["org_name"]) if reveal_contributor else None,
        labels=decode_labels(row["labels"]),
        confidence=row["confidence"],
        valid_from=None if row["valid_from"] is None else from_micros(row["valid_from"]),
        valid_until=None if row["valid_until"] is None else from_micros(row["valid_until"]),
        comment=row["comment"],
    )


def merge(reports: Sequence[ReportView], last_seen: Sequence[int] = ()) -> ObservableView:
    """Merge visible reports of one observable (all must share type and value)."""
    if not reports:
        raise ValueError("an observable view needs at least one visible report")
    first = reports[0]
    labels = sorted({label for report in reports for label in report.labels})
    confidences = [r.confidence for r in reports if r.confidence is not None]
    newest = (
        max(from_micros(m) for m in last_seen) if last_seen else max(r.created for r in reports)
    )
    return ObservableView(
        type=first.type,
        value=first.value,
        first_seen=min(r.created for r in reports),
        last_seen=newest,
        reports=tuple(sorted(reports, key=lambda r: r.id)),
        labels=tuple(labels),
        tlp=min((r.tlp for r in reports), key=lambda t: t.rank),
        confidence=max(confidences) if confidences else None,
    )


def view_json(view: ObservableView) -> dict[str, Any]:
    """Return the API form of an observable view."""
    return {
        "type": view.type.value,
        "value": view.value,
        "first_seen": view.first_seen.isoformat(),
        "last_seen": view.last_seen.isoformat(),
        "tlp": view.tlp.value,
        "labels": list(view.labels),
        "confidence": view.confidence,
        "reports": [report_json(r) for r in view.reports],
    }


def report_json(report: ReportView) -> dict[str, Any]:
    """Return the API form of one report."""
    return {
        "id": report.id,
        "org": report.org,
        "tlp": report.tlp.value,
        "pap": report.pap.value,
        "labels": list(report.labels),
        "confidence": report.confidence,
        "valid_from": None if report.valid_from is None else report.valid_from.isoformat(),
        "valid_until": None if report.valid_until is None else report.valid_until.isoformat(),
        "comment": report.comment,
        "created": report.created.isoformat(),
    }
