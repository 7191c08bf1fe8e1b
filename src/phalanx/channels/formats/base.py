"""The contract every channel format follows. PURE.

A format is two functions, so that deltas reproduce full feeds exactly:

* ``collect(entries, channel_name=...) -> Collected``: the feed's *items* — the unit of change
  (an EDL line, a zone record, a CSV row, a YARA rule, ``role<TAB>line`` in a bundle) — and how
  many entries were skipped and why. Items never depend on the version or the time.
* ``assemble(items, channel_name=..., version=..., generated=...) -> bytes``: lays the items
  out in sorted order under a header. It is a function of the item *set*, so applying a delta
  to the previous items and assembling gives byte-for-byte the full feed.

``render = assemble ∘ collect``. Multi-file formats (a Suricata rules file plus dataset files)
also give ``assemble_files`` (file name -> bytes); their ``render`` is a reproducible tar.gz.
``generated`` is the time the *version* was minted, never the request time, or the bytes
(and the ETag) would change on every request.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from phalanx.channels.model import (
    ChannelFilter,
    DeliveryEntry,
    Use,
    floor_reason,
    select_entries,
)
from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP


@dataclass(frozen=True, slots=True)
class Collected:
    """A feed's items plus skipped-entry counts by reason (e.g. ``{"too-long": 3}``)."""

    items: frozenset[str]
    skipped: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Build:
    """One rendered version: the body to serve, its items (for the change log), skip counts."""

    content: bytes
    items: frozenset[str]
    skipped: Mapping[str, int]


class Collector(Protocol):
    """Turns entries into the feed's item set; must skip, never raise, on a bad entry."""

    def __call__(self, entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected: ...


class Assembler(Protocol):
    """Lays out an item set (in sorted order) under a header naming channel and version."""

    def __call__(
        self, items: Iterable[str], *, channel_name: str, version: int, generated: datetime
    ) -> bytes: ...


class FileAssembler(Protocol):
    """Like :class:`Assembler`, for formats made of several files (name -> content)."""

    def __call__(
        self, items: Iterable[str], *, channel_name: str, version: int, generated: datetime
    ) -> dict[str, bytes]: ...


@dataclass(frozen=True, slots=True)
class ChannelFormat:
    """A named channel format: kinds it carries, how its consumer uses them, how to build it."""

    name: str
    kinds: frozenset[ObservableType]
    use: Use
    media_type: str
    extension: str
    collect: Collector
    assemble: Assembler
    assemble_files: FileAssembler | None = None
    description: str = ""

    def select(
        self,
        entries: Iterable[DeliveryEntry],
        channel_filter: ChannelFilter,
        now: datetime | None = None,
    ) -> list[DeliveryEntry]:
        """The entries this format may deliver for a channel with ``channel_filter``.

        With ``now``, entries whose ``valid_until`` has passed are dropped as expired.
        """
        return select_entries(entries, channel_filter, use=self.use, kinds=self.kinds, now=now)

    def build(
        self,
        entries: Sequence[DeliveryEntry],
        *,
        channel_name: str,
        version: int,
        generated: datetime,
    ) -> Build:
        """Collect and assemble one version of the feed."""
        collected = self.collect(entries, channel_name=channel_name)
        content = self.assemble(
            collected.items, channel_name=channel_name, version=version, generated=generated
        )
        return Build(content=content, items=collected.items, skipped=collected.skipped)

    def render(
        self,
        entries: Sequence[DeliveryEntry],
        *,
        channel_name: str,
        version: int,
        generated: datetime,
    ) -> bytes:
        """Return the body served for this version."""
        return self.build(
            entries, channel_name=channel_name, version=version, generated=generated
        ).content

    def render_files(
        self,
        entries: Sequence[DeliveryEntry],
        *,
        channel_name: str,
        version: int,
        generated: datetime,
    ) -> dict[str, bytes]:
        """Return the feed as files; a single-file format gives one ``<slug><extension>``."""
        items = self.collect(entries, channel_name=channel_name).items
        if self.assemble_files is not None:
            return self.assemble_files(
                items, channel_name=channel_name, version=version, generated=generated
            )
        body = self.assemble(items, channel_name=channel_name, version=version, generated=generated)
        return {f"{channel_slug(channel_name)}{self.extension}": body}


def collect_values(
    entries: Sequence[DeliveryEntry],
    *,
    use: Use,
    kinds: frozenset[ObservableType],
    convert: Callable[[DeliveryEntry], tuple[str, ...] | str],
) -> Collected:
    """Apply the deployment floor and ``convert`` each entry to items or a skip reason.

    ``convert`` returns a tuple of items, or a ``str`` naming why the entry is skipped. The
    floor is re-applied here so that a caller who forgot ``select_entries`` still cannot push
    PAP:RED data into a block list.
    """
    items: set[str] = set()
    update = items.update
    skipped: Counter[str] = Counter()
    for entry in entries:
        if entry.type not in kinds:
            reason: str | None = "unsupported-kind"
        elif (
            entry.never_deploy is None
            and (entry.pap is _GREEN or entry.pap is _CLEAR)
            and not entry.benign
        ):
            reason = None  # passes the strictest floor (BLOCK), hence every floor
        else:
            reason = floor_reason(entry, use)
        if reason is None:
            result = convert(entry)
            if not isinstance(result, str):
                update(result)
                continue
            reason = result
        skipped[reason] += 1
    return Collected(frozenset(items), dict(sorted(skipped.items())))


def admit_entries(
    entries: Iterable[DeliveryEntry], *, use: Use, kinds: frozenset[ObservableType]
) -> tuple[list[DeliveryEntry], Counter[str]]:
    """Split entries into those the deployment floor admits and skip counts for the rest."""
    admitted: list[DeliveryEntry] = []
    skipped: Counter[str] = Counter()
    for entry in entries:
        reason = "unsupported-kind" if entry.type not in kinds else floor_reason(entry, use)
        if reason is None:
            admitted.append(entry)
        else:
            skipped[reason] += 1
    return admitted, skipped


_GREEN, _CLEAR = PAP.GREEN, PAP.CLEAR  # hot-loop aliases (cheaper than Enum attributes)
_UNSAFE_TEXT = re.compile(r"[^\x20-\x7e]")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def header_text(text: str, *, limit: int = 120) -> str:
    """Printable-ASCII, one-line form of free text (a channel name) for comments and meta."""
    return _UNSAFE_TEXT.sub("?", text)[:limit]


def channel_slug(channel_name: str) -> str:
    """A file- and identifier-safe name for a channel, unique through a short digest."""
    stem = _SLUG_JUNK.sub("-", channel_name.lower()).strip("-")[:32].strip("-") or "channel"
    digest = hashlib.sha256(channel_name.encode()).hexdigest()[:8]
    return f"{stem}-{digest}"


def etag(content: bytes) -> str:
    """A strong ETag for a feed body (RFC 9110 §8.8.3): the quoted SHA-256 digest prefix."""
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def sorted_text(items: Iterable[str]) -> str:
    """Items one per line in sorted order, each ending with a newline ('' when empty)."""
    ordered = sorted(items)
    return "\n".join(ordered) + "\n" if ordered else ""
