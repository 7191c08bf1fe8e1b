"""Reports and merged observable views as readers see them. PURE."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP, TLP


@dataclass(frozen=True, slots=True)
class ReportView:
    """One report, as a particular viewer may see it (attribution already applied)."""

    id: int
    type: ObservableType
    value: str
    tlp: TLP
    pap: PAP
    created: datetime
    org: str | None = None  # contributor's name; None when anonymous and hidden from the viewer
    labels: tuple[str, ...] = ()
    confidence: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    comment: str | None = None
    contribution_id: str | None = None


@dataclass(frozen=True, slots=True)
class ObservableView:
    """An observable merged from the reports one viewer may see (never from the others)."""

    type: ObservableType
    value: str
    first_seen: datetime
    last_seen: datetime
    reports: tuple[ReportView, ...]
    labels: tuple[str, ...] = field(default=())
    tlp: TLP = TLP.CLEAR  # the least restrictive marking among the visible reports
    confidence: int | None = None
