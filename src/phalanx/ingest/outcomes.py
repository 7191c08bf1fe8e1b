"""Each item's outcome, and the contribution's answer rendered ahead of its write.

A staged contribution's write transaction (ingest/staged.py) settles few outcomes anew: an
item it finds stored already, one whose score history corrects, a key collision. So every
outcome's JSON and audit-digest line are rendered with the staged rows, outside the single
SQLite writer, and the write renders again only the outcomes it changed. After preparing,
the write changes an outcome only by replacing it or by setting its ``outcome``, ``novelty``
or ``points``; ``Rendered`` notes exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from phalanx.redaction import Redaction


# Not frozen: one per item, and frozen __init__ costs several times more.
@dataclass(slots=True)
class Outcome:
    """What happened to one item."""

    index: int
    input: str
    outcome: str  # new | known | rejected
    type: str | None = None
    value: str | None = None
    reason: str | None = None
    redacted: tuple[Redaction, ...] = ()
    novelty: str | None = None  # novel | corroborating | published | benign (accepted items)
    points: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the API form (reason and redactions only when there are some)."""
        data: dict[str, Any] = {
            "input": self.input,
            "type": self.type,
            "value": self.value,
            "outcome": self.outcome,
        }
        if self.novelty is not None:
            data["novelty"] = self.novelty
            data["points"] = self.points
        if self.reason:
            data["reason"] = self.reason
        if self.redacted:
            data["redacted"] = [
                {"kind": r.kind, "start": r.start, "end": r.end, "note": r.describe()}
                for r in self.redacted
            ]
        return data

    def digest_line(self) -> str:
        """The line the audit digest of a contribution's outcomes covers."""
        return f"{self.index}\t{self.type}\t{self.value}\t{self.outcome}\n"


@dataclass(frozen=True, slots=True)
class Rendered:
    """Outcomes as rendered before the write: the objects, what may change, JSON, lines."""

    outcomes: list[Outcome]
    states: list[tuple[str, str | None, float | None]]  # (outcome, novelty, points)
    # Text, not orjson's bytes: a small bytes result keeps orjson's whole initial buffer
    # (50,000 of them held 205 MB; their text, 8 MB).
    items: list[str]
    lines: list[str]


def render(outcomes: Iterable[Outcome]) -> Rendered:
    """Render outcomes (in item order) for the write to reuse."""
    ordered = list(outcomes)
    return Rendered(
        ordered,
        [(o.outcome, o.novelty, o.points) for o in ordered],
        [_json(o) for o in ordered],
        [o.digest_line() for o in ordered],
    )


def rendered_now(ordered: list[Outcome], before: Rendered | None) -> tuple[bytes, str]:
    """The outcomes' JSON array and digest lines, rendering again only what changed."""
    if before is None or len(before.outcomes) != len(ordered):
        return (
            orjson.dumps([o.to_json() for o in ordered]),
            "".join([o.digest_line() for o in ordered]),
        )
    items, lines = list(before.items), list(before.lines)
    for i, (outcome, was, state) in enumerate(
        zip(ordered, before.outcomes, before.states, strict=True)
    ):
        if outcome is not was or (outcome.outcome, outcome.novelty, outcome.points) != state:
            items[i] = _json(outcome)
            lines[i] = outcome.digest_line()
    return f"[{','.join(items)}]".encode(), "".join(lines)


def _json(outcome: Outcome) -> str:
    return orjson.dumps(outcome.to_json()).decode()
