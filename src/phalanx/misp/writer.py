"""Visible reports -> MISP events (the API form MISP's ``/events/restSearch`` answers). PURE.

Grouping: one event per contribution, contributor as the viewer may see it, TLP and PAP.
Keeping TLP and PAP uniform inside an event lets the event carry them as its tags, as MISP
users expect, with no attribute contradicting its event. Reports arrive ordered by
contribution (see ``service.py``), so one contribution is buffered at a time.

Identity: the event's ``Orgc`` is the contributor when the viewer may learn it, otherwise the
hub itself, so an anonymous contributor is never named; ``Org`` is always the hub.
Ids are deterministic: an attribute's uuid is UUIDv5 over the hub name and report id (like
the STIX indicator ids), an event's over the hub name, the contribution's public id (random,
never shown, so events cannot be linked back to a contribution by enumerating ids), the
contributor as shown, TLP and PAP.

Fields: ``distribution`` 3 (all communities) for TLP:CLEAR, 1 (this community) for
TLP:GREEN and 0 (the receiving organisation only) for AMBER, AMBER+STRICT and RED; attributes
inherit (5). ``to_ids`` is false for reports labelled ``no-ids`` or ``benign``. Labels become
attribute tags, ATT&CK techniques, malware families and threat actors as galaxy clusters
(``tags.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from phalanx.intel.model import ReportView
from phalanx.misp.attributes import EXPORT_TYPES, export_value
from phalanx.misp.reader import NO_IDS_LABEL
from phalanx.misp.tags import GalaxyTag, galaxy_for_label, pap_tag, tlp_tag
from phalanx.observables.ids import PHALANX_NAMESPACE
from phalanx.policy.markings import PAP, TLP

_DISTRIBUTION = {
    TLP.CLEAR: "3",
    TLP.GREEN: "1",
    TLP.AMBER: "0",
    TLP.AMBER_STRICT: "0",
    TLP.RED: "0",
}
_NOT_FOR_IDS = frozenset({NO_IDS_LABEL, "benign"})


@dataclass(frozen=True, slots=True)
class Organisation:
    """A MISP organisation: name and uuid."""

    name: str
    uuid: str

    def to_json(self) -> dict[str, str]:
        """The MISP form ``{"name", "uuid"}``."""
        return {"name": self.name, "uuid": self.uuid}


@dataclass(frozen=True, slots=True)
class ExportedReport:
    """A visible report with what grouping needs beyond its view."""

    report: ReportView
    contribution: str  # the contribution's public id (random)
    org: Organisation | None  # the contributor, None when the viewer may not learn it
    updated: datetime


def attribute_uuid(hub_name: str, report_id: int) -> str:
    """The MISP attribute uuid of a report on this hub."""
    return str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:misp-attribute:{hub_name}:{report_id}"))


def write_response(events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield ``{"response": [{"Event": ...}, ...]}`` one event at a time."""
    yield b'{"response":['
    for index, event in enumerate(events):
        yield (b"," if index else b"") + orjson.dumps(event)
    yield b"]}"


def events_for(reports: Iterable[ExportedReport], *, hub: Organisation) -> Iterator[dict[str, Any]]:
    """Yield ``{"Event": ...}`` per group of reports (input ordered by contribution)."""
    batch: list[ExportedReport] = []
    for item in reports:
        if batch and item.contribution != batch[0].contribution:
            yield from _contribution_events(batch, hub)
            batch = []
        batch.append(item)
    if batch:
        yield from _contribution_events(batch, hub)


def _contribution_events(
    batch: list[ExportedReport], hub: Organisation
) -> Iterator[dict[str, Any]]:
    groups: dict[tuple[Organisation | None, TLP, PAP], list[ExportedReport]] = {}
    for item in batch:
        groups.setdefault((item.org, item.report.tlp, item.report.pap), []).append(item)
    for (org, tlp, pap), group in groups.items():
        yield {"Event": _event(group, org, tlp, pap, hub)}


def _event(
    group: list[ExportedReport], org: Organisation | None, tlp: TLP, pap: PAP, hub: Organisation
) -> dict[str, Any]:
    creator = org or hub
    seed = f"{group[0].contribution}:{creator.uuid}:{tlp.value}:{pap.value}"
    first = min(item.report.created for item in group)
    timestamp = str(int(max(item.updated for item in group).timestamp()))
    who = f"contribution from {org.name}" if org else "anonymous contribution"
    return {
        "uuid": str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:misp-event:{hub.name}:{seed}")),
        "info": f"{hub.name}: {who} of {first:%Y-%m-%d} ({tlp.label}, {pap.label})",
        "date": f"{first:%Y-%m-%d}",
        "timestamp": timestamp,
        "publish_timestamp": timestamp,
        "published": True,
        "analysis": "2",
        "threat_level_id": "4",
        "distribution": _DISTRIBUTION[tlp],
        "sharing_group_id": "0",
        "extends_uuid": "",
        "Orgc": creator.to_json(),
        "Org": hub.to_json(),
        "Tag": [tlp_tag(tlp), pap_tag(pap)],
        "Attribute": [_attribute(item, hub.name) for item in group],
    }


def _attribute(item: ExportedReport, hub_name: str) -> dict[str, Any]:
    report = item.report
    misp_type, category = EXPORT_TYPES[report.type]
    labels = [label for label in report.labels if label != NO_IDS_LABEL]
    galaxies = [galaxy for galaxy in map(galaxy_for_label, labels) if galaxy is not None]
    attribute: dict[str, Any] = {
        "uuid": attribute_uuid(hub_name, report.id),
        "type": misp_type,
        "category": category,
        "value": export_value(report.type, report.value),
        "to_ids": not _NOT_FOR_IDS & set(report.labels),
        "distribution": "5",
        "sharing_group_id": "0",
        "timestamp": str(int(item.updated.timestamp())),
        "comment": report.comment or "",
        "deleted": False,
        "disable_correlation": False,
        "Tag": [{"name": _tag_name(label), "local": False} for label in labels],
    }
    if galaxies:
        attribute["Galaxy"] = [_galaxy(kind, group) for kind, group in _by_type(galaxies)]
    return attribute


def _tag_name(label: str) -> str:
    galaxy = galaxy_for_label(label)
    return galaxy.tag_name if galaxy else label


def _by_type(galaxies: list[GalaxyTag]) -> list[tuple[str, list[GalaxyTag]]]:
    grouped: dict[str, list[GalaxyTag]] = {}
    for galaxy in galaxies:
        grouped.setdefault(galaxy.galaxy, []).append(galaxy)
    return list(grouped.items())


def _galaxy(kind: str, clusters: list[GalaxyTag]) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:misp-galaxy:{kind}")),
        "name": kind,
        "type": kind,
        "namespace": "misp",
        "GalaxyCluster": [
            {
                "uuid": str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:misp-cluster:{c.tag_name}")),
                "type": kind,
                "value": c.value,
                "tag_name": c.tag_name,
                "distribution": "3",
            }
            for c in clusters
        ],
    }
