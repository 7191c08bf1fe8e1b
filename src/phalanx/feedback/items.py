"""Read sightings from the JSON body of ``POST /api/v1/sightings``. PURE.

The body is one sighting object, a list of them, or ``{"sightings": [...]}``. Each object::

    {"type": "ipv4", "value": "198.51.100.7",       # type optional: detected from the value
     "sighting": "seen" | "false-positive" | "expired",   # default "seen"
     "count": 3, "first_seen": "...", "last_seen": "...",  # RFC 3339; default: now
     "context": "blocked at the proxy",               # optional, at most 2,048 characters
     "anonymous": true,                               # default: others see counts only
     "id": "my-sighting-42"}                          # optional: makes retries idempotent
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from phalanx.clock import parse_timestamp
from phalanx.errors import InvalidInput
from phalanx.feedback.model import (
    MAX_CONTEXT_CHARS,
    MAX_COUNT,
    MAX_ITEM_KEY_CHARS,
    ItemProblem,
    SightingItem,
    SightingKind,
)
from phalanx.observables.model import Observable

Normalizer = Callable[[str, str | None], Observable]
# Clocks disagree a little: a sighting up to this far in the hub's future is accepted.
CLOCK_SKEW = timedelta(minutes=5)
KINDS = {kind.value: kind for kind in SightingKind} | {
    "sighting": SightingKind.SEEN,
    "false_positive": SightingKind.FALSE_POSITIVE,
    "fp": SightingKind.FALSE_POSITIVE,
    "expiration": SightingKind.EXPIRED,
    "0": SightingKind.SEEN,  # MISP Sighting::TYPE codes
    "1": SightingKind.FALSE_POSITIVE,
    "2": SightingKind.EXPIRED,
}
FIELDS = frozenset(
    {"type", "value", "sighting", "count", "first_seen", "last_seen", "context", "anonymous", "id"}
)


def items_of(document: Any) -> list[Any]:
    """The list of sighting objects in a JSON body; InvalidInput when it holds none."""
    if isinstance(document, dict) and "sightings" in document:
        document = document["sightings"]
        if not isinstance(document, list):
            raise InvalidInput("must be a list of sighting objects", field="sightings")
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise InvalidInput("expected a sighting object, a list, or {'sightings': [...]}", field="body")


def read_items(
    raw_items: list[Any], *, normalize: Normalizer, now: datetime
) -> Iterator[SightingItem | ItemProblem]:
    """Yield one SightingItem or ItemProblem per raw item, in order."""
    for index, raw in enumerate(raw_items):
        label = _label(raw)
        try:
            yield read_item(index, raw, normalize=normalize, now=now)
        except InvalidInput as error:
            yield ItemProblem(index, label, error.reason, error.details.get("field"))


def read_item(index: int, raw: Any, *, normalize: Normalizer, now: datetime) -> SightingItem:
    """Read one sighting object; raise InvalidInput naming the field."""
    if not isinstance(raw, dict):
        raise InvalidInput("each sighting must be a JSON object", field="item")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown field(s) {', '.join(unknown)}; expected: {', '.join(sorted(FIELDS))}",
            field=unknown[0],
        )
    value, kind_name = raw.get("value"), raw.get("type")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("is required: the observed value as a string", field="value")
    if kind_name is not None and not isinstance(kind_name, str):
        raise InvalidInput("must be an observable type name", field="type")
    observable = normalize(value, kind_name)
    first, last = sighting_times(raw.get("first_seen"), raw.get("last_seen"), now)
    return SightingItem(
        index=index,
        input=value,
        observable=observable,
        kind=sighting_kind(raw.get("sighting", "seen")),
        count=sighting_count(raw.get("count", 1)),
        first_seen=first,
        last_seen=last,
        context=context_text(raw.get("context")),
        anonymous=flag(raw.get("anonymous", True), "anonymous"),
        item_key=item_key(raw.get("id")),
    )


def sighting_kind(raw: Any) -> SightingKind:
    """The kind named by ``raw`` (also MISP's codes 0, 1, 2)."""
    kind = KINDS.get(str(raw).strip().lower()) if isinstance(raw, str | int) else None
    if kind is None or isinstance(raw, bool):
        raise InvalidInput(
            f"must be one of seen, false-positive, expired; got {raw!r}", field="sighting"
        )
    return kind


def sighting_count(raw: Any) -> int:
    """A count of 1 to 999,999,999 (STIX allows 0; a sighting seen 0 times says nothing)."""
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_COUNT:
        raise InvalidInput(
            f"must be an integer from 1 to {MAX_COUNT:,}; got {raw!r}", field="count"
        )
    return raw


def sighting_times(first: Any, last: Any, now: datetime) -> tuple[datetime, datetime]:
    """(first_seen, last_seen): both default to the other, then to now; never in the future."""
    last_at = _timestamp(last, "last_seen")
    first_at = _timestamp(first, "first_seen")
    last_at = last_at or first_at or now
    first_at = first_at or last_at
    if first_at > last_at:
        raise InvalidInput("must not be later than last_seen", field="first_seen")
    if last_at > now + CLOCK_SKEW:
        raise InvalidInput("is in the future (a sighting reports what was seen)", field="last_seen")
    return first_at, last_at


def context_text(raw: Any) -> str | None:
    """Free-text context: trimmed, at most 2,048 characters, no control characters."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput("must be a string", field="context")
    text = "".join(ch for ch in raw.strip() if ch.isprintable() or ch in "\n\t")
    if len(text) > MAX_CONTEXT_CHARS:
        raise InvalidInput(f"is longer than {MAX_CONTEXT_CHARS} characters", field="context")
    return text or None


def flag(raw: Any, field: str) -> bool:
    """A JSON boolean."""
    if not isinstance(raw, bool):
        raise InvalidInput(f"must be true or false; got {raw!r}", field=field)
    return raw


def item_key(raw: Any) -> str | None:
    """The client's id of a sighting: 1-200 printable characters."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_ITEM_KEY_CHARS:
        raise InvalidInput(f"must be a string of 1-{MAX_ITEM_KEY_CHARS} characters", field="id")
    return raw.strip()


def _timestamp(raw: Any, field: str) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput("must be an RFC 3339 timestamp string", field=field)
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not an RFC 3339 timestamp", field=field) from None


def _label(raw: Any) -> str:
    if isinstance(raw, dict):
        value = raw.get("value") or raw.get("id")
        return str(value)[:200] if value is not None else ""
    return str(raw)[:200]
