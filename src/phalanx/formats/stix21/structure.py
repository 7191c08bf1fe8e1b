"""Light structural checks of STIX 2.1 objects on input (STIX 2.1 §2.7, §2.9, §3.2). PURE.

Enough to name a broken object, its id and the bad field in a contribution — identifiers are
``<type>--<RFC 4122 UUID>`` (§2.9), timestamps are RFC 3339 UTC with ``Z`` (§2.11), SDOs, SROs
and the meta objects carry ``created``/``modified`` (§3.2). It is not a validator: full schema
validation belongs to the TAXII server (stix2-validator).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from phalanx.clock import micros_of
from phalanx.errors import InvalidInput

# STIX 2.1 §6 (and the deprecated-but-parsed ones); everything else is an SDO, SRO or SMO.
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
TIMESTAMP_FIELDS = (
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
    "published",
)
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]")
# §2.9: "an RFC 4122-compliant UUID"; the variant bits (10x: 8, 9, a or b) tell one apart.
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
_REQUIRED = {"indicator": ("pattern", "valid_from")}


def is_identifier(value: Any, of_type: str | None = None) -> bool:
    """True if ``value`` is ``<type>--<RFC 4122 UUID>`` (and of ``of_type`` when given)."""
    if not isinstance(value, str):
        return False
    kind = _identifier_type(value)
    return kind is not None and of_type in (None, kind)


# Remembered: the same references (creators, markings) recur across a bundle's objects.
@lru_cache(maxsize=16_384)
def _identifier_type(value: str) -> str | None:
    kind, separator, tail = value.partition("--")
    if not separator or not _TYPE.fullmatch(kind) or not _UUID.fullmatch(tail):
        return None
    return kind


def is_timestamp(value: Any) -> bool:
    """True if ``value`` is a STIX timestamp: RFC 3339, UTC, ``Z`` (§2.11)."""
    return isinstance(value, str) and _valid_timestamp(value)


# Remembered: an object's created, modified and valid_from are usually one instant.
@lru_cache(maxsize=16_384)
def _valid_timestamp(value: str) -> bool:
    if not _TIMESTAMP.fullmatch(value):
        return False
    try:
        micros_of(value)
    except ValueError:  # shaped right but not a date, e.g. month 13
        return False
    return True


def check_object(obj: Any) -> None:
    """Raise InvalidInput naming the field if ``obj`` is not a structurally sound STIX object."""
    if not isinstance(obj, dict):
        raise InvalidInput("a STIX object must be a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str) or not _type_name(kind):
        raise InvalidInput(f"not a STIX type name: {kind!r}", field="type")
    if "id" not in obj:
        raise InvalidInput("required property is missing", field="id")
    if not _own_identifier(obj["id"], kind):
        raise InvalidInput(f"not a '{kind}--<UUID>' identifier: {obj['id']!r}", field="id")
    for field in _required_fields(kind):
        if field not in obj:
            raise InvalidInput("required property is missing", field=field)
    for field in TIMESTAMP_FIELDS:
        if field in obj and not is_timestamp(obj[field]):
            raise InvalidInput(f"not an RFC 3339 UTC timestamp: {obj[field]!r}", field=field)
    _check_references(obj)


# Remembered: a bundle holds a handful of type names, checked once each, not per object.
@lru_cache(maxsize=4_096)
def _type_name(kind: str) -> bool:
    return _TYPE.fullmatch(kind) is not None


def _own_identifier(value: Any, kind: str) -> bool:
    """``is_identifier(value, kind)`` for a valid ``kind``, without remembering ``value``.

    An object's own id is seen once, so caching it (as references are) only churns the
    cache; ``kind`` is checked already, so only the UUID is left to match.
    """
    if not isinstance(value, str):
        return False
    prefix, separator, tail = value.partition("--")
    return prefix == kind and bool(separator) and _UUID.fullmatch(tail) is not None


def _required_fields(kind: str) -> tuple[str, ...]:
    """Required properties checked here: common ones (§3.2) plus a few per type."""
    if kind in SCO_TYPES:
        return ()
    if kind == "marking-definition":
        return ("created",)
    return ("created", "modified", *_REQUIRED.get(kind, ()))


# Remembered: an object's dozen property names recur across a bundle. 0 for no reference,
# 1 for ``*_ref``, 2 for ``*_refs``.
@lru_cache(maxsize=4_096)
def _reference_kind(field: str) -> int:
    return 1 if field.endswith("_ref") else 2 if field.endswith("_refs") else 0


def _check_references(obj: dict[str, Any]) -> None:
    """Every top-level ``*_ref`` holds an identifier and every ``*_refs`` a list of them (§2.7)."""
    for field, value in obj.items():
        found = _reference_kind(field)
        if not found:
            continue
        if found == 1:
            references = [value]
        else:
            if not isinstance(value, list) or not value:
                raise InvalidInput("must be a non-empty list of identifiers", field=field)
            references = value
        for reference in references:
            if not is_identifier(reference):
                raise InvalidInput(f"not a STIX identifier: {reference!r}", field=field)
