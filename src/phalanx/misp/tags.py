"""MISP tags and galaxy clusters <-> Phalanx markings, labels and confidence. PURE.

Import (:func:`read_tags`):

- ``tlp:clear|white|green|amber|amber+strict|red`` (TLP 2.0 and 1.0 spellings) -> TLP;
  ``tlp:ex:chr`` and ``tlp:unclear`` are not TLP levels and are ignored.
- ``PAP:CLEAR|WHITE|GREEN|AMBER|RED`` -> PAP.
- ``misp-galaxy:mitre-attack-pattern="... - T1059.001"`` (and the mobile/pre-attack
  variants) -> ``attack:T1059.001``; ``mitre-malware``/``mitre-tool`` -> ``malware:<name>``
  plus ``attack:S....``; ``mitre-intrusion-set`` -> ``threat-actor:<name>`` plus
  ``attack:G....``; ``threat-actor`` -> ``threat-actor:<name>``; malware galaxies
  (``malpedia``, ``ransomware``, ``banker``, ``rat``, ``botnet``, ``backdoor``, ``stealer``,
  ``android``, ``tool``) and ``ms-caro-malware-full:malware-family`` -> ``malware:<family>``;
  ``exploit-kit`` -> ``exploit-kit:<name>``.
- Confidence: ``admiralty-scale:information-credibility="1".."5"`` -> 90/70/50/30/10 (STIX
  2.1 App. A), ``estimative-language:confidence-in-analytic-judgment`` high/moderate/low ->
  85/50/15, ``osint:certainty="93"`` -> 93.
- Any other tag that is a valid Phalanx label (``malicious-extension``, ``c2``) is kept as a
  label; machine tags with quoted values that are not listed above are dropped.

Export (:func:`tags_for_labels`) reverses it: ``attack:T...`` -> the mitre-attack-pattern
galaxy tag, ``malware:x`` -> ``misp-galaxy:malpedia="x"``, ``threat-actor:x`` ->
``misp-galaxy:threat-actor="x"``, every other label -> a plain tag of the same name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from phalanx.formats.stix21.labels import accepted_labels, malware_label
from phalanx.policy.markings import PAP, TLP, parse_pap, parse_tlp

_Level = TypeVar("_Level", TLP, PAP)
_MACHINE_TAG = re.compile(r'^(?P<namespace>[^:="]+):(?P<predicate>[^="]+)(?:="(?P<value>.*)")?$')
_ATTACK_ID = re.compile(r"\b(T\d{4}(?:\.\d{3})?|TA\d{4}|S\d{4}|G\d{4})\s*$")
_ATTACK_PATTERN_GALAXIES = frozenset(
    {
        "mitre-attack-pattern",
        "mitre-enterprise-attack-attack-pattern",
        "mitre-mobile-attack-attack-pattern",
        "mitre-pre-attack-attack-pattern",
    }
)
_SOFTWARE_GALAXIES = frozenset({"mitre-malware", "mitre-tool"})
_ACTOR_GALAXIES = frozenset({"threat-actor", "mitre-intrusion-set"})
_MALWARE_GALAXIES = frozenset(
    {"malpedia", "ransomware", "banker", "rat", "botnet", "backdoor", "stealer", "android", "tool"}
)
_ADMIRALTY = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}
_ESTIMATIVE = {"high": 85, "moderate": 50, "low": 15}
_COLOURS = {
    TLP.CLEAR: "#ffffff",
    TLP.GREEN: "#339900",
    TLP.AMBER: "#ffc000",
    TLP.AMBER_STRICT: "#ffc000",
    TLP.RED: "#cc0033",
}
_PAP_COLOURS = {
    PAP.CLEAR: "#ffffff",
    PAP.GREEN: "#339900",
    PAP.AMBER: "#ffc000",
    PAP.RED: "#cc0033",
}


@dataclass(slots=True)
class TagFacts:
    """What a list of tags says: TLP, PAP, labels and confidence (None: not said)."""

    tlp: TLP | None = None
    pap: PAP | None = None
    labels: list[str] = field(default_factory=list)
    confidence: int | None = None

    def over(self, outer: TagFacts) -> TagFacts:
        """These (more specific) facts over ``outer``'s: markings override, labels add up."""
        return TagFacts(
            tlp=self.tlp or outer.tlp,
            pap=self.pap or outer.pap,
            labels=list(dict.fromkeys([*outer.labels, *self.labels])),
            confidence=self.confidence if self.confidence is not None else outer.confidence,
        )


def read_tags(names: Iterable[str]) -> TagFacts:
    """Read tag names (event, object or attribute tags, or galaxy cluster tag names)."""
    facts = TagFacts()
    raw_labels: list[str] = []
    for name in names:
        _read_tag(name.strip(), facts, raw_labels)
    facts.labels = accepted_labels(raw_labels)
    return facts


