"""Phalanx reports as STIX 2.1 indicators (STIX 2.1 §4.7; spec-notes §2.4). PURE.

One report becomes one indicator, so each carries its own markings (spec-notes §2.6: "keep one
IOC per indicator when you need per-IOC markings"): the TLP 2.0 marking and the PAP statement
marking in ``object_marking_refs``. Ids and times come in as arguments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from phalanx.clock import format_stix_timestamp
from phalanx.formats.stix21.labels import attack_references, indicator_types_for
from phalanx.formats.stix21.markings import PAP_IDS, TLP2_IDS
from phalanx.formats.stix21.patterns import pattern_for, pattern_type_for
from phalanx.intel.model import ReportView
from phalanx.observables.model import Observable

NAME_LENGTH = 120


def indicator_for_report(
    report: ReportView,
    *,
    created_by_ref: str | None,
    indicator_id: str,
    modified: datetime | None = None,
) -> dict[str, Any]:
    """Return a STIX 2.1 indicator for one report (``modified`` defaults to its creation)."""
    obs = Observable(report.type, report.value)
    valid_from = format_stix_timestamp(report.valid_from or report.created)
    indicator: dict[str, Any] = {"type": "indicator", "spec_version": "2.1", "id": indicator_id}
    if created_by_ref is not None:
        indicator["created_by_ref"] = created_by_ref
    indicator["created"] = format_stix_timestamp(report.created)
    indicator["modified"] = format_stix_timestamp(modified or report.created)
    indicator["name"] = indicator_name(obs)
    # validator check 303: indicators SHOULD have both name and description.
    indicator["description"] = report.comment or _default_description(report)
    _put(indicator, "indicator_types", indicator_types_for(report.labels))
    indicator["pattern"] = pattern_for(obs)
    indicator["pattern_type"] = pattern_type_for(obs)
    if indicator["pattern_type"] == "stix":
        indicator["pattern_version"] = "2.1"
    indicator["valid_from"] = valid_from
    if report.valid_until is not None:
        valid_until = format_stix_timestamp(report.valid_until)
        if valid_until > valid_from:  # §4.7: MUST be later; same-width UTC strings sort as times
            indicator["valid_until"] = valid_until
    _put(indicator, "labels", list(report.labels))
    if report.confidence is not None:
        indicator["confidence"] = report.confidence
    _put(indicator, "external_references", attack_references(report.labels))
    indicator["object_marking_refs"] = [TLP2_IDS[report.tlp], PAP_IDS[report.pap]]
    return indicator


def indicator_name(obs: Observable) -> str:
    """Return a short one-line name: ``ipv4 198.51.100.7``, rule bodies cut to one line."""
    text = " ".join(obs.value.split())
    if len(text) > NAME_LENGTH:
        text = text[: NAME_LENGTH - 1] + "…"
    return f"{obs.type.value} {text}"


def _default_description(report: ReportView) -> str:
    """A description for reports without a comment, listing the labels when there are any."""
    text = f"{report.type.value} observable shared through Phalanx"
    return f"{text} ({', '.join(report.labels)})." if report.labels else f"{text}."


def _put(target: dict[str, Any], key: str, values: list[Any]) -> None:
    """Set a list property only when non-empty: STIX lists hold at least one item (§2.12)."""
    if values:
        target[key] = values
