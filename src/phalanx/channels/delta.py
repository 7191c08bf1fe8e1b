"""Versioned channel contents as item sets, and the deltas behind ``?since=VERSION``. PURE.

A channel version is the set of its feed items (``formats.base``). The store keeps an
append-only change log per channel, one row per item that appeared or disappeared in a
version: ``(version, item, added)``. A ``?since=V`` answer is the *net* change from V to the
latest version, :func:`compact_changes` over the log rows after V: an item added then removed
after V cancels out, one removed then re-added too, and only the first and last change of an
item matter. A ``since`` older than the log's retention or newer than the latest version has
no delta: the shell answers with the full feed instead.

Wire forms: JSON ``{"from": V1, "to": V2, "added": [...], "removed": [...]}`` (sorted lists),
and text, one item per line prefixed ``+`` or ``-`` after a ``# phalanx delta`` comment line.
The text form needs single-line items (YARA rules and CSV rows with rule text are not), so
:func:`to_text` refuses the others; JSON carries anything.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import orjson

from phalanx.errors import Conflict, InvalidInput, Unsupported


class Change(NamedTuple):
    """One change-log row: in ``version``, ``item`` was added (True) or removed (False)."""

    version: int
    item: str
    added: bool


@dataclass(frozen=True, slots=True)
class Delta:
    """What to add to and remove from one item set to reach another (disjoint sets)."""

    added: frozenset[str]
    removed: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def diff(previous: Iterable[str], current: Iterable[str]) -> Delta:
    """The delta that turns ``previous`` into ``current``."""
    before, after = frozenset(previous), frozenset(current)
    return Delta(added=after - before, removed=before - after)


def apply(previous: Iterable[str], delta: Delta, *, strict: bool = True) -> set[str]:
    """Apply a delta; when ``strict``, raise Conflict if it was made for another base."""
    result = set(previous)
    if strict:
        missing = delta.removed - result
        present = delta.added & result
        if missing or present:
            raise Conflict(
                "delta does not fit this version: "
                f"{len(missing)} removed items are absent, {len(present)} added are present",
                missing=len(missing),
                present=len(present),
            )
    result -= delta.removed
    result |= delta.added
    return result


def changes(version: int, delta: Delta) -> list[Change]:
    """The change-log rows recording ``delta`` as ``version`` (sorted, removals first)."""
    rows = [Change(version, item, False) for item in sorted(delta.removed)]
    rows += [Change(version, item, True) for item in sorted(delta.added)]
    return rows


def changes_after(log: Sequence[Change], since: int) -> Sequence[Change]:
    """The rows of a version-ordered in-memory log after ``since`` (what the DB index does)."""
    start = bisect_right(log, since, key=lambda change: change.version)
    return log[start:]


def compact_changes(rows: Iterable[tuple[int, str, bool]], since: int) -> Delta:
    """Net delta from version ``since`` to the newest version in the log rows.

    Rows at or before ``since`` are ignored; rows may come in any order. An item's state at
    ``since`` is the opposite of its first change after it, its final state is its last
    change; the item is in the delta only if the two differ. Raise InvalidInput when one
    version both adds and removes an item, or an item is added (removed) twice in a row.
    """
    history: dict[str, list[tuple[int, bool]]] = {}
    for version, item, added in rows:
        if version > since:
            history.setdefault(item, []).append((version, added))
    added_items: set[str] = set()
    removed_items: set[str] = set()
    for item, steps in history.items():
        if len(steps) > 1:
            steps.sort()
            _check_alternates(item, steps)
        first, last = steps[0][1], steps[-1][1]
        if first == last:
            (added_items if last else removed_items).add(item)
    return Delta(added=frozenset(added_items), removed=frozenset(removed_items))


def _check_alternates(item: str, steps: list[tuple[int, bool]]) -> None:
    for (version_a, added_a), (version_b, added_b) in pairwise(steps):
        if version_a == version_b or added_a == added_b:
            raise InvalidInput(
                f"change log is inconsistent for an item at versions {version_a} and {version_b}",
                field="changes",
                value=item,
            )


def to_json(delta: Delta, *, from_version: int, to_version: int) -> bytes:
    """The JSON form of a ``?since=`` answer (lists sorted, so bytes are deterministic)."""
    return orjson.dumps(
        {
            "from": from_version,
            "to": to_version,
            "added": sorted(delta.added),
            "removed": sorted(delta.removed),
        }
    )


def from_json(payload: bytes) -> tuple[int, int, Delta]:
    """Parse the JSON form back to (from, to, delta); raise InvalidInput on a bad document."""
    try:
        document = orjson.loads(payload)
        versions = (int(document["from"]), int(document["to"]))
        added, removed = document["added"], document["removed"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"not a channel delta document: {error}", field="delta") from None
    if not all(isinstance(item, str) for item in (*added, *removed)):
        raise InvalidInput("delta items must be strings", field="delta")
    return versions[0], versions[1], Delta(frozenset(added), frozenset(removed))


def to_text(delta: Delta, *, from_version: int, to_version: int) -> bytes:
    """The text form: a comment line, then ``-item`` lines and ``+item`` lines, sorted."""
    if any("\n" in item or "\r" in item for item in (*delta.added, *delta.removed)):
        raise Unsupported("items span lines; ask for the JSON delta", what="delta-text")
    lines = [f"# phalanx delta from={from_version} to={to_version}"]
    lines += [f"-{item}" for item in sorted(delta.removed)]
    lines += [f"+{item}" for item in sorted(delta.added)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def from_text(payload: bytes) -> Delta:
    """Parse the text form; ``#`` lines are comments, anything else must start with + or -."""
    added: set[str] = set()
    removed: set[str] = set()
    for number, line in enumerate(payload.decode("utf-8").split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        if line[0] not in "+-":
            raise InvalidInput(f"line {number} does not start with + or -", field="delta")
        (added if line[0] == "+" else removed).add(line[1:])
    return Delta(frozenset(added), frozenset(removed))
