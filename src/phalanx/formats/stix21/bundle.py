"""STIX 2.1 bundles written as a stream (STIX 2.1 §8; spec-notes §2.4). PURE.

``write_bundle`` never holds the whole object list: it serialises each object with orjson as
it arrives and hands out chunks of about ``chunk_size`` bytes, so exports of any size stream.
Keeping each marking definition and identity once per bundle is the caller's job;
``collect_markings`` finds the marking definitions a set of objects refers to so a bundle can
be self-contained (the TLP 2.0 ones are not predefined in the core spec, spec-notes §3.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.markings import known_marking
from phalanx.formats.stix21.structure import is_identifier

CHUNK_SIZE = 64 * 1024


def write_bundle(
    objects: Iterable[dict[str, Any]], bundle_id: str, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield ``{"type":"bundle","id":…,"objects":[…]}`` as JSON bytes, chunk by chunk."""
    if not is_identifier(bundle_id, "bundle"):
        raise InvalidInput(f"not a bundle id: {bundle_id!r}", field="id")
    head = b'{"type":"bundle","id":' + orjson.dumps(bundle_id)
    remaining = iter(objects)
    first = next(remaining, None)
    if first is None:  # "objects" is optional, and STIX lists may not be empty (§2.12)
        yield head + b"}"
        return
    buffer = bytearray(head + b',"objects":[' + orjson.dumps(first))
    for obj in remaining:
        if len(buffer) >= chunk_size:
            yield bytes(buffer)
            buffer.clear()
        buffer += b"," + orjson.dumps(obj)
    buffer += b"]}"
    yield bytes(buffer)


def collect_markings(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the TLP and PAP marking definitions ``objects`` refer to, in first-use order."""
    seen: dict[str, None] = {}
    for obj in objects:
        for marking_id in _marking_refs(obj):
            seen.setdefault(marking_id, None)
    found = (known_marking(marking_id) for marking_id in seen)
    return [marking for marking in found if marking is not None]


def _marking_refs(obj: dict[str, Any]) -> list[str]:
    """The marking ids an object uses: object markings, then granular ones (§7.2.2, §7.2.3)."""
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    for granular in obj.get("granular_markings") or ():
        if isinstance(granular, dict) and isinstance(granular.get("marking_ref"), str):
            refs.append(granular["marking_ref"])
    return refs
