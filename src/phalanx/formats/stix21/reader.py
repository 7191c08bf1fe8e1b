"""The STIX 2.1 contribution reader (``formats/base.py`` contract). PURE.

Input: a bundle (also one without ``"type"``, a quirk of real OASIS files), a TAXII envelope
``{"objects": [...]}``, a JSON array of objects, or one object. Output, in object order:

- one item record per observable of each ``indicator`` with a simple pattern (patterns.py),
  one ``stix-pattern`` item for any other STIX pattern, and one ``yara``/``suricata``/``sigma``
  item for rule indicators;
- one item record per observable of each SCO (scos.py), except values an indicator or an
  earlier SCO of the same payload already gave (misp-stix ships both for one attribute);
- a ParseProblem for each object that fails the structural checks of structure.py, naming
  the object's position, id and field. Other objects (malware, relationship, identity...)
  give nothing, but marking definitions resolve markings and ``indicates`` relationships to
  malware and attack patterns add ``malware:<family>`` and ``attack:<id>`` labels.

Values stay raw and ``defaults`` are not merged in: the ingest pipeline normalises values and
applies the contribution's defaults to the fields a record leaves out. ``_line`` and
``ParseProblem.line`` are the 1-based position of the object in the payload's object list.
Markings: an indicator's own ``object_marking_refs``; an SCO's own plus those of each
observed-data that holds it, because dropping a container's TLP:RED would share its content
more widely than its author allowed. The most restrictive TLP and PAP win.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from phalanx.errors import InvalidInput
from phalanx.formats.base import ParseProblem, ReadResult
from phalanx.formats.stix21 import misp_quirks
from phalanx.formats.stix21.labels import (
    accepted_labels,
    attack_labels,
    labels_from_indicator,
    malware_label,
)
from phalanx.formats.stix21.markings import pap_from_marking, tlp_from_marking
from phalanx.formats.stix21.patterns import Pair, observables_from_pattern
from phalanx.formats.stix21.scos import observables_from_sco
from phalanx.formats.stix21.structure import SCO_TYPES, check_object
from phalanx.policy.markings import PAP, TLP

RULE_PATTERN_TYPES = ("yara", "suricata", "sigma")


def read_bundle(payload: bytes, defaults: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Read a STIX 2.1 payload into item records and ParseProblems (defaults: see docstring)."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        yield ParseProblem(f"invalid JSON ({where}): {exc.msg}", line=exc.lineno)
        return
    objects = objects_of(document)
    if objects is None:
        yield ParseProblem("expected a STIX bundle, a TAXII envelope or STIX objects")
        return
    objects = misp_quirks.rewrite(objects)
    yield from misp_quirks.dedupe(objects, _drop_repeated_scos(_read_objects(objects)))


def read_objects(objects: list[Any]) -> Iterator[ReadResult]:
    """Read objects already parsed from JSON, exactly as ``read_bundle`` reads a payload's."""
    yield from _drop_repeated_scos(_read_objects(objects))


def objects_of(document: Any) -> list[Any] | None:
    """Return the object list of a bundle, envelope, array or single object (None if none)."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        return None
    if "type" in document and document["type"] != "bundle":
        return [document]
    if "type" not in document and "objects" not in document:
        return None  # not a bundle, envelope or object: report it rather than read nothing
    objects = document.get("objects", [])
    return objects if isinstance(objects, list) else None


def _read_objects(objects: list[Any]) -> list[ReadResult]:
    """Check every object, learn markings and relationships from the sound ones, then read them."""
    problems = [_check(index, obj) for index, obj in enumerate(objects)]
    context = _Context.of(
        obj for obj, problem in zip(objects, problems, strict=True) if not problem
    )
    results: list[ReadResult] = []
    for index, (obj, problem) in enumerate(zip(objects, problems, strict=True)):
        results += [problem] if problem else _read_object(index, obj, context)
    return results


def _drop_repeated_scos(results: list[ReadResult]) -> Iterator[ReadResult]:
    """Drop SCO records whose value an indicator or an earlier SCO record already gave."""
    seen = {_key(result) for result in results if _from_indicator(result)}
    for result in results:
        if isinstance(result, dict) and not _from_indicator(result):
            if _key(result) in seen:
                continue
            seen.add(_key(result))
        yield result


@dataclass(slots=True)
class _Context:
    """What other objects of the payload say about one object: markings and related labels."""

    markings: dict[str, dict[str, Any]] = field(default_factory=dict)
    related_labels: dict[str, list[str]] = field(default_factory=dict)
    container_refs: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, objects: Iterable[dict[str, Any]]) -> _Context:
        """Collect marking definitions, ``indicates`` targets and observed-data markings."""
        context = cls()
        target_labels: dict[str, list[str]] = {}
        indicates: list[tuple[str, str]] = []
        for obj in objects:
            kind = obj["type"]
            if kind == "marking-definition":
                context.markings[obj["id"]] = obj
            elif kind == "relationship" and obj.get("relationship_type") == "indicates":
                indicates.append((str(obj.get("source_ref")), str(obj.get("target_ref"))))
            elif kind == "observed-data":
                for ref in obj.get("object_refs") or ():
                    context.container_refs.setdefault(ref, []).extend(_marking_refs(obj))
            elif labels := _target_labels(obj):
                target_labels[obj["id"]] = labels
        for source, target in indicates:
            context.related_labels.setdefault(source, []).extend(target_labels.get(target, []))
        return context

    def markings_of(self, obj: dict[str, Any]) -> dict[str, str]:
        """Return the most restrictive ``tlp``/``pap`` among an object's markings (may be {})."""
        refs = _marking_refs(obj) + self.container_refs.get(obj["id"], [])
        found = [self.markings.get(ref, ref) for ref in refs]
        tlps = [tlp for tlp in map(tlp_from_marking, found) if tlp is not None]
        paps = [pap for pap in map(pap_from_marking, found) if pap is not None]
        result = {}
        if tlps:
            result["tlp"] = max(tlps, key=_rank).value
        if paps:
            result["pap"] = max(paps, key=_rank).value
        return result


