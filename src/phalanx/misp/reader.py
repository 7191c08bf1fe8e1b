"""A MISP event (or several) as contribution item records: the ``misp`` format. PURE.

Every attribute, loose or inside an object, gives one item record per observable it names
(``domain|ip`` gives two), or one ParseProblem that names the attribute's uuid, its MISP type
and why it was not imported (a type Phalanx does not store, a deleted attribute, a hash of a
PE section...). Proposals (``ShadowAttribute``) are reported the same way: they are
suggestions awaiting the event creator's review, not its statements. One bad attribute
never stops the others.

Each record carries:

- ``tlp``/``pap`` from the attribute's tags, else the event's (the more specific tag wins,
  as MISP users tag single attributes up or down), raised to the floor of the effective
  distribution (``distribution.py``); ``communities``/``share_with`` when the distribution
  limits them;
- ``labels`` from event, attribute and galaxy tags (``tags.py``) plus ``no-ids`` when the
  attribute's ``to_ids`` is false (or absent on a type MISP does not flag by default, such
  as ``AS``): MISP's "context, do not use for detection";
- ``confidence`` from confidence taxonomies; ``comment`` from the attribute comment, the
  object and composite context (file name, port) and the event's uuid and info;
- ``_event``, the event's uuid, by which a newer copy of the event withdraws what it no
  longer names (misp/sync.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from phalanx.errors import InvalidInput
from phalanx.formats.base import FormatSpec, ItemRecord, ParseProblem, ReadResult
from phalanx.misp.attributes import NOT_IDS_BY_DEFAULT, Found, Unmappable, observables_of
from phalanx.misp.distribution import EVERYONE, Reach, marking_fields, reach_of
from phalanx.misp.envelope import as_bool, events_of, list_of
from phalanx.misp.tags import TagFacts, read_tags

NO_IDS_LABEL = "no-ids"
EVENT_FIELD = "_event"  # an item record's event uuid (misp/sync.py)
MAX_CONTEXT = 1_000  # characters of event info and object context kept in a comment
# Below the hub's default comment limit (4,096): a long MISP comment must not cost the item.
MAX_COMMENT = 4_000


def read_misp(payload: bytes, defaults: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Read MISP JSON (any envelope) into item records and ParseProblems."""
    events = parse_events(payload)
    if isinstance(events, ParseProblem):
        yield events
        return
    for event in events:
        yield from read_event(event)


def parse_events(payload: bytes) -> list[dict[str, Any]] | ParseProblem:
    """The events of MISP JSON (any envelope), or the problem that stops reading it."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return ParseProblem(f"invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
    try:
        return events_of(document)
    except InvalidInput as exc:
        return ParseProblem(exc.message)


def read_event(event: dict[str, Any]) -> Iterator[ReadResult]:
    """The item records and problems of one event."""
    name = f"event {event.get('uuid') or '(no uuid)'}"
    try:
        context = _EventContext.of(event, name)
    except InvalidInput as exc:
        yield ParseProblem(exc.message, input=str(event.get("uuid") or ""))
        return
    for attribute in list_of(event, "Attribute"):
        yield from _read_attribute(attribute, context, context.reach, None)
    for obj in list_of(event, "Object"):
        yield from _read_object(obj, context)
    for proposal in list_of(event, "ShadowAttribute"):
        yield _proposal(proposal)


@dataclass(frozen=True, slots=True)
class _EventContext:
    """What an event says about all of its attributes."""

    name: str
    facts: TagFacts
    reach: Reach
    note: str
    uuid: str | None  # as misp/sync.py remembers events

    @classmethod
    def of(cls, event: dict[str, Any], name: str) -> _EventContext:
        info = str(event.get("info") or "").strip()
        note = f"MISP event {event.get('uuid', '')}: {info}"[:MAX_CONTEXT]
        key = event_key(event.get("uuid"))
        return cls(name, _facts(event), reach_of(event, EVERYONE, where=name), note, key)


def event_key(raw: Any) -> str | None:
    """An event's uuid in canonical form, or None when it is not a UUID (then not remembered)."""
    if not isinstance(raw, str):
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        return None


def _facts(element: dict[str, Any]) -> TagFacts:
    """Tags and galaxy clusters of an event or attribute."""
    names = [str(tag.get("name")) for tag in list_of(element, "Tag") if tag.get("name")]
    for galaxy in list_of(element, "Galaxy"):
        for cluster in list_of(galaxy, "GalaxyCluster"):
            if cluster.get("tag_name"):
                names.append(str(cluster["tag_name"]))
            elif cluster.get("value") and (cluster.get("type") or galaxy.get("type")):
                kind = cluster.get("type") or galaxy.get("type")
                names.append(f'misp-galaxy:{kind}="{cluster["value"]}"')
    return read_tags(names)


