"""The feedback state of one observable, updated one sighting at a time. PURE.

The state holds, per report of the observable and per organisation that sighted it, the
running totals of that organisation's statements attached to that report
(:class:`OrgEvidence`). Reports are the unit the policy decides on, so a viewer's picture is
the state restricted to the reports it may see; nothing is ever recomputed from the
individual sightings. The store keeps the state as one row per observable (compact JSON),
read and rewritten in the transaction that records a sighting.

An organisation's *stance* on a report is its latest statement among ``seen`` and
``false-positive`` (by ``last_seen``; a tie goes to the later statement); it is what pooled
opinions and reputation count. ``expired`` is separate: the observable is expired for that
organisation when its latest ``expired`` is later than its latest ``seen`` (again by
``last_seen``, a tie going to the later statement).

"Later statement" is the state's statement number, so every comparison is one of
(``last_seen``, number) keys: maxima of keys merge exactly across reports
(:func:`merge_by_org`), where an organisation's statements attach to different reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum

import orjson

from phalanx.feedback.model import SightingKind

FORMAT = 2  # 1: no statement numbers (read, and written as 2)


class Stance(IntEnum):
    """An organisation's standing statement about a report (stored as its number)."""

    NONE = 0
    SEEN = 1
    FALSE_POSITIVE = 2


