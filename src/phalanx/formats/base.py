"""The reader/writer contract shared by every format. PURE.

A *reader* turns a whole payload into a stream of :class:`ItemRecord` mappings — the same
shape as one item of a JSON contribution (``{"type"?, "value", "tlp"?, "labels"?, ...}``) — or
:class:`ParseProblem` for a record it could not read. One bad record never aborts a read.
Item records may carry ``"_line"`` (1-based source line) and ``"_input"`` (the raw text the
record came from) for error reporting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

ItemRecord = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A record a reader could not turn into an item: where, what, and why."""

    reason: str
    line: int | None = None
    input: str = ""


ReadResult = ItemRecord | ParseProblem
Reader = Callable[[bytes, Mapping[str, Any]], Iterator[ReadResult]]


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """A named format: the media types it answers to and its reader (writers live elsewhere)."""

    name: str
    media_types: tuple[str, ...]
    read: Reader
    description: str = ""
    extensions: tuple[str, ...] = field(default_factory=tuple)
