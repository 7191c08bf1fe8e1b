"""Time and identifiers, passed into pure code as arguments so tests can pin them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

Clock = Callable[[], datetime]
IdFactory = Callable[[], uuid.UUID]


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """Return a fresh random UUIDv4."""
    return uuid.uuid4()


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 timestamp (``Z`` or offset; naive means UTC) to aware UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@lru_cache(maxsize=16_384)
def micros_of(text: str) -> int:
    """``to_micros(parse_timestamp(text))``, remembered: an object's timestamps repeat.

    A STIX object usually has ``created`` = ``modified`` = ``valid_from``, and a TAXII POST
    checks, compares and stores them; parsing each once saves a few microseconds per object.
    """
    return to_micros(parse_timestamp(text))


def format_timestamp(moment: datetime) -> str:
    """Format as RFC 3339 UTC with microseconds and ``Z`` (the TAXII timestamp form)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_stix_timestamp(moment: datetime) -> str:
    """Format as a STIX timestamp with millisecond precision and ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_micros(moment: datetime) -> int:
    """Return integer microseconds since the Unix epoch (how the store keeps every time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """Return the aware UTC datetime for integer microseconds since the Unix epoch."""
    return _EPOCH + timedelta(microseconds=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
