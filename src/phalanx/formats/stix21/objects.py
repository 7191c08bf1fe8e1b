"""STIX 2.1 objects as the object store keeps them: checks, versions, digests, markings. PURE.

The store keeps every object verbatim, one row per version (STIX 2.1 §3.6: the version key is
``(id, modified)``). This module decides, without I/O, what a stored version is:

- ``check_storable`` refuses what is not STIX 2.1: the structural checks of structure.py plus
  ``spec_version`` (required "2.1" on SDOs, SROs and marking definitions, §3.2; optional on
  SCOs, default 2.1), naming the property that fails;
- ``version_of`` is ``modified``, else ``created`` (marking definitions), else None for SCOs,
  which are not versioned: the store tells their versions apart by content;
- ``digest_of`` is a SHA-256 over the canonical JSON (sorted keys), so a re-sent object is
  recognised whatever its key order;
- ``tlp_of`` is the most restrictive TLP among an object's markings (TLP 1.0 and 2.0 ids, and
  marking definitions sent alongside), or None when it has none;
- ``deterministic_sco_id`` is the id STIX 2.1 §2.9 gives an SCO (spec-notes §2.2), computed
  over the canonical value so two spellings of one address get one id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from phalanx.clock import micros_of
from phalanx.errors import InvalidInput
from phalanx.formats.stix21.markings import tlp_from_marking
from phalanx.formats.stix21.scos import observables_from_sco
from phalanx.formats.stix21.structure import SCO_TYPES, check_object
from phalanx.observables.ids import sco_uuid
from phalanx.observables.normalize import normalize
from phalanx.policy.markings import TLP

SPEC_VERSION = "2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
# ID-contributing properties per SCO type (STIX 2.1 §6; spec-notes §2.2).
ID_PROPERTIES: dict[str, tuple[str, ...]] = {
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "domain-name": ("value",),
    "url": ("value",),
    "email-addr": ("value",),
    "mac-addr": ("value",),
    "file": ("hashes", "name", "extensions", "parent_directory_ref"),
    "autonomous-system": ("number",),
    "network-traffic": (
        "start",
        "end",
        "src_ref",
        "dst_ref",
        "src_port",
        "dst_port",
        "protocols",
        "extensions",
    ),
}
# python-stix2's _choose_one_hash order: one hash contributes to a file's id.
_HASH_PREFERENCE = ("MD5", "SHA-1", "SHA-256", "SHA-512")
_VALUE_KINDS = {
    "ipv4-addr": "ipv4",
    "ipv6-addr": "ipv6",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
}


def check_storable(obj: Any) -> None:
    """Raise InvalidInput (naming the property) unless ``obj`` is a storable STIX 2.1 object."""
    check_object(obj)
    spec_version = obj.get("spec_version")
    if obj["type"] in SCO_TYPES:
        if spec_version not in (None, SPEC_VERSION):
            raise InvalidInput(f"unsupported STIX version {spec_version!r}", field="spec_version")
        return
    if spec_version is None:
        raise InvalidInput(
            "required property is missing (STIX 2.0 objects are not accepted)",
            field="spec_version",
        )
    if spec_version != SPEC_VERSION:
        raise InvalidInput(
            f"unsupported STIX version {spec_version!r}; expected '2.1'", field="spec_version"
        )
    created, modified = obj.get("created"), obj.get("modified")
    # Both are validated RFC 3339 UTC strings by now: compare the instants, not the text.
    if created is not None and modified is not None and micros_of(modified) < micros_of(created):
        raise InvalidInput("must not be earlier than 'created'", field="modified")


def version_of(obj: Mapping[str, Any]) -> str | None:
    """The object's version (``modified``, else ``created``), or None when it is unversioned."""
    version = obj.get("modified") or obj.get("created")
    return version if isinstance(version, str) else None


def spec_version_of(obj: Mapping[str, Any]) -> str:
    """The object's STIX version (SCOs without one are 2.1, §3.2)."""
    return str(obj.get("spec_version") or SPEC_VERSION)


def stored_json(obj: Mapping[str, Any]) -> tuple[bytes, str]:
    """The object's JSON as stored (keys sorted) and its SHA-256: equal for equal content.

    Not the RFC 8785 form SCO ids are computed over (observables/ids.py): this one only has
    to be stable, and orjson is several times faster.
    """
    content = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    return content, hashlib.sha256(content).hexdigest()


def digest_of(obj: Mapping[str, Any]) -> str:
    """SHA-256 of the object's canonical JSON: equal for equal content, whatever the key order."""
    return stored_json(obj)[1]


def tlp_of(obj: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]]) -> TLP | None:
    """The most restrictive TLP among the object's markings, or None when it has none.

    ``definitions`` are marking definitions sent with the object (by id); the TLP 1.0 and 2.0
    ids are known without them. Granular TLP markings count too: a TLP:RED description makes
    the object as a whole no wider than TLP:RED, since the store serves objects whole.
    """
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    for granular in obj.get("granular_markings") or ():
        if isinstance(granular, dict) and isinstance(granular.get("marking_ref"), str):
            refs.append(granular["marking_ref"])
    found = [
        tlp_from_marking(dict(definitions[ref]) if ref in definitions else ref) for ref in refs
    ]
    levels = [level for level in found if level is not None]
    # A TLP marking definition is public knowledge: everyone may read its definition.
    if obj.get("type") == "marking-definition" and not levels and tlp_from_marking(dict(obj)):
        return TLP.CLEAR
    return max(levels, key=lambda level: level.rank) if levels else None


def deterministic_sco_id(sco: Mapping[str, Any]) -> str | None:
    """The UUIDv5 id STIX 2.1 §2.9 assigns to this SCO, or None when its type has no rule here.

    Values that Phalanx normalises (addresses, domains, URLs, e-mail addresses) are put in
    canonical form first (spec-notes gotcha 4): ``198.51.100.1/32`` and ``198.51.100.1`` are
    one address and get one id.
    """
    kind = sco.get("type")
    names = ID_PROPERTIES.get(str(kind))
    if names is None:
        return None
    properties = {name: sco[name] for name in names if name in sco}
    if kind in _VALUE_KINDS and isinstance(properties.get("value"), str):
        properties["value"] = _canonical_value(str(kind), properties["value"])
    if kind == "file" and isinstance(properties.get("hashes"), dict):
        properties["hashes"] = _one_hash(properties["hashes"])
        if not properties["hashes"]:
            del properties["hashes"]
    if not properties:
        return None
    return f"{kind}--{sco_uuid(properties)}"


def _canonical_value(kind: str, value: str) -> str:
    """The canonical spelling of an SCO value (unchanged when Phalanx cannot read it)."""
    try:
        pairs = observables_from_sco({"type": kind, "value": value})
        observable = normalize(pairs[0][1], pairs[0][0])
    except (InvalidInput, ValueError, IndexError):
        return value
    if observable.type.value == "cidr" or kind in ("ipv4-addr", "ipv6-addr"):
        return observable.value
    return observable.value if observable.type.value == _VALUE_KINDS[kind] else value


def _one_hash(hashes: Mapping[str, Any]) -> dict[str, Any]:
    for name in _HASH_PREFERENCE:
        if isinstance(hashes.get(name), str):
            return {name: hashes[name]}
    for name in sorted(hashes):
        return {name: hashes[name]}
    return {}
