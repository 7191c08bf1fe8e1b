"""Sightings as submitted and the outcome of each. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from phalanx.observables.model import Observable

MAX_COUNT = 999_999_999  # STIX 2.1 sighting ``count`` upper bound (§5.2)
MAX_CONTEXT_CHARS = 2_048
MAX_ITEM_KEY_CHARS = 200


class SightingKind(StrEnum):
    """What a sighting states (MISP sighting types 0, 1 and 2)."""

    SEEN = "seen"
    FALSE_POSITIVE = "false-positive"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class SightingItem:
    """One well-formed sighting, its observable normalised, times checked."""

    index: int
    input: str  # how the client named it (value, or STIX id), echoed in the outcome
    observable: Observable
    kind: SightingKind
    count: int
    first_seen: datetime
    last_seen: datetime
    context: str | None = None
    anonymous: bool = True
    item_key: str | None = None  # the client's id for this sighting (STIX id): retries dedupe


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """A sighting that could not be read: which item, which field, why."""

    index: int
    input: str
    reason: str
    field: str | None = None


@dataclass(slots=True)
class SightingOutcome:
    """What happened to one sighting: recorded, duplicate (a retry), unknown or rejected."""

    index: int
    input: str
    outcome: str
    type: str | None = None
    value: str | None = None
    kind: str | None = None
    reason: str | None = None
    field: str | None = None
    sighting_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The API form; empty fields are left out."""
        data = {
            "index": self.index,
            "input": self.input,
            "outcome": self.outcome,
            "type": self.type,
            "value": self.value,
            "sighting": self.kind,
            "id": self.sighting_id,
            "reason": self.reason,
            "field": self.field,
        }
        return {k: v for k, v in data.items() if v is not None}
