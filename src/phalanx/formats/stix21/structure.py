"""Light structural checks of STIX 2.1 objects on input (STIX 2.1 §2.7, §2.9, §3.2). PURE.

Enough to name a broken object, its id and the bad field in a contribution — identifiers are
``<type>--<RFC 4122 UUID>`` (§2.9), timestamps are RFC 3339 UTC with ``Z`` (§2.11), SDOs, SROs
and the meta objects carry ``created``/``modified`` (§3.2). It is not a validator: full schema
validation belongs to the TAXII server (stix2-validator).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from phalanx.clock import parse_timestamp
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
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
_REQUIRED = {"indicator": ("pattern", "valid_from")}


def is_identifier(value: Any, of_type: str | None = None) -> bool:
    """True if ``value`` is ``<type>--<RFC 4122 UUID>`` (and of ``of_type`` when given)."""
    if not isinstance(value, str) or "--" not in value:
        return False
    kind, _, tail = value.partition("--")
    if not _TYPE.fullmatch(kind) or not _UUID.fullmatch(tail):
        return False
    # §2.9: "an RFC 4122-compliant UUID"; the variant bits are what tell one apart.
    return uuid.UUID(tail).variant == uuid.RFC_4122 and of_type in (None, kind)


def is_timestamp(value: Any) -> bool:
    """True if ``value`` is a STIX timestamp: RFC 3339, UTC, ``Z`` (§2.11)."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return False
    try:
        parse_timestamp(value)
    except ValueError:  # shaped right but not a date, e.g. month 13
        return False
    return True


def check_object(obj: Any) -> None:
    """Raise InvalidInput naming the field if ``obj`` is not a structurally sound STIX object."""
    if not isinstance(obj, dict):
        raise InvalidInput("a STIX object must be a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str) or not _TYPE.fullmatch(kind):
        raise InvalidInput(f"not a STIX type name: {kind!r}", field="type")
    if "id" not in obj:
        raise InvalidInput("required property is missing", field="id")
    if not is_identifier(obj["id"], kind):
        raise InvalidInput(f"not a '{kind}--<UUID>' identifier: {obj['id']!r}", field="id")
    for field in _required_fields(kind):
        if field not in obj:
            raise InvalidInput("required property is missing", field=field)
    for field in TIMESTAMP_FIELDS:
        if field in obj and not is_timestamp(obj[field]):
            raise InvalidInput(f"not an RFC 3339 UTC timestamp: {obj[field]!r}", field=field)
    _check_references(obj)


def _required_fields(kind: str) -> tuple[str, ...]:
    """Required properties checked here: common ones (§3.2) plus a few per type."""
    if kind in SCO_TYPES:
        return ()
    if kind == "marking-definition":
        return ("created",)
    return ("created", "modified", *_REQUIRED.get(kind, ()))


def _check_references(obj: dict[str, Any]) -> None:
    """Every top-level ``*_ref`` holds an identifier and every ``*_refs`` a list of them (§2.7)."""
    for field, value in obj.items():
        if field.endswith("_ref"):
            references = [value]
        elif field.endswith("_refs"):
            if not isinstance(value, list) or not value:
                raise InvalidInput("must be a non-empty list of identifiers", field=field)
            references = value
        else:
            continue
        for reference in references:
            if not is_identifier(reference):
                raise InvalidInput(f"not a STIX identifier: {reference!r}", field=field)
