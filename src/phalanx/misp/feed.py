"""MISP events -> the files of a MISP feed directory (spec-notes §4.4). PURE.

A feed is ``manifest.json`` (event uuid -> Orgc, Tag, info, date, analysis,
threat_level_id, timestamp), one ``<uuid>.json`` per event in the feed form PyMISP's
``to_feed()`` writes (no local ids, no distribution or sharing group, no Org), and
``hashes.csv`` with ``<md5 of attribute value>,<event uuid>`` per line (composite values
hashed per part), which MISP's feed fetcher uses for its correlation cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from phalanx.errors import InvalidInput

_EVENT_FIELDS = (
    "uuid",
    "info",
    "threat_level_id",
    "analysis",
    "timestamp",
    "publish_timestamp",
    "published",
    "date",
    "extends_uuid",
)
_ATTRIBUTE_FIELDS = (
    "uuid",
    "value",
    "category",
    "type",
    "comment",
    "deleted",
    "timestamp",
    "to_ids",
    "disable_correlation",
    "first_seen",
    "last_seen",
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MANIFEST = "manifest.json"
HASHES = "hashes.csv"


def feed_event(event: dict[str, Any]) -> dict[str, Any]:
    """The feed form of one ``{"Event": ...}`` (what MISP downloads as ``<uuid>.json``)."""
    body = event["Event"]
    out = {name: body[name] for name in _EVENT_FIELDS if name in body}
    out["Orgc"] = {"name": body["Orgc"]["name"], "uuid": body["Orgc"]["uuid"]}
    out["Tag"] = [_tag(tag) for tag in body.get("Tag", ())]
    out["Attribute"] = [_attribute(a) for a in body.get("Attribute", ())]
    return {"Event": out}


def _attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    out = {name: attribute[name] for name in _ATTRIBUTE_FIELDS if name in attribute}
    out["Tag"] = [_tag(tag) for tag in attribute.get("Tag", ())]
    return out


def _tag(tag: dict[str, Any]) -> dict[str, Any]:
    out = {"name": tag["name"], "local": False}
    if "colour" in tag:
        out["colour"] = tag["colour"]
    return out


def manifest_entry(event: dict[str, Any]) -> dict[str, Any]:
    """One event's manifest entry (MISP re-downloads the event when ``timestamp`` grows)."""
    body = event["Event"]
    return {
        "Orgc": body["Orgc"],
        "Tag": body["Tag"],
        "info": body["info"],
        "date": body["date"],
        "analysis": body["analysis"],
        "threat_level_id": body["threat_level_id"],
        "timestamp": body["timestamp"],
    }


def hash_lines(event: dict[str, Any]) -> Iterator[str]:
    """``<md5>,<event uuid>`` for every attribute value part of one event."""
    body = event["Event"]
    for attribute in body.get("Attribute", ()):
        parts = attribute["value"].split("|") if "|" in attribute["type"] else [attribute["value"]]
        for part in parts:
            yield f"{hashlib.md5(part.encode()).hexdigest()},{body['uuid']}"


def feed_files(events: Iterable[dict[str, Any]]) -> Iterator[tuple[str, bytes]]:
    """Yield (file name, content) for each event file, then ``hashes.csv`` and the manifest.

    The manifest comes last: a fetcher reading the directory mid-write then only sees events
    whose files are complete.
    """
    manifest: dict[str, Any] = {}
    hashes: list[str] = []
    for event in events:
        feed = feed_event(event)
        uuid = feed["Event"]["uuid"]
        # The uuid names a file: anything but a UUID could point outside the feed directory.
        if not isinstance(uuid, str) or not _UUID.fullmatch(uuid):
            raise InvalidInput(f"event uuid {uuid!r} is not a UUID", field="Event.uuid")
        manifest[uuid] = manifest_entry(feed)
        hashes.extend(hash_lines(feed))
        yield f"{uuid}.json", orjson.dumps(feed, option=orjson.OPT_INDENT_2)
    yield HASHES, "".join(f"{line}\n" for line in hashes).encode()
    yield MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2)


def feed_plan(manifest: Any, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The event files to read from a feed directory, and a problem per inconsistency.

    ``manifest`` is the parsed ``manifest.json`` and ``names`` the directory's file names.
    As MISP's fetcher does, only events listed in the manifest are read.
    """
    if not isinstance(manifest, dict):
        return [], [f"{MANIFEST} must map event uuids to their summaries"]
    present = set(names)
    wanted, problems = [], []
    for uuid in manifest:
        if f"{uuid}.json" in present:
            wanted.append(f"{uuid}.json")
        else:
            problems.append(f"event {uuid} is in {MANIFEST} but {uuid}.json is missing")
    listed = {f"{uuid}.json" for uuid in manifest}
    for name in sorted(present - listed - {MANIFEST}):
        if name.endswith(".json"):
            problems.append(f"{name} is not listed in {MANIFEST}; skipped, as MISP would")
    return wanted, problems
