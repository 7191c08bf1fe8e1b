"""Read STIX 2.1 ``sighting`` objects (and disagreeing ``opinion`` objects) as sightings. PURE.

STIX has no false-positive field (spec-notes §2.4), so Phalanx reads feedback from:

- ``sighting`` (§5.2): what was sighted comes from its ``observed_data_refs`` (the SCOs the
  referenced ``observed-data`` objects carry, in the same bundle) or, without them, from the
  pattern of the ``indicator`` its ``sighting_of_ref`` names (also in the bundle);
  ``x_phalanx_observable: {"type", "value"}`` names the observable directly. ``count``,
  ``first_seen``, ``last_seen`` and ``description`` (the context) carry over; the kind is
  ``x_phalanx_sighting_type`` (``seen`` | ``false-positive`` | ``expired``, default ``seen``)
  and ``x_phalanx_anonymous`` (default true) says whether others may see who sighted it.
- ``opinion`` (§4.11) with ``opinion`` ``disagree`` or ``strongly-disagree`` about an
  ``indicator`` (or a ``sighting``) of the bundle: a false positive for its observables.

The sighting's (or opinion's) id is the idempotency key: posting it again is a duplicate. A
sighting whose pattern names several observables becomes one item per observable.
"""

from __future__ import annotations

from typing import Any

from phalanx.errors import InvalidInput
from phalanx.feedback.model import ItemProblem
from phalanx.formats.stix21.patterns import observables_from_pattern
from phalanx.formats.stix21.reader import objects_of
from phalanx.formats.stix21.scos import observables_from_sco

Pair = tuple[str, str]
NEGATIVE_OPINIONS = frozenset({"disagree", "strongly-disagree"})
OPINIONS = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})


def is_stix(document: Any) -> bool:
    """True when a JSON body is a STIX bundle, envelope or object list holding sightings."""
    objects = objects_of(document) if isinstance(document, dict | list) else None
    if not objects:
        return False
    return any(
        isinstance(o, dict) and o.get("type") in ("sighting", "opinion") for o in objects
    ) and (not isinstance(document, dict) or "sightings" not in document)


def raw_items(document: Any) -> list[dict[str, Any] | ItemProblem]:
    """Sighting items (in the JSON item form) or problems, one or more per feedback object."""
    objects = objects_of(document)
    if objects is None:
        raise InvalidInput("expected a STIX bundle with an objects list", field="objects")
    by_id = {o["id"]: o for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)}
    found: list[dict[str, Any] | ItemProblem] = []
    for position, obj in enumerate(objects):
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind not in ("sighting", "opinion"):
            continue
        label = str(obj.get("id", f"objects[{position}]"))
        try:
            if kind == "sighting":
                found += _sighting_items(obj, by_id)
            else:
                found += _opinion_items(obj, by_id)
        except InvalidInput as error:
            found.append(ItemProblem(position, label, error.reason, error.details.get("field")))
    return found


def _sighting_items(sighting: dict[str, Any], by_id: dict[str, Any]) -> list[dict[str, Any]]:
    sighting_id = _id(sighting, "sighting")
    pairs = _sighted_pairs(sighting, by_id)
    count = sighting.get("count", 1)
    if count == 0:
        raise InvalidInput("is 0: a sighting seen no times says nothing", field="count")
    common: dict[str, Any] = {
        "sighting": sighting.get("x_phalanx_sighting_type", "seen"),
        "count": count,
        "anonymous": sighting.get("x_phalanx_anonymous", True),
    }
    for name in ("first_seen", "last_seen"):
        if name in sighting:
            common[name] = sighting[name]
    if isinstance(sighting.get("description"), str):
        common["context"] = sighting["description"]
    return _numbered(sighting_id, pairs, common)


def _sighted_pairs(sighting: dict[str, Any], by_id: dict[str, Any]) -> list[Pair]:
    direct = sighting.get("x_phalanx_observable")
    if direct is not None:
        if not isinstance(direct, dict) or not isinstance(direct.get("value"), str):
            raise InvalidInput("must be {type, value}", field="x_phalanx_observable")
        return [(str(direct.get("type") or ""), direct["value"])]
    refs = sighting.get("observed_data_refs")
    if refs is not None:
        return _observed_pairs(refs, by_id)
    target = sighting.get("sighting_of_ref")
    if not isinstance(target, str) or "--" not in target:
        raise InvalidInput("is required: the id of the sighted indicator", field="sighting_of_ref")
    return _indicator_pairs(target, by_id, "sighting_of_ref")


