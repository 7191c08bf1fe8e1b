"""Delivery entries, channel filters and the deployment rule. PURE.

A :class:`DeliveryEntry` is one observable as the channel's owner may see it: the caller
(the integrator's shell) has already applied ``policy.decide`` and merged the visible reports.

**The deployment rule.** A channel format declares how its consumer *uses* the data
(:class:`Use`). Whatever a member's filter says, a floor applies per use:

======  ============================  ==============  ==============
use     PAP                           never_deploy    benign
======  ============================  ==============  ==============
BLOCK   only PAP:GREEN and PAP:CLEAR  always dropped  always dropped
DETECT  filter (``exclude_pap_red``)  always dropped  filter
LOOKUP  filter (``exclude_pap_red``)  always dropped  filter
======  ============================  ==============  ==============

* BLOCK formats (PAN-OS EDL, Suricata, DNS RPZ) are *active* actions: PAP:AMBER allows only
  passive cross-checks and PAP:RED no network use at all, so only GREEN/CLEAR may be blocked
  (spec-notes §3.4). Blocking something known to be benign is never wanted either.
* DETECT formats (YARA) and LOOKUP formats (CSV, STIX, MISP) follow the member's filter, whose
  default already excludes PAP:RED.
* ``never_deploy`` is a reason set by the caller (warninglist hit, a member's own domain...);
  every channel is a *deployment* channel (DESIGN: a warninglist hit "blocks export to
  deployment channels"), so such entries never leave through any format. They stay visible
  through the lookup API, which is not a channel.
* ``no-ids`` entries (MISP ``to_ids: false``: context, not for detection) never reach BLOCK or
  DETECT formats; LOOKUP formats carry them with the label. After merging, an observable is
  ``no-ids`` only when every visible report says so.
* ``expired`` entries (the owner's feedback says so, feedback/confidence.py) and entries whose
  ``valid_until`` has passed at ``now`` never leave either: an expired indicator is history,
  not something to block or alert on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from phalanx.errors import InvalidInput
from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP, TLP

NO_IDS = "no-ids"  # the label MISP's ``to_ids: false`` becomes (misp/)


class Use(StrEnum):
    """How a format's consumer uses what it loads; decides the floor of the deployment rule."""

    BLOCK = "block"
    DETECT = "detect"
    LOOKUP = "lookup"


@dataclass(slots=True)
class DeliveryEntry:
    """One observable for a channel: canonical value, merged labels and markings, provenance.

    Treat it as immutable (``dataclasses.replace`` makes changed copies). It is not declared
    frozen only because a frozen dataclass's ``__init__`` costs five times as much, and a
    channel build makes a million of them.
    """

    type: ObservableType
    value: str
    labels: tuple[str, ...]
    confidence: int | None
    tlp: TLP
    pap: PAP
    report_ref: str
    first_seen: datetime
    benign: bool = False
    never_deploy: str | None = None
    # Feedback (feedback/confidence.py): expired for the channel's owner, or lapsed by then.
    expired: bool = False
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """A member's choice of entries: kinds, labels (``malware:*`` prefixes), confidence, TLP.

    ``labels`` matches when the entry has any listed label, compared case-insensitively; a
    pattern ending in ``*`` matches every label starting with what precedes it. An entry
    without a confidence never meets ``min_confidence``.
    """

    kinds: frozenset[ObservableType] | None = None
    labels: frozenset[str] | None = None
    min_confidence: int | None = None
    max_tlp: TLP | None = None
    exclude_pap_red: bool = True
    exclude_benign: bool = True
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.min_confidence is not None and not 0 <= self.min_confidence <= 100:
            raise InvalidInput("must be between 0 and 100", field="min_confidence")
        exact, prefixes = _compile_label_patterns(self.labels or frozenset())
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefixes", prefixes)

    def accepts(self, entry: DeliveryEntry) -> bool:
        """True when the entry passes this filter (the deployment floor is separate)."""
        if self.kinds is not None and entry.type not in self.kinds:
            return False
        if self.min_confidence is not None and (
            entry.confidence is None or entry.confidence < self.min_confidence
        ):
            return False
        if self.max_tlp is not None and entry.tlp.rank > self.max_tlp.rank:
            return False
        if self.exclude_pap_red and entry.pap is PAP.RED:
            return False
        if self.exclude_benign and entry.benign:
            return False
        return self.labels is None or self._matches_labels(entry.labels)

    def _matches_labels(self, labels: tuple[str, ...]) -> bool:
        for label in labels:
            folded = label.casefold()
            if folded in self._exact or folded.startswith(self._prefixes):
                return True
        return False