@dataclass(slots=True)
class OrgEvidence:
    """One organisation's statements attached to one report (times in microseconds)."""

    seen: int = 0  # sum of the counts of its ``seen`` sightings
    seen_first: int | None = None
    seen_last: int | None = None
    false_positives: int = 0  # number of false-positive statements
    fp_last: int | None = None
    expired_at: int | None = None  # latest ``expired`` statement
    stance: Stance = Stance.NONE
    stance_at: int | None = None
    named: bool = False  # every statement so far let others see who made it
    # Statement numbers (ObservableState.stated) of the latest seen, expired and stance.
    seen_number: int = 0
    expired_number: int = 0
    stance_number: int = 0

    @property
    def expired(self) -> bool:
        """True when its latest ``expired`` is later than its latest ``seen``."""
        if self.expired_at is None:
            return False
        return self.seen_last is None or (self.expired_at, self.expired_number) > (
            self.seen_last,
            self.seen_number,
        )

    def apply(
        self,
        kind: SightingKind,
        count: int,
        first: int,
        last: int,
        *,
        named: bool,
        fresh: bool,
        number: int,
    ) -> None:
        """Add statement ``number`` (``fresh``: the first by this organisation on this report)."""
        self.named = named if fresh else self.named and named
        if kind is SightingKind.SEEN:
            self.seen += count
            self.seen_first = first if self.seen_first is None else min(self.seen_first, first)
            if self.seen_last is None or last >= self.seen_last:
                self.seen_last, self.seen_number = last, number
        elif kind is SightingKind.FALSE_POSITIVE:
            self.false_positives += 1
            self.fp_last = last if self.fp_last is None else max(self.fp_last, last)
        else:
            if self.expired_at is None or last >= self.expired_at:
                self.expired_at, self.expired_number = last, number
            return
        if self.stance_at is None or last >= self.stance_at:
            self.stance = Stance.SEEN if kind is SightingKind.SEEN else Stance.FALSE_POSITIVE
            self.stance_at, self.stance_number = last, number

    def to_list(self) -> list[object]:
        """The compact stored form."""
        return [
            self.seen, self.seen_first, self.seen_last, self.false_positives, self.fp_last,
            self.expired_at, int(self.stance), self.stance_at, int(self.named),
            self.seen_number, self.expired_number, self.stance_number,
        ]  # fmt: skip

    @classmethod
    def from_list(cls, row: list[object]) -> OrgEvidence:
        """Read the compact stored form (format 1 rows have no statement numbers)."""
        seen, first, last, fps, fp_last, expired, stance, stance_at, named = row[:9]
        if len(row) > 9:
            numbers = [int(n) for n in row[9:12]]  # type: ignore[call-overload]
        else:
            # Format 1 cleared ``expired_at`` when a later ``seen`` came at or after it, so
            # one still there at the time of the latest ``seen`` was stated after it.
            later = expired is not None and last is not None and expired == last
            numbers = [0, int(later), 0]
        return cls(
            int(seen), first, last, int(fps), fp_last, expired,  # type: ignore[arg-type]
            Stance(int(stance)), stance_at, bool(named), *numbers,  # type: ignore[arg-type]
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StanceChange:
    """An organisation's stance on a report moved (what reputation counts)."""

    report_id: int
    org_id: int
    before: Stance
    after: Stance


class ObservableState:
    """Evidence per report and organisation for one observable."""

    def __init__(
        self, reports: dict[int, dict[int, OrgEvidence]] | None = None, stated: int = 0
    ) -> None:
        self.reports: dict[int, dict[int, OrgEvidence]] = reports or {}
        self.stated = stated  # statements recorded so far: the next one's number is this + 1

    def record(
        self,
        report_ids: Iterable[int],
        org_id: int,
        kind: SightingKind,
        count: int,
        first: int,
        last: int,
        *,
        named: bool,
    ) -> list[StanceChange]:
        """Attach one statement to these reports; return the stances it changed."""
        changes = []
        self.stated += 1
        for report_id in report_ids:
            by_org = self.reports.setdefault(report_id, {})
            evidence = by_org.get(org_id)
            fresh = evidence is None
            if evidence is None:
                evidence = by_org[org_id] = OrgEvidence()
            before = evidence.stance
            evidence.apply(kind, count, first, last, named=named, fresh=fresh, number=self.stated)
            if evidence.stance is not before:
                changes.append(StanceChange(report_id, org_id, before, evidence.stance))
        return changes

    def visible(self, report_ids: Iterable[int]) -> dict[int, dict[int, OrgEvidence]]:
        """The evidence attached to these reports only."""
        return {r: self.reports[r] for r in report_ids if r in self.reports}

    def to_bytes(self) -> bytes:
        """The stored form: ``{"v": 2, "n": statements, "r": {report: {org: [...]}}}``."""
        return orjson.dumps(
            {
                "v": FORMAT,
                "n": self.stated,
                "r": {
                    str(r): {str(o): e.to_list() for o, e in by_org.items()}
                    for r, by_org in self.reports.items()
                },
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes | str | None) -> ObservableState:
        """Read the stored form (None: no feedback yet)."""
        if not data:
            return cls()
        document = orjson.loads(data)
        if document.get("v") not in (1, FORMAT):
            raise ValueError(f"unknown feedback state format {document.get('v')!r}")
        return cls(
            {
                int(r): {int(o): OrgEvidence.from_list(row) for o, row in by_org.items()}
                for r, by_org in document["r"].items()
            },
            int(document.get("n", 0)),
        )


def merge_by_org(per_report: Mapping[int, Mapping[int, OrgEvidence]]) -> dict[int, OrgEvidence]:
    """One organisation's evidence across several reports, counted once.

    A sighting attaches to every report its sighter may see, so the same statement usually
    appears under each: counts take the largest per-report total rather than the sum.
    """
    merged: dict[int, OrgEvidence] = {}
    for by_org in per_report.values():
        for org_id, e in by_org.items():
            m = merged.get(org_id)
            if m is None:
                merged[org_id] = replace(e)
                continue
            m.seen = max(m.seen, e.seen)
            m.seen_first = _least(m.seen_first, e.seen_first)
            m.false_positives = max(m.false_positives, e.false_positives)
            m.fp_last = _most(m.fp_last, e.fp_last)
            # The latest of each kind by (last_seen, statement number): the statement order
            # an organisation's reports saw apart is still one order.
            if _later(e.seen_last, e.seen_number, m.seen_last, m.seen_number):
                m.seen_last, m.seen_number = e.seen_last, e.seen_number
            if _later(e.expired_at, e.expired_number, m.expired_at, m.expired_number):
                m.expired_at, m.expired_number = e.expired_at, e.expired_number
            if _later(e.stance_at, e.stance_number, m.stance_at, m.stance_number):
                m.stance, m.stance_at, m.stance_number = e.stance, e.stance_at, e.stance_number
            m.named = m.named and e.named
    return merged


def _later(at: int | None, number: int, than: int | None, than_number: int) -> bool:
    return at is not None and (than is None or (at, number) > (than, than_number))


def _least(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _most(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