def _read_object(obj: dict[str, Any], context: _EventContext) -> Iterator[ReadResult]:
    name = str(obj.get("name") or "object")
    where = f"object {obj.get('uuid', '')} ({name})"
    try:
        reach = reach_of(obj, context.reach, where=where)
    except InvalidInput as exc:
        for attribute in list_of(obj, "Attribute"):
            yield _problem(attribute, exc.message)
        return
    deleted = _flag(obj.get("deleted"))
    for attribute in list_of(obj, "Attribute"):
        if deleted:
            yield _problem(attribute, f"its {where} is deleted in MISP")
        else:
            yield from _read_attribute(attribute, context, reach, name)


def _read_attribute(
    attribute: dict[str, Any], context: _EventContext, parent: Reach, object_name: str | None
) -> Iterator[ReadResult]:
    for proposal in list_of(attribute, "ShadowAttribute"):
        yield _proposal(proposal)
    try:
        found, record = _attribute_record(attribute, context, parent, object_name)
    except (InvalidInput, Unmappable, ValueError) as exc:
        reason = exc.message if isinstance(exc, InvalidInput) else str(exc)
        yield _problem(attribute, reason)
        return
    own_comment = record.pop("_comment")
    for item in found:
        comment = "; ".join(part for part in (own_comment, item.context) if part)
        yield {
            **record,
            "type": item.kind,
            "value": item.value,
            "comment": _with_note(comment, context.note),
            EVENT_FIELD: context.uuid,
        }


def _attribute_record(
    attribute: dict[str, Any], context: _EventContext, parent: Reach, object_name: str | None
) -> tuple[list[Found], ItemRecord]:
    misp_type, value = attribute.get("type"), attribute.get("value")
    if not isinstance(misp_type, str) or not misp_type:
        raise InvalidInput("has no type", field="type")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("has no value", field="value")
    if _flag(attribute.get("deleted")):
        raise Unmappable("deleted in MISP")
    found = observables_of(misp_type, value, object_name=object_name)
    reach = reach_of(attribute, parent, where=f"attribute {attribute.get('uuid', '')}")
    facts = _facts(attribute).over(context.facts)
    labels = list(facts.labels)
    if not as_bool(attribute.get("to_ids"), misp_type not in NOT_IDS_BY_DEFAULT):
        labels = [NO_IDS_LABEL, *labels]  # first, so the label limit never cuts it
    record: ItemRecord = {
        **marking_fields(reach, facts.tlp),
        "_input": _input(attribute),
        "_comment": _comment(attribute, object_name),
    }
    if facts.pap is not None:
        record["pap"] = facts.pap.value
    if labels:
        record["labels"] = labels[:32]
    if facts.confidence is not None:
        record["confidence"] = facts.confidence
    return found, record


def _comment(attribute: dict[str, Any], object_name: str | None) -> str:
    comment = attribute.get("comment")
    parts = [comment.strip()] if isinstance(comment, str) and comment.strip() else []
    if object_name:
        relation = attribute.get("object_relation")
        parts.append(f"{object_name} object" + (f", {relation}" if relation else ""))
    return "; ".join(parts)


def _with_note(comment: str, note: str) -> str:
    if not comment:
        return note
    room = MAX_COMMENT - len(note) - 3
    if len(comment) > room:
        comment = comment[: room - 1] + "…"
    return f"{comment} ({note})"


def _input(attribute: dict[str, Any]) -> str:
    return f"attribute {attribute.get('uuid', '(no uuid)')} ({attribute.get('type', '?')})"


def _problem(attribute: dict[str, Any], reason: str) -> ParseProblem:
    return ParseProblem(f"{_input(attribute)}: {reason}", input=_input(attribute))


def _proposal(proposal: dict[str, Any]) -> ParseProblem:
    where = f"proposal {proposal.get('uuid', '(no uuid)')} ({proposal.get('type', '?')})"
    return ParseProblem(
        f"{where}: proposals (ShadowAttribute) await the event creator's review; not imported",
        input=where,
    )


def _flag(raw: Any) -> bool:
    """A MISP boolean such as ``deleted``; an unreadable value counts as false."""
    try:
        return as_bool(raw, False)
    except ValueError:
        return False


FORMAT = FormatSpec(
    name="misp",
    media_types=("application/x-misp+json", "application/vnd.misp+json"),
    read=read_misp,
    description="MISP event JSON: {'Event': {...}}, a bare event, a list, or {'response': [...]}",
)
