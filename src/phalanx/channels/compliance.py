"""Use what you get: deployment compliance from channel versions and receipts. PURE.

The rules, for one member over a window ``[start, end)`` evaluated at ``now``:

* **Delivered items.** Every version V of one of the member's channels minted inside the
  window delivers the items it *added* (its change-log additions).
* **Deployed.** V counts as deployed at the earliest ``deployed_at`` among the channel's
  receipts for V *or any later version* (loading a later version loads V's additions too)
  that is not before V was minted. Its delay is that moment minus V's minting time.
* **On time / late / pending.** Deployed within the SLA: on time. Deployed after it, or not
  deployed while the SLA has already run out at ``now``: late. Not deployed and the SLA still
  running: pending, left out of the share (it cannot be judged yet).
* **Share** = on-time items / (on-time + late items); None when nothing can be judged.
* **Median delay**: the median of the delays of the deployed items (each item counts once;
  for an even count, the mean of the two middle delays).
* **Stale channel**: its latest version (at ``now``) has no receipt for it or a later
  version, and was minted more than the SLA before ``now``.
* **Compliant**: has at least one channel, no stale channel, and a share that is None or at
  least ``min_share``. What non-compliance leads to is the configured :class:`Consequence`;
  :func:`status` says it, and the tier code calls :func:`is_compliant`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from phalanx.errors import InvalidInput

DEFAULT_SLA = timedelta(hours=24)
DEFAULT_MIN_SHARE = 0.9
CSV_COLUMNS = (
    "org",
    "channels",
    "delivered_items",
    "on_time_items",
    "late_items",
    "pending_items",
    "on_time_share",
    "median_delay_seconds",
    "stale_channels",
    "compliant",
    "action",
)


class Consequence(StrEnum):
    """What non-compliance leads to (configured per hub)."""

    REPORT = "report"  # shown in the table, nothing else
    WARN = "warn"  # the member is warned
    DOWNGRADE = "downgrade"  # counts as a tier downgrade (give-to-get)


def parse_consequence(text: str) -> Consequence:
    """Parse a consequence name; raise InvalidInput naming the valid ones."""
    try:
        return Consequence(text.strip().lower())
    except ValueError:
        valid = ", ".join(c.value for c in Consequence)
        raise InvalidInput(
            f"unknown consequence {text!r}; use {valid}", field="consequence"
        ) from None


@dataclass(frozen=True, slots=True)
class VersionFact:
    """One minted channel version: when, and how many items it added."""

    channel_id: int
    version: int
    minted_at: datetime
    added: int


@dataclass(frozen=True, slots=True)
class ReceiptFact:
    """One accepted receipt: channel, version, when it was deployed."""

    channel_id: int
    version: int
    deployed_at: datetime


@dataclass(frozen=True, slots=True)
class StaleChannel:
    """A channel whose latest version has waited longer than the SLA."""

    channel_id: int
    name: str
    version: int
    waiting: timedelta


@dataclass(frozen=True, slots=True)
class MemberCompliance:
    """One member's row of the compliance table."""

    org: str
    channels: int
    delivered_items: int
    on_time_items: int
    late_items: int
    pending_items: int
    median_delay: timedelta | None
    stale: tuple[StaleChannel, ...] = field(default=())

    @property
    def on_time_share(self) -> float | None:
        """On-time items over judged items, or None when nothing can be judged yet."""
        judged = self.on_time_items + self.late_items
        return None if judged == 0 else self.on_time_items / judged


@dataclass(frozen=True, slots=True)
class Policy:
    """The hub's compliance settings."""

    sla: timedelta = DEFAULT_SLA
    min_share: float = DEFAULT_MIN_SHARE
    consequence: Consequence = Consequence.REPORT


def evaluate_member(
    org: str,
    *,
    channels: dict[int, str],
    versions: Sequence[VersionFact],
    receipts: Sequence[ReceiptFact],
    start: datetime,
    end: datetime,
    now: datetime,
    sla: timedelta = DEFAULT_SLA,
) -> MemberCompliance:
    """One member's figures (see the module docstring for each rule)."""
    deployed = _deployments(receipts)
    counts = {"on_time": 0, "late": 0, "pending": 0, "delivered": 0}
    delays: list[tuple[timedelta, int]] = []
    for fact in versions:
        if not (start <= fact.minted_at < end) or fact.added == 0:
            continue
        counts["delivered"] += fact.added
        moment = _first_deployment(deployed[fact.channel_id], fact)
        if moment is not None:
            delay = moment - fact.minted_at
            delays.append((delay, fact.added))
            counts["on_time" if delay <= sla else "late"] += fact.added
        elif now - fact.minted_at > sla:
            counts["late"] += fact.added
        else:
            counts["pending"] += fact.added
    return MemberCompliance(
        org=org,
        channels=len(channels),
        delivered_items=counts["delivered"],
        on_time_items=counts["on_time"],
        late_items=counts["late"],
        pending_items=counts["pending"],
        median_delay=weighted_median(delays),
        stale=stale_channels(channels, versions, deployed, now=now, sla=sla),
    )


