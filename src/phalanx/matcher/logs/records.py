"""Observations from one decoded JSON record, shared by the JSON-lines and EVE readers. PURE.

Field paths are split once, up front, and grouped by their first component, so each record
is probed only through the keys it has. Records come from ``orjson`` and hold plain dicts and
lists, so exact ``type() is`` checks are used: ``isinstance`` against the ``Mapping`` ABC is
several times slower and this runs for every field of every line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from phalanx.matcher.logs.fields import FieldMap, lookup, parse_timestamp
from phalanx.matcher.model import Observation
from phalanx.observables.kinds import ObservableType

Path = tuple[str, tuple[str, ...], ObservableType | None]  # (dotted name, parts, kind)
Paths = dict[str, list[Path]]
_NESTED_KEYS = ("rdata", "rrname", "value")  # EVE DNS answers and queries


def group_paths(fields: FieldMap) -> Paths:
    """Group field paths by their first component (a flat key with dots is its own group)."""
    groups: Paths = {}
    for name, kind in fields.items():
        parts = tuple(name.split("."))
        groups.setdefault(parts[0], []).append((name, parts, kind))
        if len(parts) > 1:  # flat keys with dots exist too ("id.orig_h" in Zeek JSON)
            groups.setdefault(name, []).append((name, (name,), kind))
    return groups


def record_observations(
    record: dict[str, Any], paths: Paths, line: int, ts: datetime | None
) -> Iterator[Observation]:
    """Yield an observation for each value found at the mapped paths of ``record``."""
    for top in record:  # in the record's own order: output stays stable across runs
        group = paths.get(top)
        if group is None:
            continue
        for name, parts, kind in group:
            value: Any = record
            for part in parts:
                value = value.get(part) if type(value) is dict else None
            if value is None:
                continue
            if type(value) is str:
                if value:
                    yield Observation(kind, value, line, name, ts)
            else:
                for text in _texts(value):
                    yield Observation(kind, text, line, name, ts)


def _texts(value: Any) -> Iterator[str]:
    """Yield the strings in a list (of strings, or of objects with an rdata/rrname/value)."""
    if type(value) is not list:
        return
    for item in value:
        if type(item) is str:
            if item:
                yield item
        elif type(item) is dict:
            for key in _NESTED_KEYS:
                text = item.get(key)
                if type(text) is str and text:
                    yield text


def record_timestamp(record: Mapping[str, Any], names: tuple[str, ...]) -> datetime | None:
    """Return the first parseable timestamp among ``names`` in ``record``."""
    for name in names:
        value = record.get(name)
        if value is None and "." in name:
            value = lookup(record, name)
        if value is not None:
            parsed = parse_timestamp(value)
            if parsed is not None:
                return parsed
    return None