def _read_tag(name: str, facts: TagFacts, labels: list[str]) -> None:
    lowered = name.lower()
    if lowered.startswith("tlp:"):
        with contextlib.suppress(ValueError):  # tlp:ex:chr, tlp:unclear: not TLP levels
            facts.tlp = _stricter(facts.tlp, parse_tlp(lowered))
        return
    if lowered.startswith("pap:"):
        with contextlib.suppress(ValueError):
            facts.pap = _stricter(facts.pap, parse_pap(lowered))
        return
    match = _MACHINE_TAG.match(name)
    if match is None or match["value"] is None:
        labels.append(name)  # a plain tag; accepted_labels keeps it if it is a valid label
        return
    namespace, predicate, value = match["namespace"], match["predicate"], match["value"]
    if namespace == "misp-galaxy":
        labels.extend(galaxy_labels(predicate, value))
    elif (namespace, predicate) == ("ms-caro-malware-full", "malware-family"):
        labels.extend(_malware(value))
    else:
        confidence = _confidence(namespace, predicate, value)
        if facts.confidence is None:
            facts.confidence = confidence


def galaxy_labels(galaxy: str, value: str) -> list[str]:
    """The labels one galaxy cluster gives (``galaxy`` is its type, ``value`` its value)."""
    attack = _ATTACK_ID.search(value)
    name = _ATTACK_ID.sub("", value).strip().removesuffix("-").strip()
    found: list[str] = []
    if attack is not None and galaxy in (
        _ATTACK_PATTERN_GALAXIES | _SOFTWARE_GALAXIES | {"mitre-intrusion-set"}
    ):
        found.append(f"attack:{attack.group(1)}")
    if galaxy in _SOFTWARE_GALAXIES or galaxy in _MALWARE_GALAXIES:
        found += _malware(name)
    elif galaxy in _ACTOR_GALAXIES and name:
        found.append(f"threat-actor:{_label_text(name)}")
    elif galaxy == "exploit-kit" and name:
        found.append(f"exploit-kit:{_label_text(name)}")
    return found


def _malware(name: str) -> list[str]:
    label = malware_label(name)
    return [label] if label else []


def _label_text(name: str) -> str:
    label = malware_label(name)  # the same character rules as any label
    return label.removeprefix("malware:") if label else ""


def _confidence(namespace: str, predicate: str, value: str) -> int | None:
    if (namespace, predicate) == ("admiralty-scale", "information-credibility"):
        return _ADMIRALTY.get(value.strip())
    if (namespace, predicate) == ("estimative-language", "confidence-in-analytic-judgment"):
        return _ESTIMATIVE.get(value.strip().lower())
    if (namespace, predicate) == ("osint", "certainty"):
        digits = value.strip()
        return int(digits) if digits.isdigit() and int(digits) <= 100 else None
    return None


def _stricter(current: _Level | None, new: _Level) -> _Level:
    # Two TLP tags on one element contradict each other: the stricter reading is the safe one.
    return new if current is None or new.rank > current.rank else current


def tlp_tag(tlp: TLP) -> dict[str, object]:
    """The MISP taxonomy tag of a TLP level (TLP 2.0 names)."""
    return {"name": f"tlp:{tlp.value}", "colour": _COLOURS[tlp], "local": False}


def pap_tag(pap: PAP) -> dict[str, object]:
    """The MISP taxonomy tag of a PAP level."""
    return {"name": f"PAP:{pap.value.upper()}", "colour": _PAP_COLOURS[pap], "local": False}


@dataclass(frozen=True, slots=True)
class GalaxyTag:
    """A label written as a galaxy cluster: galaxy type, cluster value and tag name."""

    galaxy: str
    value: str

    @property
    def tag_name(self) -> str:
        """``misp-galaxy:<galaxy>="<value>"``."""
        return f'misp-galaxy:{self.galaxy}="{self.value}"'


def galaxy_for_label(label: str) -> GalaxyTag | None:
    """The galaxy cluster a label is written as on export (None: a plain tag)."""
    prefix, _, rest = label.partition(":")
    if prefix == "attack" and rest.startswith("T"):
        return GalaxyTag("mitre-attack-pattern", rest)
    if prefix == "malware" and rest:
        return GalaxyTag("malpedia", rest)
    if prefix == "threat-actor" and rest:
        return GalaxyTag("threat-actor", rest)
    return None


def tags_for_labels(labels: Iterable[str]) -> list[str]:
    """The tag names of a report's labels (galaxy tags where a galaxy fits)."""
    names = []
    for label in labels:
        galaxy = galaxy_for_label(label)
        names.append(galaxy.tag_name if galaxy else label)
    return names
