"""MISP feed channel: ``manifest.json``, one event, ``hashes.csv``, as a tar.gz. PURE.

The layout MISP's "Add feed" (type MISP feed) and PyMISP read (MISP ``app/Model/Feed.php``,
spec-notes §4): ``manifest.json`` maps event UUIDs to their summary (info, Orgc, Tag, date,
analysis, threat_level_id, timestamp); ``<uuid>.json`` is ``{"Event": {...}}`` with its
``Attribute`` list; ``hashes.csv`` has one ``<md5 of the value>,<event uuid>`` line per
attribute for MISP's feed cache and overlap checks.

A channel is one event (UUIDv5 of the channel name) whose attributes are the channel's
entries. An item is one attribute as canonical JSON; its UUID is derived from its content,
and its ``timestamp`` is the entry's ``first_seen``, so items never depend on the version.
The event's ``timestamp`` and ``publish_timestamp`` are the version's time: a MISP instance
pulling the feed sees the event change exactly when the channel does. A LOOKUP format.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from phalanx.channels.formats import tarball
from phalanx.channels.formats.base import ChannelFormat, Collected, admit_entries, header_text
from phalanx.channels.model import DeliveryEntry, Use, merge_duplicates
from phalanx.misp.attributes import EXPORT_TYPES
from phalanx.observables.ids import PHALANX_NAMESPACE

# The MISP event export's table (misp/attributes.py): a value is the same attribute
# whichever way it leaves the hub.
KINDS = frozenset(EXPORT_TYPES)
ORG_NAME = "Phalanx"


def event_uuid(channel_name: str) -> str:
    """The UUID of a channel's event (stable across versions)."""
    return str(uuid.uuid5(PHALANX_NAMESPACE, f"phalanx:misp-feed:{channel_name}"))


def tags(entry: DeliveryEntry) -> list[dict[str, str]]:
    """MISP tags: the TLP and PAP machine tags, then the labels as free tags."""
    names = [f"tlp:{entry.tlp.value}", f"PAP:{entry.pap.value.upper()}", *entry.labels]
    return [{"name": name} for name in names]


def attribute_item(entry: DeliveryEntry) -> str:
    """One attribute as canonical JSON, its UUID derived from its content."""
    misp_type, category = EXPORT_TYPES[entry.type]
    attribute: dict[str, Any] = {
        "type": misp_type,
        "category": category,
        "value": entry.value,
        "to_ids": True,
        "distribution": "5",
        "timestamp": str(int(entry.first_seen.timestamp())),
        "comment": "",
        "Tag": tags(entry),
    }
    if entry.confidence is not None:
        attribute["comment"] = f"confidence {entry.confidence}"
    content = orjson.dumps(attribute, option=orjson.OPT_SORT_KEYS).decode()
    attribute["uuid"] = str(uuid.uuid5(PHALANX_NAMESPACE, content))
    return orjson.dumps(attribute, option=orjson.OPT_SORT_KEYS).decode()


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """One attribute item per (kind, value), after the deployment floor."""
    admitted, skipped = admit_entries(entries, use=Use.LOOKUP, kinds=KINDS)
    items = {attribute_item(entry) for entry in merge_duplicates(admitted)}
    return Collected(frozenset(items), dict(sorted(skipped.items())))


def assemble_files(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> dict[str, bytes]:
    """The feed's files: manifest, the channel's event, hashes.csv."""
    attributes = [orjson.loads(item) for item in sorted(items)]
    uid = event_uuid(channel_name)
    stamp = str(int(generated.timestamp()))
    org = {"name": ORG_NAME, "uuid": str(uuid.uuid5(PHALANX_NAMESPACE, "phalanx:misp-org"))}
    summary: dict[str, Any] = {
        "info": f"Phalanx channel {header_text(channel_name)} (version {version})",
        "Orgc": org,
        "Tag": [{"name": "phalanx:channel"}],
        "date": generated.date().isoformat(),
        "analysis": "2",
        "threat_level_id": "2",
        "timestamp": stamp,
    }
    event = {
        "uuid": uid,
        **summary,
        "published": True,
        "publish_timestamp": stamp,
        "distribution": "0",
        "Attribute": attributes,
    }
    hashes = "".join(
        f"{hashlib.md5(a['value'].encode(), usedforsecurity=False).hexdigest()},{uid}\n"
        for a in attributes
    )
    return {
        "manifest.json": orjson.dumps({uid: summary}, option=orjson.OPT_SORT_KEYS),
        f"{uid}.json": orjson.dumps({"Event": event}, option=orjson.OPT_SORT_KEYS),
        "hashes.csv": hashes.encode("utf-8"),
    }


assemble = tarball.packed(assemble_files)


FORMAT = ChannelFormat(
    name="misp-feed",
    kinds=KINDS,
    use=Use.LOOKUP,
    media_type=tarball.MEDIA_TYPE,
    extension=".tar.gz",
    collect=collect,
    assemble=assemble,
    assemble_files=assemble_files,
    description="MISP feed (manifest.json, one event, hashes.csv) as a tar.gz",
)
