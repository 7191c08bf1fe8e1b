"""The points ledger: one row per scoring event, with its reason. Storage shell.

Rows are written by the contribution pipeline (``add_contribution_rows``) and by feedback
(``record_feedback``, which the sightings and false-positive paths call). Members read their
own rows; reasons never name another organisation, and the true novelty class and the
organisation behind feedback stay internal columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, select

from phalanx.alliance import scoring
from phalanx.alliance.warninglist_files import public_suffixes
from phalanx.clock import from_micros, to_micros
from phalanx.errors import InvalidInput, NotFound
from phalanx.observables.kinds import ObservableType
from phalanx.store.tables import alliance_ledger, observables, reports

if TYPE_CHECKING:
    from phalanx.hub import Hub

CHUNK = 5_000
FEEDBACK_KINDS = ("sighting", "false-positive")
COLUMNS = (
    "org_id",
    "at",
    "kind",
    "centipoints",
    "reason",
    "shown_class",
    "true_class",
    "observable_id",
    "contribution_id",
    "report_id",
    "credit_unit",
    "by_org_id",
    "unit_key",  # scoring.unit_key of the credit unit (None without one)
)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row as a member may read it."""

    id: int
    org_id: int
    at: datetime
    kind: str
    points: float
    reason: str
    novelty: str | None
    observable_id: int | None
    contribution_id: int | None
    report_id: int | None

    def to_json(self) -> dict[str, Any]:
        """The API form (the true class and the feedback's organisation are never shown)."""
        return {
            "id": self.id,
            "org_id": self.org_id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "points": self.points,
            "reason": self.reason,
            "novelty": self.novelty,
            "observable_id": self.observable_id,
            "contribution_id": self.contribution_id,
            "report_id": self.report_id,
        }


def add_rows(conn: Connection, hub: Hub, rows: Sequence[tuple[object, ...]]) -> None:
    """Append ledger rows given in ``COLUMNS`` order."""
    hub.db.bulk_insert(conn, alliance_ledger.name, COLUMNS, rows)


def credited_units(conn: Connection, org_id: int, units: Sequence[str]) -> set[str]:
    """Which of these credit units already earned the organisation points."""
    wanted = set(units)
    keys = sorted({scoring.unit_key(unit) for unit in wanted})
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        query = select(alliance_ledger.c.credit_unit).where(
            alliance_ledger.c.org_id == org_id,
            alliance_ledger.c.kind == "contribution",
            alliance_ledger.c.centipoints > 0,
            alliance_ledger.c.unit_key.in_(keys[start : start + CHUNK]),
        )
        found.update(conn.execute(query.distinct()).scalars())
    return found & wanted  # a key names its unit but for a 1-in-2^64 chance


def record_feedback(
    hub: Hub, conn: Connection, *, report_id: int, kind: str, by_org: int, at: datetime
) -> LedgerRow | None:
    """Score a sighting or a confirmed false positive of a report for its contributor.

    ``kind`` is ``sighting`` (+2 points per independent sighting member, at most 5 members
    per report, for reports that earned points) or ``false-positive`` (minus what the report
    earned, minus 5; once per report). Feedback from the contributor itself, a repeat by the
    same member, a sighting past the cap or a second false positive earns nothing and returns
    None. The contributor's standing is re-evaluated in the same transaction.
    """
    if kind not in FEEDBACK_KINDS:
        raise InvalidInput(f"must be one of {', '.join(FEEDBACK_KINDS)}", field="kind")
    report = conn.execute(
        select(
            reports.c.org_id,
            reports.c.observable_id,
            reports.c.contribution_id,
            observables.c.type,
            observables.c.value,
        )
        .join(observables, observables.c.id == reports.c.observable_id)
        .where(reports.c.id == report_id)
    ).first()
    if report is None:
        raise NotFound(f"no report {report_id}")
    if report.org_id == by_org:
        return None
    earlier = conn.execute(
        select(alliance_ledger.c.by_org_id).where(
            alliance_ledger.c.report_id == report_id, alliance_ledger.c.kind == kind
        )
    ).scalars()
    earlier_orgs = set(earlier)
    if by_org in earlier_orgs:
        return None
    unit = scoring.credit_unit(ObservableType(report.type), report.value, public_suffixes())
    earned = _earned(conn, report.org_id, unit, report.observable_id, report.contribution_id)
    if kind == "sighting":
        # Only intelligence that earned points earns a bonus: sightings of a published or
        # benign value reward nobody for re-posting it.
        if earned <= 0 or len(earlier_orgs) >= scoring.SIGHTING_MAX_ORGS:
            return None
        centipoints = round(scoring.SIGHTING_BONUS * 100)
        reason = "sighting: another member saw this value independently"
    else:
        if earlier_orgs:
            return None
        centipoints = -(earned + round(scoring.FALSE_POSITIVE_PENALTY * 100))
        reason = (
            f"false positive confirmed: the report's {earned / 100:g} points taken back, "
            f"minus {scoring.FALSE_POSITIVE_PENALTY:g}"
        )
    row = (
        report.org_id,
        to_micros(at),
        kind,
        centipoints,
        reason,
        None,
        None,
        report.observable_id,
        report.contribution_id,
        report_id,
        None,
        by_org,
        None,
    )
    add_rows(conn, hub, [row])
    from phalanx.alliance import standing  # a cycle otherwise: standing reads the ledger

    standing.refresh(hub, conn, org_id=report.org_id, now=at)
    return _last(conn, report.org_id, report_id, kind)