def _observed_pairs(refs: Any, by_id: dict[str, Any]) -> list[Pair]:
    if not isinstance(refs, list) or not refs:
        raise InvalidInput(
            "must be a non-empty list of observed-data ids", field="observed_data_refs"
        )
    pairs: list[Pair] = []
    for ref in refs:
        observed = by_id.get(ref)
        if not isinstance(observed, dict) or observed.get("type") != "observed-data":
            raise InvalidInput(
                f"{ref!r} is not an observed-data object of this bundle", field="observed_data_refs"
            )
        scos = [by_id.get(r) for r in observed.get("object_refs") or []]
        embedded = observed.get("objects")  # STIX 2.0 style, still common
        if isinstance(embedded, dict):
            scos += list(embedded.values())
        for sco in scos:
            if isinstance(sco, dict):
                pairs += observables_from_sco(sco)
    if not pairs:
        raise InvalidInput(
            "the observed-data objects carry no SCO with an observable value "
            "(ipv4-addr, ipv6-addr, domain-name, url, email-addr, file hashes)",
            field="observed_data_refs",
        )
    return list(dict.fromkeys(pairs))


def _indicator_pairs(target: str, by_id: dict[str, Any], field: str) -> list[Pair]:
    indicator = by_id.get(target)
    if not isinstance(indicator, dict) or indicator.get("type") != "indicator":
        raise InvalidInput(
            f"{target} is not an indicator of this bundle: include the indicator, or give "
            "observed_data_refs or x_phalanx_observable",
            field=field,
        )
    pattern = indicator.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput(f"indicator {target} has no pattern", field=field)
    pattern_type = indicator.get("pattern_type", "stix")
    if pattern_type != "stix":
        return [(str(pattern_type), pattern)]
    return observables_from_pattern(pattern)


def _opinion_items(opinion: dict[str, Any], by_id: dict[str, Any]) -> list[dict[str, Any]]:
    opinion_id = _id(opinion, "opinion")
    verdict = opinion.get("opinion")
    if verdict not in OPINIONS:
        raise InvalidInput(f"must be one of {', '.join(sorted(OPINIONS))}", field="opinion")
    if verdict not in NEGATIVE_OPINIONS:
        raise InvalidInput(
            f"{verdict!r} is not feedback Phalanx records: 'disagree' and 'strongly-disagree' "
            "report a false positive; agreement is a sighting",
            field="opinion",
        )
    refs = opinion.get("object_refs")
    if not isinstance(refs, list) or not refs:
        raise InvalidInput("must list the indicators disagreed with", field="object_refs")
    pairs: list[Pair] = []
    for ref in refs:
        target = by_id.get(ref)
        if isinstance(target, dict) and target.get("type") == "sighting":
            pairs += _sighted_pairs(target, by_id)
        else:
            pairs += _indicator_pairs(str(ref), by_id, "object_refs")
    common: dict[str, Any] = {"sighting": "false-positive", "anonymous": True}
    if isinstance(opinion.get("explanation"), str):
        common["context"] = opinion["explanation"]
    if isinstance(opinion.get("modified") or opinion.get("created"), str):
        common["last_seen"] = opinion.get("modified") or opinion["created"]
    return _numbered(opinion_id, list(dict.fromkeys(pairs)), common)


def _numbered(key: str, pairs: list[Pair], common: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": kind or None, "value": value, "id": key if len(pairs) == 1 else f"{key}#{n}"}
        | common
        for n, (kind, value) in enumerate(pairs)
    ]


def _id(obj: dict[str, Any], kind: str) -> str:
    value = obj.get("id")
    if not isinstance(value, str) or not value.startswith(f"{kind}--"):
        raise InvalidInput(f"must be a {kind}--<uuid> id", field="id")
    return value
