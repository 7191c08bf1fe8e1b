"""The rows a contribution writes, built from its items. PURE.

Shared by the write transaction (ingest/pipeline.py) and by the rows staged before it
(ingest/staged.py), so both write exactly the same columns.
"""

from __future__ import annotations

from phalanx.alliance import scoring
from phalanx.alliance.assess import Assessment
from phalanx.alliance.novelty import NAMES
from phalanx.clock import to_micros
from phalanx.ingest.items import Marking
from phalanx.policy.labels import decode_labels, encode_labels
from phalanx.policy.markings import PAP
from phalanx.policy.model import Scope
from phalanx.store.reports import OwnReport


def scope_of(marking: Marking) -> Scope:
    """The scope a report with this marking is shared under."""
    return Scope(
        tlp=marking.tlp,
        orgs=marking.share_with,
        communities=marking.communities,
        agreement_id=None if marking.agreement is None else marking.agreement.id,
        early_access=marking.early_access,
    )


def ledger_row(
    org_id: int, at: int, key: int, a: Assessment, contribution_id: int | None
) -> tuple[object, ...]:
    """A contribution's ledger row in ``ledger.COLUMNS`` order."""
    shown, true = NAMES[a.verdict.shown], NAMES[a.verdict.true]
    reason, unit = a.score.reason, a.score.unit
    return (org_id, at, "contribution", a.score.centipoints, reason, shown, true, key,
            contribution_id, None, unit, None, scoring.unit_key(unit))  # fmt: skip


def report_values(
    fields: tuple[tuple[object, ...], tuple[object, ...]],
    scope_id: int,
    kind: str,
    valid_from: int,
    at: int,
) -> tuple[object, ...]:
    """A report row's values in INSERT_COLUMNS order from ``scope_id`` on."""
    # ..., confidence, valid_from, valid_until, ..., created_at, updated_at
    return (scope_id, kind, *fields[0], valid_from, *fields[1], at, at)


def marking_fields(marking: Marking) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """A marking's report columns: those before ``valid_from`` and those after it."""
    until = None if marking.valid_until is None else to_micros(marking.valid_until)
    tlp, pap, labels = marking.tlp.value, marking.pap.value, encode_labels(marking.labels)
    before = (tlp, pap, labels, marking.confidence)
    return before, (until, marking.comment, marking.anonymous, *report_facts(marking))


def report_facts(marking: Marking) -> tuple[int | None, str | None]:
    """The embargo (microseconds) and victim country of a marking."""
    until = None if marking.embargo_until is None else to_micros(marking.embargo_until)
    return until, marking.victim_country


def refresh_values(existing: OwnReport, marking: Marking, at: int) -> dict[str, object]:
    """The columns of an own live report re-reported under ``marking``."""
    # A member re-reporting its own observable under the same scope refreshes its report:
    # labels accumulate, the higher confidence and the later expiry win, a new comment
    # replaces the old, and every privacy setting keeps its more restrictive value (more
    # anonymous, stricter PAP, the later embargo) — lifting one takes an explicit change.
    merged = set(decode_labels(existing.labels)) | set(marking.labels)
    confidences = [c for c in (existing.confidence, marking.confidence) if c is not None]
    new_until = None if marking.valid_until is None else to_micros(marking.valid_until)
    until = existing.valid_until
    embargoes = [e for e in (existing.embargo_until, report_facts(marking)[0]) if e is not None]
    return {
        "id": existing.id,
        "labels": encode_labels(merged),
        "confidence": max(confidences) if confidences else None,
        # No expiry is the latest expiry of all.
        "valid_until": None if until is None or new_until is None else max(until, new_until),
        "pap": max(PAP(existing.pap), marking.pap, key=lambda level: level.rank).value,
        "comment": marking.comment if marking.comment is not None else existing.comment,
        "anonymous": existing.anonymous or marking.anonymous,
        "embargo_until": max(embargoes) if embargoes else None,
        "victim_country": marking.victim_country or existing.victim_country,
        "updated_at": at,
    }