def _deployments(receipts: Iterable[ReceiptFact]) -> dict[int, list[ReceiptFact]]:
    by_channel: dict[int, list[ReceiptFact]] = defaultdict(list)
    for receipt in receipts:
        by_channel[receipt.channel_id].append(receipt)
    return by_channel


def _first_deployment(receipts: list[ReceiptFact], fact: VersionFact) -> datetime | None:
    moments = [
        r.deployed_at
        for r in receipts
        if r.version >= fact.version and r.deployed_at >= fact.minted_at
    ]
    return min(moments, default=None)


def stale_channels(
    channels: dict[int, str],
    versions: Sequence[VersionFact],
    deployed: dict[int, list[ReceiptFact]],
    *,
    now: datetime,
    sla: timedelta,
) -> tuple[StaleChannel, ...]:
    """Channels whose latest version is undeployed and older than the SLA."""
    latest: dict[int, VersionFact] = {}
    for fact in versions:
        if fact.minted_at <= now and (
            fact.channel_id not in latest or fact.version > latest[fact.channel_id].version
        ):
            latest[fact.channel_id] = fact
    found = []
    for channel_id, fact in sorted(latest.items()):
        if channel_id not in channels:
            continue
        done = any(r.version >= fact.version for r in deployed.get(channel_id, ()))
        waiting = now - fact.minted_at
        if not done and waiting > sla:
            found.append(StaleChannel(channel_id, channels[channel_id], fact.version, waiting))
    return tuple(found)


def weighted_median(values: Sequence[tuple[timedelta, int]]) -> timedelta | None:
    """The median of values repeated by their weights (mean of the middle two if even)."""
    total = sum(weight for _, weight in values)
    if total == 0:
        return None
    ordered = sorted(values)
    middle = ((total - 1) // 2, total // 2)  # 0-based ranks of the middle element(s)
    picked: list[timedelta] = []
    seen = 0
    for value, weight in ordered:
        for rank in middle:
            if seen <= rank < seen + weight:
                picked.append(value)
        seen += weight
    return (picked[0] + picked[1]) / 2


def is_compliant(row: MemberCompliance, *, min_share: float = DEFAULT_MIN_SHARE) -> bool:
    """True when the member deploys what it receives (module docstring, "Compliant")."""
    share = row.on_time_share
    return row.channels > 0 and not row.stale and (share is None or share >= min_share)


def status(row: MemberCompliance, policy: Policy) -> str:
    """What follows for this member: ``none`` when compliant, else the configured action."""
    if is_compliant(row, min_share=policy.min_share):
        return "none"
    return policy.consequence.value


def downgrades_tier(row: MemberCompliance, policy: Policy) -> bool:
    """True when non-compliance must count as a tier downgrade under ``policy``."""
    return status(row, policy) == Consequence.DOWNGRADE.value


def row_to_json(row: MemberCompliance, policy: Policy) -> dict[str, Any]:
    """A member's row as the API shows it."""
    share = row.on_time_share
    return {
        "org": row.org,
        "channels": row.channels,
        "delivered_items": row.delivered_items,
        "on_time_items": row.on_time_items,
        "late_items": row.late_items,
        "pending_items": row.pending_items,
        "on_time_share": None if share is None else round(share, 6),
        "median_delay_seconds": None
        if row.median_delay is None
        else row.median_delay.total_seconds(),
        "stale_channels": [
            {
                "id": s.channel_id,
                "name": s.name,
                "version": s.version,
                "waiting_seconds": s.waiting.total_seconds(),
            }
            for s in row.stale
        ],
        "compliant": is_compliant(row, min_share=policy.min_share),
        "action": status(row, policy),
    }


def row_to_csv(document: dict[str, Any]) -> list[str]:
    """The CSV cells of a row's JSON form (stale channels as ``id:name`` joined by ``;``)."""
    cells = []
    for column in CSV_COLUMNS:
        value = document[column]
        if column == "stale_channels":
            value = ";".join(f"{s['id']}:{s['name']}" for s in value)
        elif value is None:
            value = ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        cells.append(str(value))
    return cells
