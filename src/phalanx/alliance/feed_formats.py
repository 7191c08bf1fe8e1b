"""Reading published sources into contribution records with first-seen times. PURE.

``text``, ``csv`` and ``stix`` reuse the contribution readers (formats/); this module only
lifts each record's first-seen time out of it (a ``first_seen`` CSV column; an indicator's
``valid_from`` or ``created`` in STIX) and drops what a published report does not carry (its
own marking, expiry and sharing fields: published means TLP:CLEAR). A MISP feed (a directory
of ``manifest.json`` plus ``<uuid>.json`` events) is read simply: the IDS-flagged attributes
of the types below, first seen at the attribute's ``first_seen``, else its timestamp, else
the event date. Full MISP mapping lives in the MISP format module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from phalanx.clock import parse_timestamp
from phalanx.formats import registry
from phalanx.formats.base import ParseProblem, ReadResult

FORMATS = ("text", "csv", "misp-feed", "stix")
# MISP attribute type -> how to take the indicator out of its value.
MISP_TYPES: Mapping[str, int | None] = {
    "ip-src": None,
    "ip-dst": None,
    "domain": None,
    "hostname": None,
    "url": None,
    "uri": None,
    "md5": None,
    "sha1": None,
    "sha256": None,
    "sha512": None,
    "email-src": None,
    "email-dst": None,
    "ip-src|port": 0,  # the part before '|'
    "ip-dst|port": 0,
    "domain|ip": 0,
    "filename|md5": 1,  # the part after '|'
    "filename|sha1": 1,
    "filename|sha256": 1,
    "filename|sha512": 1,
}
# Fields a published record keeps; everything else (tlp, share_with, valid_until...) is the
# source's own business and would only make a public value less public.
KEPT = frozenset({"type", "value", "labels", "confidence", "comment", "stix_id", "_line", "_input"})


@dataclass(slots=True)
class FeedRead:
    """Records ready for the pipeline, their first-seen times by index, and what was skipped."""

    records: list[ReadResult] = field(default_factory=list)
    first_seen: dict[int, datetime] = field(default_factory=dict)
    skipped: int = 0


def read_payload(format: str, payload: bytes) -> FeedRead:
    """Read a ``text``, ``csv`` or ``stix`` payload of a published source."""
    if format not in ("text", "csv", "stix"):
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out = FeedRead()
    created = _stix_times(payload) if format == "stix" else {}
    for record in registry.get(format).read(payload, {}):
        if isinstance(record, ParseProblem):
            out.records.append(record)
            continue
        seen = record.get("first_seen") or created.get(record.get("stix_id", ""))
        _add(out, record, seen)
    return out


def read_misp_feed(manifest: bytes, events: Iterable[tuple[str, bytes]]) -> FeedRead:
    """Read a MISP feed: the manifest and each ``(uuid, event JSON)`` it lists."""
    try:
        listed = orjson.loads(manifest)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"manifest.json is not JSON: {error}") from None
    if not isinstance(listed, dict):
        raise ValueError("manifest.json must map event uuids to event summaries")
    out = FeedRead()
    for uuid, body in events:
        if uuid not in listed:
            continue
        try:
            event = orjson.loads(body).get("Event")
        except (orjson.JSONDecodeError, AttributeError):
            out.records.append(ParseProblem(f"event {uuid}: not a MISP event JSON", input=uuid))
            continue
        if not isinstance(event, dict):
            out.records.append(ParseProblem(f"event {uuid}: no 'Event' object", input=uuid))
            continue
        for record, seen in _attributes(event):
            if record is None:
                out.skipped += 1
            else:
                _add(out, record, seen)
    return out


def _attributes(event: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any] | None, Any]]:
    found = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        found.extend(obj.get("Attribute") or [])
    for attribute in found:
        kind = attribute.get("type")
        value = attribute.get("value")
        ids = attribute.get("to_ids")
        if kind not in MISP_TYPES or not isinstance(value, str) or ids in (False, "0", 0):
            yield None, None
            continue
        part = MISP_TYPES[kind]
        if part is not None:
            pieces = value.split("|")
            value = pieces[part] if len(pieces) == 2 else value
        stamp = _epoch(attribute.get("timestamp"))
        seen = attribute.get("first_seen") or stamp or event.get("date")
        yield {"value": value, "_input": value}, seen


def _add(out: FeedRead, record: Mapping[str, Any], seen: Any) -> None:
    index = len(out.records)
    out.records.append({k: v for k, v in record.items() if k in KEPT})
    moment = _moment(seen)
    if moment is not None:
        out.first_seen[index] = moment


def _moment(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if len(text) == 10 and text[4] == "-":  # a MISP event date
        text += "T00:00:00Z"
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def _epoch(raw: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _stix_times(payload: bytes) -> dict[str, Any]:
    try:
        bundle = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {}  # the reader reports it
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    return {
        obj["id"]: obj.get("valid_from") or obj.get("first_seen") or obj.get("created")
        for obj in objects or []
        if isinstance(obj, dict) and isinstance(obj.get("id"), str)
    }
