"""STIX 2.1 bundle channel: one indicator per entry, self-contained. PURE.

A LOOKUP format (it follows the member's filter and carries every kind). Each item is one
indicator serialised as canonical JSON (sorted keys), built by the exporter's
``indicator_for_report`` from the merged entry: pattern, labels, ATT&CK references,
confidence, the TLP 2.0 and PAP markings of the entry.

Items never depend on the version or the time, so deltas stay exact:

* an indicator's id is UUIDv5 over its own content (STIX 2.1 §3.6: one id, one content), so
  a changed entry is a *new* indicator and the old one is removed by the delta;
* ``created``/``modified``/``valid_from`` are the entry's ``first_seen``;
* ``created_by_ref`` is the channel's identity (a channel merges several contributors'
  reports; naming one would misattribute the others).

``assemble`` adds the channel identity and the marking definitions the indicators use, under
a bundle id derived from channel and version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import orjson

from phalanx.channels.formats.base import ChannelFormat, Collected, admit_entries
from phalanx.channels.model import DeliveryEntry, Use, merge_duplicates
from phalanx.formats.stix21.identities import identity_for_org, identity_id
from phalanx.formats.stix21.indicators import indicator_for_report
from phalanx.formats.stix21.markings import PAP_IDS, TLP2_IDS, known_marking
from phalanx.intel.model import ReportView
from phalanx.observables.ids import PHALANX_NAMESPACE
from phalanx.observables.kinds import ObservableType

KINDS = frozenset(ObservableType)
MEDIA_TYPE = "application/stix+json;version=2.1"
IDENTITY_CREATED = datetime(2025, 1, 1, tzinfo=UTC)
_MARKING_IDS = (*TLP2_IDS.values(), *PAP_IDS.values())


def channel_identity_uuid(channel_name: str) -> uuid.UUID:
    """The identity that authors a channel's indicators."""
    return uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:channel:{channel_name}")


def indicator_item(entry: DeliveryEntry, *, channel_name: str) -> str:
    """One indicator as canonical JSON, its id derived from its content."""
    view = ReportView(
        id=0,
        type=entry.type,
        value=entry.value,
        tlp=entry.tlp,
        pap=entry.pap,
        created=entry.first_seen,
        labels=entry.labels,
        confidence=entry.confidence,
    )
    creator = identity_id(channel_identity_uuid(channel_name))
    body = indicator_for_report(view, created_by_ref=creator, indicator_id="indicator--0")
    del body["id"]
    digest = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    body["id"] = f"indicator--{uuid.uuid5(PHALANX_NAMESPACE, digest)}"
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """One indicator item per (kind, value), after the deployment floor."""
    admitted, skipped = admit_entries(entries, use=Use.LOOKUP, kinds=KINDS)
    items = {
        indicator_item(entry, channel_name=channel_name) for entry in merge_duplicates(admitted)
    }
    return Collected(frozenset(items), dict(sorted(skipped.items())))


def assemble(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """The bundle: indicators (sorted), then the channel identity and the markings used."""
    ordered = sorted(items)
    joined = ",".join(ordered)
    bundle = uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:channel-bundle:{channel_name}:{version}")
    identity = identity_for_org(
        f"Phalanx channel {channel_name}",
        channel_identity_uuid(channel_name),
        created=IDENTITY_CREATED,
    )
    extra = [identity] + [
        marking
        for marking_id in _MARKING_IDS
        if marking_id in joined and (marking := known_marking(marking_id)) is not None
    ]
    objects = [
        *ordered,
        *(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() for obj in extra),
    ]
    head = f'{{"type":"bundle","id":"bundle--{bundle}","objects":['
    return (head + ",".join(objects) + "]}").encode("utf-8")


FORMAT = ChannelFormat(
    name="stix",
    kinds=KINDS,
    use=Use.LOOKUP,
    media_type=MEDIA_TYPE,
    extension=".json",
    collect=collect,
    assemble=assemble,
    description="STIX 2.1 bundle of indicators with TLP 2.0 and PAP markings",
)