def _compile_label_patterns(patterns: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact: set[str] = set()
    prefixes: list[str] = []
    for pattern in patterns:
        folded = pattern.strip().casefold()
        stem = folded.removesuffix("*")
        if not stem or "*" in stem:
            raise InvalidInput(
                f"label pattern {pattern!r}: use a label or a prefix ending in one '*'",
                field="labels",
            )
        if folded.endswith("*"):
            prefixes.append(stem)
        else:
            exact.add(folded)
    return frozenset(exact), tuple(sorted(prefixes))


def floor_reason(entry: DeliveryEntry, use: Use, now: datetime | None = None) -> str | None:
    """Why the deployment rule keeps ``entry`` out of every ``use`` format, or None."""
    if entry.never_deploy is not None:
        return "never-deploy"
    if entry.expired or (
        now is not None and entry.valid_until is not None and entry.valid_until <= now
    ):
        return "expired"
    if use is not Use.LOOKUP and NO_IDS in entry.labels:
        return "not-for-detection"
    if use is Use.BLOCK:
        if entry.pap is not PAP.GREEN and entry.pap is not PAP.CLEAR:
            return "pap-forbids-blocking"
        if entry.benign:
            return "benign"
    return None


def select_entries(
    entries: Iterable[DeliveryEntry],
    channel_filter: ChannelFilter,
    *,
    use: Use,
    kinds: frozenset[ObservableType],
    now: datetime | None = None,
) -> list[DeliveryEntry]:
    """Keep the entries a format of ``use`` carrying ``kinds`` may deliver under the filter.

    Expired entries never leave (``now`` also drops those whose ``valid_until`` has passed).
    """
    return [
        entry
        for entry in entries
        if entry.type in kinds
        and floor_reason(entry, use, now) is None
        and channel_filter.accepts(entry)
    ]


def merge_duplicates(entries: Iterable[DeliveryEntry]) -> list[DeliveryEntry]:
    """One entry per (type, value), sorted; duplicates merge to the most careful reading.

    Labels and report references are united, confidence is the highest, TLP and PAP the most
    restrictive, first_seen the earliest; benign and never_deploy stick if any copy has them.
    """
    groups: dict[tuple[ObservableType, str], list[DeliveryEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.type, entry.value), []).append(entry)
    return [_merge(group) for _, group in sorted(groups.items())]


def _merge(group: list[DeliveryEntry]) -> DeliveryEntry:
    if len(group) == 1:
        return group[0]
    confidences = [entry.confidence for entry in group if entry.confidence is not None]
    reasons = sorted({entry.never_deploy for entry in group if entry.never_deploy is not None})
    return DeliveryEntry(
        type=group[0].type,
        value=group[0].value,
        labels=_merged_labels(group),
        confidence=max(confidences) if confidences else None,
        tlp=max((entry.tlp for entry in group), key=lambda tlp: tlp.rank),
        pap=max((entry.pap for entry in group), key=lambda pap: pap.rank),
        report_ref=" ".join(sorted({entry.report_ref for entry in group})),
        first_seen=min(entry.first_seen for entry in group),
        benign=any(entry.benign for entry in group),
        never_deploy="; ".join(reasons) if reasons else None,
        expired=all(entry.expired for entry in group),
        valid_until=_latest(entry.valid_until for entry in group),
    )


def _merged_labels(group: list[DeliveryEntry]) -> tuple[str, ...]:
    """The union of the labels, except ``no-ids`` unless every report is context only."""
    labels = {label for entry in group for label in entry.labels}
    if NO_IDS in labels and not all(NO_IDS in entry.labels for entry in group):
        labels.discard(NO_IDS)
    return tuple(sorted(labels))


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    """The latest expiry; no expiry at all wins."""
    found = list(moments)
    return None if any(m is None for m in found) else max(found)  # type: ignore[type-var]
