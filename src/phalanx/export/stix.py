"""Export as one streamed STIX 2.1 bundle: an indicator per report, then the identities and
marking definitions those indicators refer to, so the bundle stands on its own. PURE.

Ids are deterministic (UUIDv5 over the hub name and report id), so exporting twice yields the
same objects and a consumer updates rather than duplicates. Anonymous reports — and any report
whose contributor the viewer may not learn — name the hub as ``created_by_ref``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from phalanx.formats.stix21.bundle import collect_markings, write_bundle
from phalanx.formats.stix21.identities import hub_identity, identity_for_org, identity_id
from phalanx.formats.stix21.indicators import indicator_for_report
from phalanx.intel.model import ReportView
from phalanx.observables.ids import PHALANX_NAMESPACE

# Identities are not versioned here; a fixed creation time keeps their content stable.
IDENTITY_CREATED = datetime.fromisoformat("2025-01-01T00:00:00+00:00")


def hub_uuid(hub_name: str) -> uuid.UUID:
    """The hub's identity UUID: stable for a hub name, distinct across hubs."""
    return uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:hub:{hub_name}")


def indicator_uuid(hub_name: str, report_id: int) -> uuid.UUID:
    """A report's indicator UUID on this hub."""
    return uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:indicator:{hub_name}:{report_id}")


def write_stix(
    batches: Iterable[list[ReportView]],
    *,
    hub_name: str,
    org_uuids: Mapping[str, str],
    bundle_uuid: uuid.UUID,
) -> Iterator[bytes]:
    """Yield the bundle's bytes as the batches arrive."""
    return write_bundle(
        _objects(batches, hub_name=hub_name, org_uuids=org_uuids),
        f"bundle--{bundle_uuid}",
    )


def _objects(
    batches: Iterable[list[ReportView]], *, hub_name: str, org_uuids: Mapping[str, str]
) -> Iterator[dict[str, Any]]:
    hub_ref = identity_id(hub_uuid(hub_name))
    used_orgs: dict[str, None] = {}
    used_markings: dict[str, dict[str, Any]] = {}
    for batch in batches:
        for report in batch:
            org_uuid = org_uuids.get(report.org) if report.org is not None else None
            if org_uuid is not None and report.org is not None:
                created_by = identity_id(org_uuid)
                used_orgs.setdefault(report.org, None)
            else:
                created_by = hub_ref
            indicator = indicator_for_report(
                report,
                created_by_ref=created_by,
                indicator_id=f"indicator--{indicator_uuid(hub_name, report.id)}",
            )
            for ref in indicator["object_marking_refs"]:
                used_markings.setdefault(ref, {"object_marking_refs": [ref]})
            yield indicator
    yield hub_identity(hub_name, hub_uuid(hub_name), IDENTITY_CREATED)
    for name in used_orgs:
        yield identity_for_org(name, org_uuids[name], created=IDENTITY_CREATED)
    yield from collect_markings(used_markings.values())
