"""A member's channel as stored: format, name and filter, and their JSON forms. PURE.

The filter is kept as canonical JSON (the same document the REST API takes and returns)::

    {"kinds": ["ipv4", "domain"] | null, "labels": ["c2", "malware:*"] | null,
     "min_confidence": 60 | null, "max_tlp": "amber" | null,
     "exclude_pap_red": true, "exclude_benign": true}

``null`` means "no condition". Kinds accept the families ``ip``, ``hash`` and ``rule``; they
are stored expanded and sorted so that two spellings of one filter compare equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from phalanx.channels.formats import registry
from phalanx.channels.model import ChannelFilter
from phalanx.errors import InvalidInput
from phalanx.observables.kinds import expand_kinds
from phalanx.policy.markings import parse_tlp

FORMAT_NAMES = (
    "edl-ip",
    "edl-domain",
    "edl-url",
    "suricata",
    "rpz",
    "yara",
    "csv",
    "stix",
    "misp-feed",
)
MAX_NAME = 120
_FILTER_KEYS = frozenset(
    {"kinds", "labels", "min_confidence", "max_tlp", "exclude_pap_red", "exclude_benign"}
)


@dataclass(frozen=True, slots=True)
class Channel:
    """One deployment channel of a member organisation."""

    id: int
    org_id: int
    org_name: str
    name: str
    format: str
    filter: ChannelFilter
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The channel as the API shows it."""
        return {
            "id": self.id,
            "org": self.org_name,
            "name": self.name,
            "format": self.format,
            "filter": filter_to_json(self.filter),
            "created": self.created_at.isoformat(),
            "updated": self.updated_at.isoformat(),
        }


def check_format(name: str) -> str:
    """Return the canonical format name; raise InvalidInput naming the valid ones."""
    key = name.strip().lower()
    if key == "stix21":
        key = "stix"
    if key not in FORMAT_NAMES and key not in registry.formats():
        raise InvalidInput(
            f"unknown channel format {name!r}; use one of {', '.join(FORMAT_NAMES)}",
            field="format",
        )
    return key


def check_name(name: str) -> str:
    """Return a channel name stripped; raise InvalidInput when empty, too long or multi-line."""
    text = name.strip()
    if not text or len(text) > MAX_NAME or any(ch in text for ch in "\r\n\t"):
        raise InvalidInput(
            f"a channel name has 1 to {MAX_NAME} characters on one line", field="name"
        )
    return text


def filter_from_json(document: Mapping[str, Any]) -> ChannelFilter:
    """Build a filter from its JSON form; raise InvalidInput naming the bad field."""
    unknown = sorted(set(document) - _FILTER_KEYS)
    if unknown:
        raise InvalidInput(
            f"unknown filter field(s) {', '.join(unknown)}; use {', '.join(sorted(_FILTER_KEYS))}",
            field=f"filter.{unknown[0]}",
        )
    kinds = _strings(document, "kinds")
    labels = _strings(document, "labels")
    try:
        expanded = None if kinds is None else expand_kinds(kinds)
    except ValueError as error:
        raise InvalidInput(str(error), field="filter.kinds") from None
    try:
        return ChannelFilter(
            kinds=expanded,
            labels=None if labels is None else frozenset(labels),
            min_confidence=_confidence(document.get("min_confidence")),
            max_tlp=_tlp(document.get("max_tlp")),
            exclude_pap_red=_flag(document, "exclude_pap_red"),
            exclude_benign=_flag(document, "exclude_benign"),
        )
    except InvalidInput as error:
        if error.field is None or error.field.startswith("filter."):
            raise
        raise InvalidInput(error.reason, field=f"filter.{error.field}") from None


def filter_to_json(channel_filter: ChannelFilter) -> dict[str, Any]:
    """The canonical JSON form of a filter (sorted lists)."""
    kinds = channel_filter.kinds
    labels = channel_filter.labels
    return {
        "kinds": None if kinds is None else sorted(kind.value for kind in kinds),
        "labels": None if labels is None else sorted(labels),
        "min_confidence": channel_filter.min_confidence,
        "max_tlp": None if channel_filter.max_tlp is None else channel_filter.max_tlp.value,
        "exclude_pap_red": channel_filter.exclude_pap_red,
        "exclude_benign": channel_filter.exclude_benign,
    }


def _strings(document: Mapping[str, Any], key: str) -> list[str] | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("must be a list of strings", field=f"filter.{key}")
    cleaned = [v.strip() for v in value if v.strip()]
    if not cleaned:
        raise InvalidInput(
            "must not be empty (leave it out for no condition)", field=f"filter.{key}"
        )
    return cleaned


def _confidence(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput("must be an integer from 0 to 100", field="filter.min_confidence")
    return value


def _tlp(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be a TLP level", field="filter.max_tlp")
    try:
        return parse_tlp(value)
    except ValueError as error:
        raise InvalidInput(str(error), field="filter.max_tlp") from None


def _flag(document: Mapping[str, Any], key: str) -> bool:
    value = document.get(key, True)
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", field=f"filter.{key}")
    return value
