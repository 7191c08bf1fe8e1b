"""Phalanx report labels <-> STIX indicator properties (STIX 2.1 §4.7, §10.11). PURE.

Phalanx labels are free terms with a few conventions: roles (``c2``, ``compromised-site``,
``phishing``, ``payload``), ``malware:<family>`` and ``attack:<ATT&CK id>``. On export every
label stays in ``labels`` (so a round trip keeps them), roles and malware families also give
``indicator_types`` from indicator-type-ov, and ATT&CK ids also become ``external_references``
with ``source_name: "mitre-attack"`` as in MITRE's own STIX data (no URL: the validator wants
hashes beside URLs, check 302). On import the reverse mapping gives the labels back, and only
labels that ``phalanx.policy.labels`` accepts are kept: a foreign label such as misp-stix's
``misp:type="domain"`` would otherwise get the whole item rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.policy.labels import MAX_LABELS, normalize_label

ATTACK_SOURCE = "mitre-attack"
ATTACK_PREFIX = "attack:"
MALWARE_PREFIX = "malware:"
# indicator-type-ov in spec order, so derived lists come out in one stable order.
INDICATOR_TYPES = (
    "anomalous-activity",
    "anonymization",
    "benign",
    "compromised",
    "malicious-activity",
    "attribution",
    "unknown",
)
_ROLE_TYPES = {
    "c2": ("malicious-activity",),
    "phishing": ("malicious-activity",),
    "payload": ("malicious-activity",),
    # A compromised site is a victim's asset *and* serves malicious content.
    "compromised-site": ("compromised", "malicious-activity"),
}
# Import: the indicator types that say more than "malicious" become labels again.
_TYPE_LABELS = {
    "compromised": "compromised-site",
    "anonymization": "anonymization",
    "benign": "benign",
}
# The ATT&CK ids phalanx.policy.labels accepts: (sub-)techniques, tactics, software, groups.
_ATTACK_ID = re.compile(r"T\d{4}(?:\.\d{3})?|TA\d{4}|S\d{4}|G\d{4}")
_NOT_IN_LABELS = re.compile(r"[^a-z0-9:._/+\- ]+")


def indicator_types_for(labels: Iterable[str]) -> list[str]:
    """Return the indicator_types the labels imply ([] when none does)."""
    found: set[str] = set()
    for label in labels:
        key = label.strip().lower()
        if key.startswith(MALWARE_PREFIX):
            found.add("malicious-activity")
        found.update(_ROLE_TYPES.get(key, ()))
    return [kind for kind in INDICATOR_TYPES if kind in found]


def attack_references(labels: Iterable[str]) -> list[dict[str, str]]:
    """Return one ``mitre-attack`` external reference per ``attack:<id>`` label."""
    ids: dict[str, None] = {}
    for label in labels:
        if label[: len(ATTACK_PREFIX)].lower() == ATTACK_PREFIX:
            attack_id = label[len(ATTACK_PREFIX) :].strip().upper()
            if _ATTACK_ID.fullmatch(attack_id):
                ids[attack_id] = None
    return [{"source_name": ATTACK_SOURCE, "external_id": attack_id} for attack_id in ids]


def labels_from_indicator(indicator: dict[str, Any]) -> list[str]:
    """Return Phalanx labels for an indicator: its labels, telling types, ATT&CK references."""
    labels = [label for label in indicator.get("labels") or () if isinstance(label, str)]
    for kind in indicator.get("indicator_types") or ():
        if kind in _TYPE_LABELS:
            labels.append(_TYPE_LABELS[kind])
    labels += attack_labels(indicator)
    return list(dict.fromkeys(labels))


def attack_labels(obj: dict[str, Any]) -> list[str]:
    """Return ``attack:<id>`` for each ``mitre-attack`` external reference of ``obj``."""
    labels = []
    for reference in obj.get("external_references") or ():
        if isinstance(reference, dict) and reference.get("source_name") == ATTACK_SOURCE:
            attack_id = reference.get("external_id")
            if isinstance(attack_id, str) and attack_id:
                labels.append(f"{ATTACK_PREFIX}{attack_id}")
    return labels


def malware_label(name: str) -> str | None:
    """Return ``malware:<family>`` for a malware name, its characters fitted to label rules."""
    family = " ".join(_NOT_IN_LABELS.sub(" ", name.lower()).split())
    return f"{MALWARE_PREFIX}{family}" if family else None


def accepted_labels(labels: Iterable[str]) -> list[str]:
    """Keep the labels Phalanx accepts (canonical form, first ``MAX_LABELS``), drop the rest."""
    kept: dict[str, None] = {}
    for label in labels:
        try:
            kept[normalize_label(label)] = None
        except InvalidInput:
            continue  # another tool's vocabulary (misp:type="...", free text): not ours to keep
    return list(kept)[:MAX_LABELS]
