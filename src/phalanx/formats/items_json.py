"""The native JSON contribution format: ``{"defaults": {...}, "items": [...]}``. PURE."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from phalanx.errors import InvalidInput
from phalanx.formats.base import FormatSpec, ParseProblem, ReadResult


def parse_document(payload: bytes) -> tuple[dict[str, Any], list[Any]]:
    """Return (defaults, items) of a JSON contribution; raise InvalidInput when malformed."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"body is not valid JSON: {error}", field="body") from None
    if isinstance(document, list):
        document = {"items": document}
    if not isinstance(document, dict):
        raise InvalidInput("body must be an object with an 'items' list", field="body")
    unknown = sorted(set(document) - {"defaults", "items"})
    if unknown:
        raise InvalidInput(f"unknown top-level field(s) {', '.join(unknown)}", field=unknown[0])
    defaults = document.get("defaults") or {}
    items = document.get("items")
    if not isinstance(defaults, dict):
        raise InvalidInput("must be an object", field="defaults")
    if not isinstance(items, list):
        raise InvalidInput("is required and must be a list", field="items")
    return defaults, items


def read_items(payload: bytes, options: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Yield the items of a JSON contribution (its defaults are read by the caller)."""
    _defaults, items = parse_document(payload)
    return records_of(items)


def records_of(items: list[Any]) -> Iterator[ReadResult]:
    """Yield item records from an already-parsed ``items`` list."""
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield item
        elif isinstance(item, str):
            yield {"value": item}
        else:
            yield ParseProblem(
                "an item must be an object or a string", line=number, input=str(item)
            )


FORMAT = FormatSpec(
    name="json",
    media_types=("application/json",),
    read=read_items,
    description='Phalanx JSON: {"defaults": {...}, "items": [{"value": ...}, ...]}',
    extensions=(".json",),
)
