"""What one viewer of one stored world should see, according to ``decide()``."""

from __future__ import annotations

from dataclasses import dataclass, field

from phalanx.policy.markings import TLP
from phalanx.policy.model import Viewer
from phalanx.store.reports import ReportFilter

from .store import Stored
from .worlds import NOW, WorldSpec, allowed, matches, reveals, viewer


@dataclass
class Expected:
    """The reports ``decide`` shows one viewer, and everything derived from them."""

    spec: WorldSpec
    stored: Stored
    index: int  # the viewer's index in the spec
    filters: ReportFilter
    who: Viewer = field(init=False)
    visible: set[int] = field(init=False)  # report indexes decide() allows (live ones)
    matching: set[int] = field(init=False)  # ... that pass the filters as well

    def __post_init__(self) -> None:
        self.who = viewer(self.spec, self.stored.ids, self.index)
        self.visible = allowed(self.spec, self.stored.ids, self.who)
        self.matching = {r for r in self.visible if matches(self.spec, r, self.filters)}

    def report_ids(self, indexes: set[int]) -> list[int]:
        """Stored ids of these reports, ascending."""
        return sorted(self.stored.reports[r] for r in indexes)

    def keys(self, indexes: set[int]) -> list[int]:
        """Observable keys of these reports, ascending and distinct."""
        return sorted({self.stored.keys[self.spec.reports[r].observable] for r in indexes})

    def values(self, indexes: set[int]) -> list[str]:
        """Observable values of these reports, sorted and distinct."""
        spec = self.spec
        return sorted({spec.observables[spec.reports[r].observable].value for r in indexes})

    def of_observable(self, o: int) -> set[int]:
        """The visible reports of observable ``o``."""
        return {r for r in self.visible if self.spec.reports[r].observable == o}

    def observable_index(self, kind: str, value: str) -> int:
        """The spec index of an observable (as a read path names it)."""
        return next(
            o
            for o, obs in enumerate(self.spec.observables)
            if (obs.type.value, obs.value) == (kind, value)
        )

    def org(self, report_id: int) -> str | None:
        """The contributor's name as this viewer may see it (None: hidden)."""
        r = self.stored.reports.index(report_id)
        name = self.stored.org_names[self.spec.reports[r].org]
        return name if reveals(self.spec, self.index, r) else None

    def counts(self) -> tuple[dict[str, int], dict[str, int], int, int]:
        """Visible reports by kind, by TLP, in total, and distinct observables."""
        by_kind: dict[str, int] = {}
        by_tlp: dict[str, int] = {}
        for r in self.visible:
            report = self.spec.reports[r]
            kind = self.spec.observables[report.observable].type.value
            tlp = self.spec.scopes[report.scope].tlp.value
            by_kind[kind] = by_kind.get(kind, 0) + 1
            by_tlp[tlp] = by_tlp.get(tlp, 0) + 1
        return by_kind, by_tlp, len(self.visible), len(self.keys(self.visible))

    def statistics(self) -> dict[str, object]:
        """The statistics answer."""
        by_kind, by_tlp, total, distinct = self.counts()
        return {"reports": total, "observables": distinct, "by_type": by_kind, "by_tlp": by_tlp}

    def view(self, o: int) -> dict[str, object]:
        """The merged view of observable ``o`` (API form, without per-report details)."""
        mine = [self.spec.reports[r] for r in self.of_observable(o)]
        confidences = [r.confidence for r in mine if r.confidence is not None]
        obs = self.spec.observables[o]
        return {
            "type": obs.type.value,
            "value": obs.value,
            "first_seen": min(NOW + r.created for r in mine).isoformat(),
            "last_seen": max(NOW + r.updated for r in mine).isoformat(),
            "tlp": min((self.spec.scopes[r.scope].tlp for r in mine), key=_rank).value,
            "labels": sorted({label for r in mine for label in r.labels}),
            "confidence": max(confidences) if confidences else None,
            "reports": [(rid, self.org(rid)) for rid in self.report_ids(self.of_observable(o))],
        }


def _rank(tlp: TLP) -> int:
    return tlp.rank