def _earned(
    conn: Connection, org_id: int, unit: str, observable_id: int, contribution_id: int
) -> int:
    # Only earning rows count, and those are indexed by (organisation, credit unit).
    total = conn.execute(
        select(func.coalesce(func.sum(alliance_ledger.c.centipoints), 0)).where(
            alliance_ledger.c.org_id == org_id,
            alliance_ledger.c.unit_key == scoring.unit_key(unit),
            alliance_ledger.c.credit_unit == unit,
            alliance_ledger.c.centipoints > 0,
            alliance_ledger.c.observable_id == observable_id,
            alliance_ledger.c.contribution_id == contribution_id,
            alliance_ledger.c.kind == "contribution",
        )
    ).scalar_one()
    return int(total)


def _last(conn: Connection, org_id: int, report_id: int, kind: str) -> LedgerRow:
    row = conn.execute(
        select(alliance_ledger)
        .where(
            alliance_ledger.c.org_id == org_id,
            alliance_ledger.c.report_id == report_id,
            alliance_ledger.c.kind == kind,
        )
        .order_by(alliance_ledger.c.id.desc())
        .limit(1)
    ).one()
    return _row(row._mapping)


def list_rows(
    conn: Connection, *, org_id: int | None, after: int | None, limit: int
) -> list[LedgerRow]:
    """Ledger rows in id order after ``after`` (keyset); one organisation's or (None) all."""
    conditions = []
    if org_id is not None:
        conditions.append(alliance_ledger.c.org_id == org_id)
    if after is not None:
        conditions.append(alliance_ledger.c.id > after)
    query = select(alliance_ledger).order_by(alliance_ledger.c.id).limit(limit)
    if conditions:
        query = query.where(and_(*conditions))
    return [_row(r._mapping) for r in conn.execute(query)]


def entries(conn: Connection, org_id: int, since: datetime) -> list[tuple[datetime, int]]:
    """(when, centipoints) of the organisation's rows after ``since`` (for its standing).

    Summed per moment: a contribution's rows share one time, so a member's standing reads
    one entry per contribution however many items each held.
    """
    total = func.sum(alliance_ledger.c.centipoints)
    query = (
        select(alliance_ledger.c.at, total)
        .where(alliance_ledger.c.org_id == org_id, alliance_ledger.c.at > to_micros(since))
        .group_by(alliance_ledger.c.at)
    )
    return [(from_micros(at), int(points)) for at, points in conn.execute(query)]


def _row(m: Any) -> LedgerRow:
    return LedgerRow(
        id=m["id"],
        org_id=m["org_id"],
        at=from_micros(m["at"]),
        kind=m["kind"],
        points=m["centipoints"] / 100,
        reason=m["reason"],
        novelty=m["shown_class"],
        observable_id=m["observable_id"],
        contribution_id=m["contribution_id"],
        report_id=m["report_id"],
    )