def _target_labels(obj: dict[str, Any]) -> list[str]:
    """Labels an ``indicates`` relationship to ``obj`` adds: a malware family, ATT&CK ids."""
    if obj["type"] == "malware" and isinstance(obj.get("name"), str):
        label = malware_label(obj["name"])
        return [label] if label else []
    if obj["type"] == "attack-pattern":
        return attack_labels(obj)
    return []


def _read_object(index: int, obj: dict[str, Any], context: _Context) -> list[ReadResult]:
    """The item records of one structurally sound object, or its one ParseProblem."""
    try:
        if obj["type"] == "indicator":
            pairs, details = _indicator_pairs(obj), _indicator_details(obj, context)
        elif obj["type"] in SCO_TYPES:
            pairs, details = observables_from_sco(obj), {}
        else:
            return []
    except InvalidInput as exc:
        return [_problem(index, obj, exc)]
    common = {**context.markings_of(obj), **details}
    origin = {"_input": obj["id"], "_line": index + 1, "stix_id": obj["id"]}
    return [{"type": kind, "value": value, **common, **origin} for kind, value in pairs]


def claimed_pairs(obj: Mapping[str, Any]) -> list[Pair]:
    """The (type, value) pairs an indicator's pattern or an SCO stands for, revoked or not.

    What an object claimed, for withdrawing it (taxii/withdraw.py); [] for other objects and
    for an object none can be read from.
    """
    try:
        if obj.get("type") == "indicator":
            return _pattern_pairs(obj)
        if obj.get("type") in SCO_TYPES:
            return observables_from_sco(dict(obj))
    except (InvalidInput, KeyError, TypeError):
        return []
    return []


def _indicator_pairs(indicator: dict[str, Any]) -> list[Pair]:
    """The observables of an indicator's pattern, by ``pattern_type`` (§4.7)."""
    if indicator.get("revoked") is True:
        raise InvalidInput("the indicator is revoked", field="revoked")
    return _pattern_pairs(indicator)


def _pattern_pairs(indicator: Mapping[str, Any]) -> list[Pair]:
    pattern = indicator["pattern"]
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput("must be a non-empty string", field="pattern")
    # STIX 2.0 indicators have no pattern_type: their patterns are always STIX patterns.
    pattern_type = indicator.get("pattern_type", "stix")
    if pattern_type == "stix":
        return observables_from_pattern(pattern)
    if pattern_type in RULE_PATTERN_TYPES:
        return [(pattern_type, pattern)]
    expected = ", ".join(("stix", *RULE_PATTERN_TYPES))
    raise InvalidInput(f"unsupported {pattern_type!r}; expected {expected}", field="pattern_type")


def _indicator_details(indicator: dict[str, Any], context: _Context) -> dict[str, Any]:
    """Labels, confidence, valid_until and comment of an indicator record (omitted if absent)."""
    labels = labels_from_indicator(indicator) + context.related_labels.get(indicator["id"], [])
    labels = accepted_labels(labels)
    confidence = indicator.get("confidence")
    if confidence is not None and not (
        isinstance(confidence, int) and not isinstance(confidence, bool) and 0 <= confidence <= 100
    ):
        raise InvalidInput(f"must be an integer 0-100: {confidence!r}", field="confidence")
    comment = indicator.get("description") or indicator.get("name")
    details = {
        "labels": labels or None,
        "confidence": confidence,
        "valid_until": indicator.get("valid_until"),
        "comment": comment if isinstance(comment, str) else None,
    }
    return {key: value for key, value in details.items() if value is not None}


def _check(index: int, obj: Any) -> ParseProblem | None:
    """The ParseProblem of an object that fails the structural checks, else None."""
    try:
        check_object(obj)
    except InvalidInput as exc:
        return _problem(index, obj, exc)
    return None


def _problem(index: int, obj: Any, exc: InvalidInput) -> ParseProblem:
    """A ParseProblem naming the object's position, its id (when it has one) and the field."""
    stix_id = obj.get("id") if isinstance(obj, dict) else None
    stix_id = stix_id if isinstance(stix_id, str) else ""
    where = f"object {index + 1}" + (f" ({stix_id})" if stix_id else "")
    return ParseProblem(f"{where}, {exc.message}", line=index + 1, input=stix_id)


def _rank(level: TLP | PAP) -> int:
    """A marking's restrictiveness, for picking the strictest of several."""
    return level.rank


def _marking_refs(obj: dict[str, Any]) -> list[str]:
    """An object's ``object_marking_refs`` that are strings."""
    return [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]


def _from_indicator(result: ReadResult) -> bool:
    """True for an item record that came from an indicator."""
    return isinstance(result, dict) and str(result["stix_id"]).startswith("indicator--")


def _key(record: ReadResult) -> tuple[Any, Any]:
    """The (type, raw value) an item record names, for de-duplicating SCO records."""
    return (record["type"], record["value"]) if isinstance(record, dict) else (None, None)
