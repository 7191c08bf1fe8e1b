"""MISP event envelopes and MISP's JSON scalars. PURE.

MISP writes an event as ``{"Event": {...}}`` (API and feed files), as a bare event (PyMISP
``to_json``), as a list of either, or as an API response ``{"response": [...]}``. Numbers are
JSON strings (``"distribution": "3"``) and booleans may be ``true``, ``"1"`` or ``1``
(spec-notes §4.1).
"""

from __future__ import annotations

from typing import Any

from phalanx.errors import InvalidInput


def events_of(document: Any) -> list[dict[str, Any]]:
    """Return the events of any MISP envelope; raise InvalidInput naming what is wrong."""
    if isinstance(document, dict) and "response" in document:
        document = document["response"]
    items = document if isinstance(document, list) else [document]
    events = []
    for index, item in enumerate(items):
        event = item.get("Event", item) if isinstance(item, dict) else None
        if not isinstance(event, dict) or not _looks_like_event(event):
            where = f"item {index + 1}" if isinstance(document, list) else "the document"
            raise InvalidInput(
                f"{where} is not a MISP event: expected {{'Event': {{...}}}} or an event "
                "with 'uuid', 'info' and 'Attribute' or 'Object'",
                field="Event",
            )
        events.append(event)
    return events


def _looks_like_event(event: dict[str, Any]) -> bool:
    return "info" in event and ("Attribute" in event or "Object" in event or "uuid" in event)


def as_int(raw: Any, default: int | None = None) -> int | None:
    """An integer from MISP's string-or-number field (``"3"`` or ``3``); None if absent."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise ValueError(f"{raw!r} is not an integer")


def as_bool(raw: Any, default: bool = False) -> bool:
    """A boolean from MISP's ``true``/``"1"``/``1``/``"True"`` spellings."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw != 0
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"{raw!r} is not a boolean")


def list_of(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The dict members of a MISP list field (``Attribute``, ``Tag``...); [] when absent."""
    value = container.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
