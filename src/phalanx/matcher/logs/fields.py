"""Field maps: which fields of a log record hold which kind of observable. PURE.

A field map maps a field name (a column, a JSON key, or a dotted path into nested JSON such
as ``dns.rrname``) to an observable kind, or to None ("auto": the value's syntax decides, and
prose is mined for IOCs). ``--field-map`` text is ``field=kind,field=kind``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.observables.kinds import ObservableType

FieldMap = Mapping[str, ObservableType | None]
AUTO = "auto"
_ACCEPTED = {
    ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR, ObservableType.DOMAIN,
    ObservableType.URL, ObservableType.EMAIL, ObservableType.MD5, ObservableType.SHA1,
    ObservableType.SHA256, ObservableType.SHA512,
}  # fmt: skip
_ALIASES = {"ip": ObservableType.IPV4, "hash": None, "host": ObservableType.DOMAIN}


def parse_field_map(text: str) -> dict[str, ObservableType | None]:
    """Parse ``field=kind,field=kind`` (kinds: ipv4, domain, url, sha256..., ip, hash, auto)."""
    mapping: dict[str, ObservableType | None] = {}
    for position, part in enumerate(text.split(","), start=1):
        if not part.strip():
            continue
        name, equals, kind = part.partition("=")
        name, kind = name.strip(), kind.strip().lower()
        if not equals or not name or not kind:
            raise InvalidInput(
                f"expected field=kind, got {part.strip()!r}", item=position, field="field-map"
            )
        mapping[name] = _parse_kind(kind, position)
    if not mapping:
        raise InvalidInput("the field map is empty", field="field-map")
    return mapping


def _parse_kind(kind: str, position: int) -> ObservableType | None:
    """Return the kind named ``kind`` (None for auto)."""
    if kind == AUTO or (kind in _ALIASES and _ALIASES[kind] is None):
        return None
    if kind in _ALIASES:
        return _ALIASES[kind]
    try:
        parsed = ObservableType(kind)
    except ValueError:
        parsed = None
    if parsed not in _ACCEPTED:
        names = ", ".join(sorted([k.value for k in _ACCEPTED] + [*_ALIASES, AUTO]))
        raise InvalidInput(
            f"unknown kind {kind!r}; expected one of: {names}", item=position, field="field-map"
        )
    return parsed


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """Return ``record[path]``, or the value at dotted ``path`` in nested objects, or None."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def values_of(value: Any) -> Iterator[str]:
    """Yield the string values in ``value`` (a string, a number, or a list of them)."""
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from values_of(item)
    elif isinstance(value, Mapping):
        for key in ("rdata", "rrname", "value"):  # EVE DNS answers and queries
            if key in value:
                yield from values_of(value[key])


def parse_timestamp(value: Any) -> datetime | None:
    """Return a timestamp from ISO 8601 text or epoch seconds, or None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            try:
                return datetime.fromtimestamp(float(value), UTC)
            except (OverflowError, OSError, ValueError):
                return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
