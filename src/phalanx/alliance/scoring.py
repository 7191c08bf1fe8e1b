"""The open points formula: every point explainable, nothing for old or benign news. PURE.

For an accepted item, with ``base`` from its kind (a malware hash or a signature is worth
more than a C2, a C2 more than a plain address, an address more than a URL):

* ``novel``:         base x (1 + 0.25 x context), context = how many of malware family,
                     ATT&CK ids, kill-chain role, confidence and description the item has;
* ``corroborating``: base x 0.25 x new, new = how many of malware family, ATT&CK ids and
                     kill-chain role the item adds to the earlier reports the contributor may
                     see (0 without new context: confirming is not contributing);
* ``published`` and ``benign``: 0.

Anti-gaming: credit goes to a *credit unit*, not to a value. A domain and every URL on it share
one unit (the registered domain), an IPv6 address shares one with its /64; a member is
credited once per unit, so splitting one host into many URLs, or one item into many
submissions, earns nothing more. Re-submitting a value the member already reported earns
nothing, whatever context it adds.

Feedback: each later independent sighting by another member adds 2 points to the report's
contributor (at most 5 sighting members per report); a confirmed false positive takes back the
points the report earned plus 5.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from phalanx.alliance.novelty import Novelty, Verdict
from phalanx.observables.kinds import HASH_TYPES, RULE_TYPES, ObservableType

CONTEXT_STEP = 0.25
CORROBORATION_STEP = 0.25
SIGHTING_BONUS = 2.0
SIGHTING_MAX_ORGS = 5
FALSE_POSITIVE_PENALTY = 5.0
# Distinct members besides the contributor whose false-positive claims confirm one.
FALSE_POSITIVE_CONFIRMATIONS = 2
ROLES = frozenset({"c2", "compromised-site", "phishing", "payload", "exfiltration", "dropper"})
CONTEXT = ("malware family", "ATT&CK ids", "kill-chain role", "confidence", "description")
NEW_CONTEXT = CONTEXT[:3]

_BASE: dict[str, tuple[float, str]] = {
    "hash": (10.0, "malware hash"),
    "signature": (10.0, "signature"),
    "c2": (8.0, "C2"),
    "address": (5.0, "address or domain"),
    "url": (4.0, "URL"),
    "email": (3.0, "email address"),
    "asn": (2.0, "AS number"),
}


@dataclass(frozen=True, slots=True)
class ItemContext:
    """The parts of an item the formula reads."""

    kind: ObservableType
    value: str
    labels: frozenset[str] = frozenset()
    confidence: int | None = None
    description: bool = False


# Not frozen: one per item on the ingest hot path, and frozen __init__ costs several times more.
@dataclass(slots=True)
class Score:
    """Points for one item (in hundredths) and the reason, as a sentence."""

    centipoints: int
    reason: str
    unit: str

    @property
    def points(self) -> float:
        """The points as a number with two decimals."""
        return self.centipoints / 100


def base_points(kind: ObservableType, labels: frozenset[str]) -> tuple[float, str]:
    """Base points of a kind (a network observable labelled ``c2`` counts as a C2)."""
    if kind in HASH_TYPES:
        return _BASE["hash"]
    if kind in RULE_TYPES:
        return _BASE["signature"]
    if kind is ObservableType.ASN:
        return _BASE["asn"]
    if "c2" in labels:
        return _BASE["c2"]
    if kind is ObservableType.URL:
        return _BASE["url"]
    if kind is ObservableType.EMAIL:
        return _BASE["email"]
    return _BASE["address"]


def context_of(item: ItemContext) -> tuple[str, ...]:
    """Which context elements the item carries, in ``CONTEXT`` order."""
    found = label_context(item.labels)
    if item.confidence is not None:
        found += ("confidence",)
    return (*found, "description") if item.description else found


@lru_cache(maxsize=4_096)
def label_context(labels: frozenset[str]) -> tuple[str, ...]:
    """The context elements a set of labels carries (family, ATT&CK ids, role), in order."""
    family = attack = role = False
    for label in labels:
        if label.startswith("malware:"):
            family = True
        elif label.startswith("attack:"):
            attack = True
        elif label in ROLES or label.startswith("kill-chain:"):
            role = True
    flags = (family, attack, role)
    return tuple(name for name, present in zip(NEW_CONTEXT, flags, strict=True) if present)


def new_context(item: ItemContext, seen_labels: frozenset[str]) -> tuple[str, ...]:
    """Context elements with at least one label none of the earlier visible reports had."""
    fresh = item.labels - seen_labels
    return label_context(fresh) if fresh else ()


def score(
    item: ItemContext,
    verdict: Verdict,
    *,
    unit: str,
    seen_labels: frozenset[str] = frozenset(),
    already_reported: bool = False,
    credited_for: str | None = None,
) -> Score:
    """Points for one accepted item, from the class the contributor is shown.

    ``already_reported``: the contributor reported this observable before; ``credited_for``:
    the contributor was already credited for the item's unit (names the unit in the reason).
    """
    shown = verdict.shown
    if shown is Novelty.BENIGN:
        return Score(0, f"benign: on the warninglist {verdict.warninglist}", unit)
    if shown is Novelty.PUBLISHED:
        return Score(0, "published: already in a published source", unit)
    if already_reported:
        return Score(0, "resubmission: you reported this value before", unit)
    if credited_for is not None:
        return Score(0, f"no extra credit: you were already credited for {credited_for}", unit)
    base, what = base_points(item.kind, item.labels)
    if shown is Novelty.NOVEL:
        context = context_of(item)
        points = base * (1 + CONTEXT_STEP * len(context))
        detail = ", ".join(context) if context else "no context"
        reason = f"novel {what}: {base:g} x (1 + {CONTEXT_STEP:g} x {len(context)} [{detail}])"
        return Score(round(points * 100), reason, unit)
    fresh = new_context(item, seen_labels)
    if not fresh:
        return Score(0, f"corroborating {what} without new context", unit)
    points = base * CORROBORATION_STEP * len(fresh)
    reason = (
        f"corroborating {what} with new context: {base:g} x {CORROBORATION_STEP:g} x "
        f"{len(fresh)} [{', '.join(fresh)}]"
    )
    return Score(round(points * 100), reason, unit)


def credit_unit(kind: ObservableType, value: str, suffixes: frozenset[str]) -> str:
    """The unit a member is credited for once: registered domain, /64, or the value itself."""
    if kind is ObservableType.DOMAIN:
        return "domain:" + registered_domain(value, suffixes)
    if kind is ObservableType.URL:
        host = url_host(value)
        if host is None:
            return "url:" + value
        return credit_unit(_host_kind(host), host, suffixes)
    if kind is ObservableType.IPV6:
        try:
            packed = socket.inet_pton(socket.AF_INET6, value)
        except OSError:
            return "ipv6:" + value
        # inet_ntop writes the RFC 5952 form ipaddress does, for a /64 at a tenth of the cost.
        return f"ipv6:{socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8))}/64"
    return kind + ":" + value  # a StrEnum concatenates as its value


def unit_key(unit: str) -> int:
    """A credit unit's 64-bit index key: the ledger finds a unit by it, then compares text.

    Half the index of the units' text: every contribution inserts into this index at random
    places, and every page it touches is written again at commit.
    """
    return int.from_bytes(
        hashlib.blake2b(unit.encode(), digest_size=8).digest(), "big", signed=True
    )


def url_host(url: str) -> str | None:
    """The host of a canonical URL (observables/urls.py), without brackets or port."""
    _scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].split("]", 1)[0] or None
    host = host.rsplit(":", 1)[0] if ":" in host else host
    return host.rstrip(".") or None


def registered_domain(name: str, suffixes: frozenset[str]) -> str:
    """The registrable part of a name: one label under its public suffix.

    ``suffixes`` are multi-label public suffixes (``co.uk``, ``com.au``...); any other name
    is registered one label under its top-level domain.
    """
    labels = name.rstrip(".").split(".")
    for size in range(len(labels) - 1, 1, -1):
        if ".".join(labels[-size:]) in suffixes:
            return ".".join(labels[-size - 1 :])
    return ".".join(labels[-2:])


def describe() -> dict[str, object]:
    """The formula as data (GET /api/v1/alliance/scoring)."""
    return {
        "base_points": {what: points for points, what in _BASE.values()},
        "base_rules": [
            "md5/sha1/sha256/sha512: malware hash",
            "yara/suricata/sigma/stix-pattern: signature",
            "a network observable labelled c2: C2",
            "ipv4/ipv6/cidr/domain: address or domain",
            "url: URL",
            "email: email address",
            "asn: AS number",
        ],
        "novel": f"base x (1 + {CONTEXT_STEP} x number of context elements present)",
        "context_elements": list(CONTEXT),
        "kill_chain_roles": [*sorted(ROLES), "kill-chain:<phase>"],
        "corroborating": (
            f"base x {CORROBORATION_STEP} x number of new context elements "
            f"({', '.join(NEW_CONTEXT)}) not in earlier reports you may see; 0 without"
        ),
        "published": 0,
        "benign": 0,
        "resubmission": 0,
        "credit_units": [
            "domain and URL: the registered domain (every URL of one host earns once)",
            "ipv6: the /64",
            "anything else: the value",
        ],
        "sighting_bonus": {
            "points": SIGHTING_BONUS,
            "per": "independent sighting member",
            "max_members_per_report": SIGHTING_MAX_ORGS,
        },
        "false_positive": {
            "points": f"minus the report's points, minus {FALSE_POSITIVE_PENALTY:g}",
            "confirmed_by": (
                f"{FALSE_POSITIVE_CONFIRMATIONS} members besides the contributor calling "
                "the report a false positive"
            ),
        },
        "reputation": (
            "new points x min(1, your reputation / a newcomer's reputation): members whose "
            "reports were called false positives earn proportionally less (GET /reputation)"
        ),
        "hidden_reports": (
            "an item reported before only under markings you may not see is scored as novel"
        ),
    }


def _host_kind(host: str) -> ObservableType:
    if ":" in host:
        return ObservableType.IPV6
    last = host.rsplit(".", 1)[-1]
    return ObservableType.IPV4 if last.isdigit() else ObservableType.DOMAIN


def reputation_factor(reputation: float, newcomer: float) -> float:
    """The multiplier a contributor's reputation puts on its new points: 1 at a newcomer's
    reputation or above (points are never inflated), proportionally less below it."""
    return min(1.0, reputation / newcomer)


def weighted(points: Score, factor: float) -> Score:
    """``points`` times a reputation factor below 1 (unchanged otherwise or when zero)."""
    if factor >= 1.0 or points.centipoints <= 0:
        return points
    reason = f"{points.reason}; x {factor:.2f} for your false-positive record (reputation)"
    return Score(round(points.centipoints * factor), reason, points.unit)


def sum_points(scores: Iterable[Score]) -> float:
    """Total points of several scores."""
    return sum(s.centipoints for s in scores) / 100
