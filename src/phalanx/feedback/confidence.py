"""The confidence model: how sure a viewer may be that an observable is bad, now. PURE.

Inputs are what the viewer may see: its visible reports of the observable and the evidence
attached to them (evidence.py), plus each contributor's reputation (reputation.py). With
``d(age) = 0.5 ** (age / h)`` for the half-life ``h`` of the observable's kind:

1. Each contributing organisation ``o`` (its best visible report ``r``) offers
   ``w_o = c_r / 100 * reputation_o * d(now - t_r)``: the report's confidence (50 when it
   has none) times its contributor's reputation, decayed from when it was last reported.
2. Each organisation ``s`` whose stance is ``seen`` offers ``w_s = sigma * d(now - last_s)``,
   decayed from when it last saw the observable (``sigma`` = 0.3). An organisation that both
   reported and sighted counts once, with the larger of its two offers.
3. Independent organisations combine like independent witnesses (noisy-OR):
   ``P = 1 - prod(1 - w)``. One sighting of a 0.4 report gives 0.58; ten give 0.98.
4. Each organisation whose stance is ``false-positive`` multiplies by ``1 - phi``
   (``phi`` = 0.5), and offers nothing in 1-2: ``C = P * (1 - phi) ** n_fp``.
5. The score is ``round(100 * C)``.

The observable is *expired* for the viewer when every visible report is — past its
``valid_until``, or its contributor said ``expired`` at or after it last reported it — or
when the viewer's own organisation said ``expired`` (and has not seen or reported it since).
Expired observables leave the viewer's deployment channels (channels/model.py) but stay
visible through lookups.

Half-lives (days) default to: IPv4/IPv6 14, CIDR 30, URL 60, domain 90, e-mail 180, ASN
365, rules 365, file hashes 3650. ``PHALANX_HALF_LIVES`` overrides them, e.g.
``ipv4=7,domain=120`` (see :func:`parse_half_lives`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from phalanx.clock import to_micros
from phalanx.errors import InvalidInput
from phalanx.feedback.evidence import OrgEvidence, Stance
from phalanx.observables.kinds import HASH_TYPES, RULE_TYPES, ObservableType, expand_kinds

_DAY_MICROS = 86_400_000_000
DEFAULT_HALF_LIVES: dict[ObservableType, float] = {
    ObservableType.IPV4: 14,
    ObservableType.IPV6: 14,
    ObservableType.CIDR: 30,
    ObservableType.URL: 60,
    ObservableType.DOMAIN: 90,
    ObservableType.EMAIL: 180,
    ObservableType.ASN: 365,
    **{kind: 365.0 for kind in RULE_TYPES},
    **{kind: 3650.0 for kind in HASH_TYPES},
}


@dataclass(frozen=True, slots=True)
class ConfidenceParams:
    """The model's knobs (defaults as documented in the module)."""

    half_lives: Mapping[ObservableType, float] = field(
        default_factory=lambda: dict(DEFAULT_HALF_LIVES)
    )
    default_confidence: int = 50
    sighting_weight: float = 0.3
    false_positive_weight: float = 0.5

    def half_life(self, kind: ObservableType) -> float:
        """Half-life in days for a kind."""
        return self.half_lives.get(kind, DEFAULT_HALF_LIVES[kind])


@dataclass(frozen=True, slots=True)
class ReportInput:
    """What the model reads of one visible report (times in microseconds)."""

    org_id: int
    confidence: int | None
    reported_at: int  # created or last refreshed
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class ConfidenceResult:
    """The score and its parts."""

    score: int
    initial: int  # step 1 alone, undecayed: report confidence x reputation, pooled
    expired: bool
    half_life_days: float


def decay(age_micros: int, half_life_days: float) -> float:
    """The decay factor for an age: 1 now, 0.5 after one half-life (future ages count as 0)."""
    return math.pow(0.5, max(age_micros, 0) / (half_life_days * _DAY_MICROS))


def confidence(
    kind: ObservableType,
    reports: Sequence[ReportInput],
    evidence: Mapping[int, OrgEvidence],
    reputations: Mapping[int, float],
    *,
    viewer_org: int,
    now: datetime,
    params: ConfidenceParams | None = None,
) -> ConfidenceResult:
    """Score one observable for one viewer from what that viewer may see."""
    p = params or ConfidenceParams()
    moment, half_life = to_micros(now), p.half_life(kind)
    offers: dict[int, float] = {}
    initial: dict[int, float] = {}
    for report in reports:
        base = report.confidence if report.confidence is not None else p.default_confidence
        base = base / 100 * reputations.get(report.org_id, 1.0)
        initial[report.org_id] = max(initial.get(report.org_id, 0.0), base)
        offer = base * decay(moment - report.reported_at, half_life)
        offers[report.org_id] = max(offers.get(report.org_id, 0.0), offer)
    negatives = 0
    for org_id, e in evidence.items():
        if e.stance is Stance.FALSE_POSITIVE:
            negatives += 1
            offers.pop(org_id, None)
            initial.pop(org_id, None)
        elif e.stance is Stance.SEEN and e.seen_last is not None:
            offer = p.sighting_weight * decay(moment - e.seen_last, half_life)
            offers[org_id] = max(offers.get(org_id, 0.0), offer)
    penalty = (1 - p.false_positive_weight) ** negatives
    return ConfidenceResult(
        score=round(100 * _noisy_or(offers.values()) * penalty),
        initial=round(100 * _noisy_or(initial.values())),
        expired=is_expired(reports, evidence, viewer_org=viewer_org, moment=moment),
        half_life_days=half_life,
    )


def is_expired(
    reports: Sequence[ReportInput],
    evidence: Mapping[int, OrgEvidence],
    *,
    viewer_org: int,
    moment: int,
) -> bool:
    """True when every visible report has expired, or the viewer itself said so."""
    own = evidence.get(viewer_org)
    if own is not None and own.expired and own.expired_at is not None:
        reported = [r.reported_at for r in reports if r.org_id == viewer_org]
        if not reported or max(reported) <= own.expired_at:  # not reported again since
            return True
    if not reports:
        return False
    for report in reports:
        by_owner = evidence.get(report.org_id)
        # Re-reporting after retiring it revives a report: only a later expiry retires it.
        retired = (
            by_owner is not None
            and by_owner.expired
            and by_owner.expired_at is not None
            and by_owner.expired_at >= report.reported_at
        )
        lapsed = report.valid_until is not None and report.valid_until <= moment
        if not (retired or lapsed):
            return False
    return True


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1 - min(max(weight, 0.0), 1.0)
    return 1 - remaining


def parse_half_lives(entries: Sequence[str]) -> dict[ObservableType, float]:
    """Read ``kind=days`` entries (kinds or families ``ip``, ``hash``, ``rule``) over defaults."""
    half_lives = dict(DEFAULT_HALF_LIVES)
    for entry in entries:
        name, _, days = entry.partition("=")
        try:
            kinds = expand_kinds([name])
            value = float(days.strip().removesuffix("d"))
        except ValueError as error:
            raise InvalidInput(
                f"{entry!r}: expected kind=days, e.g. ipv4=14 ({error})", field="half_lives"
            ) from None
        if not value > 0:
            raise InvalidInput(f"{entry!r}: a half-life must be positive", field="half_lives")
        half_lives.update({kind: value for kind in kinds})
    return half_lives
