"""What STIX 2.1 bundles written by misp-stix need beyond the generic reader. PURE.

misp-stix (MISP's own STIX converter, spec-notes §0.5 and §4.5) writes one indicator (when
the attribute's ``to_ids`` is set) and one observed-data with SCOs per MISP attribute, and
reuses the attribute's uuid for every SCO id instead of STIX's deterministic UUIDv5. So the
same value arrives under several ids — from two attributes, from the indicator and the SCO of
one attribute, or in two spellings (``HTTP://Evil.example:80/a`` and ``http://evil.example/a``).
The generic reader turns MISP's ``ip-src``/``ip-dst`` patterns
(``network-traffic:src_ref.value``) into addresses already; this module adds, for bundles
misp-stix wrote (:func:`is_misp_stix`):

- :func:`rewrite`: the two attribute shapes whose patterns name an observable that the
  generic reader would keep as an opaque ``stix-pattern``: ``filename|<hash>``
  (``[file:name = 'x' AND file:hashes.MD5 = 'h']`` -> the hash; the file name is context)
  and ``email-src`` (``[email-message:from_ref.value = 'a@b']`` -> the address). And the
  event's TLP, which misp-stix puts on the ``report``/``grouping`` only, and its PAP tag,
  which it writes as a ``PAP:GREEN`` label there: both reach every object the container
  lists, as the reader already does for observed-data (the strictest marking wins).
- :func:`dedupe`: one item record per *normalised* value. Later duplicates only add their
  labels, and their TLP/PAP when stricter, to the first: merging never widens sharing.
  SCO records no indicator gave come from attributes whose ``to_ids`` was false and get the
  ``no-ids`` label, as the MISP importer gives them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.formats.base import ReadResult
from phalanx.formats.stix21.markings import PAP_IDS
from phalanx.observables.normalize import normalize
from phalanx.policy.markings import parse_pap, parse_tlp

NO_IDS_LABEL = "no-ids"
_MISP_LABEL = re.compile(r'^misp:(type|category|tool|name|meta-category)="')
_FILENAME_HASH = re.compile(
    r"^\[file:name = '(?:[^'\\]|\\.)*' AND (file:hashes\.(?:'[A-Za-z0-9-]+'|[A-Za-z0-9]+) "
    r"= '[0-9A-Fa-f]+')\]$"
)
_EMAIL_FROM = re.compile(r"^\[email-message:from_ref\.value = ('(?:[^'\\]|\\.)*')\]$")


def is_misp_stix(objects: Iterable[Any]) -> bool:
    """True when any object carries misp-stix's ``misp:type="..."``-style labels."""
    for obj in objects:
        if isinstance(obj, dict):
            labels = obj.get("labels")
            if isinstance(labels, list) and any(
                isinstance(label, str) and _MISP_LABEL.match(label) for label in labels
            ):
                return True
    return False


def rewrite(objects: list[Any]) -> list[Any]:
    """The objects with misp-stix indicator patterns made readable (others unchanged)."""
    if not is_misp_stix(objects):
        return objects
    inherited = _container_markings(objects)
    return [_rewritten(obj, inherited) for obj in objects]


def _container_markings(objects: list[Any]) -> dict[str, list[str]]:
    """Object id -> marking refs of the reports/groupings listing it (PAP labels included)."""
    inherited: dict[str, list[str]] = {}
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") not in ("report", "grouping"):
            continue
        refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
        for label in obj.get("labels") or ():
            if isinstance(label, str) and label.upper().startswith("PAP:"):
                with contextlib.suppress(ValueError):
                    refs.append(PAP_IDS[parse_pap(label)])
        for ref in obj.get("object_refs") or () if refs else ():
            if isinstance(ref, str):
                inherited.setdefault(ref, []).extend(refs)
    return inherited


def _rewritten(obj: Any, inherited: dict[str, list[str]]) -> Any:
    if not isinstance(obj, dict):
        return obj
    extra = inherited.get(str(obj.get("id")))
    if extra:
        own = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
        obj = {**obj, "object_marking_refs": list(dict.fromkeys([*own, *extra]))}
    if obj.get("type") != "indicator":
        return obj
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        return obj
    if match := _FILENAME_HASH.match(pattern):
        return {**obj, "pattern": f"[{match.group(1)}]"}
    if match := _EMAIL_FROM.match(pattern):
        return {**obj, "pattern": f"[email-addr:value = {match.group(1)}]"}
    return obj


def dedupe(objects: list[Any], results: Iterable[ReadResult]) -> Iterator[ReadResult]:
    """One record per normalised (type, value) in a misp-stix bundle; others pass through."""
    if not is_misp_stix(objects):
        yield from results
        return
    first: dict[tuple[str, str], dict[str, Any]] = {}
    merged: list[ReadResult] = []
    for result in results:
        if not isinstance(result, dict):
            merged.append(result)
            continue
        record = _marked(result)
        key = _normalised_key(record)
        if key in first:
            _merge_into(first[key], record)
            continue
        first[key] = record
        merged.append(record)
    yield from merged


def _marked(record: dict[str, Any]) -> dict[str, Any]:
    if str(record.get("stix_id", "")).startswith("indicator--"):
        return record
    labels = list(record.get("labels") or ())
    return {**record, "labels": [NO_IDS_LABEL, *labels]}


def _normalised_key(record: dict[str, Any]) -> tuple[str, str]:
    kind, value = str(record.get("type")), str(record.get("value"))
    try:
        observable = normalize(value, kind)
    except InvalidInput:
        return kind, value  # the pipeline reports it; compare raw meanwhile
    return observable.type.value, observable.value


def _merge_into(kept: dict[str, Any], later: dict[str, Any]) -> None:
    labels = [*(kept.get("labels") or ()), *(later.get("labels") or ())]
    # A value some attribute marked for detection is for detection.
    if NO_IDS_LABEL not in (later.get("labels") or ()) or NO_IDS_LABEL not in (
        kept.get("labels") or ()
    ):
        labels = [label for label in labels if label != NO_IDS_LABEL]
    if labels:
        kept["labels"] = list(dict.fromkeys(labels))
    else:
        kept.pop("labels", None)
    for name, parse in (("tlp", parse_tlp), ("pap", parse_pap)):
        if name in later:
            kept[name] = _stricter(kept.get(name), later[name], parse)


def _stricter(current: Any, other: Any, parse: Any) -> Any:
    if current is None:
        return other
    try:
        return other if parse(str(other)).rank > parse(str(current)).rank else current
    except ValueError:
        return other  # an unreadable marking is rejected by the pipeline: keep it visible
