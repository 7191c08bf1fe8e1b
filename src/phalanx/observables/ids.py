"""Deterministic observable ids. PURE.

An observable's uid is the UUID of its STIX 2.1 SCO (spec 2.9: UUIDv5 in the SCO namespace over
the JCS form of the ID-contributing properties), so the uid, the STIX id and the database key
agree everywhere. Kinds with no SCO (rule bodies) use UUIDv5 in Phalanx's own namespace over
``type + "\\n" + value``; that namespace MUST NOT be the SCO one (spec 2.9).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable

STIX_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
PHALANX_NAMESPACE = uuid.UUID("6b7f3c2e-9f41-4a8e-a1c5-2d0e8b4f7a93")

_VALUE_SCOS = {
    ObservableType.IPV4: "ipv4-addr",
    ObservableType.IPV6: "ipv6-addr",
    ObservableType.DOMAIN: "domain-name",
    ObservableType.URL: "url",
    ObservableType.EMAIL: "email-addr",
}
STIX_HASH_NAMES = {
    ObservableType.MD5: "MD5",
    ObservableType.SHA1: "SHA-1",
    ObservableType.SHA256: "SHA-256",
    ObservableType.SHA512: "SHA-512",
}


def sco_type(obs: Observable) -> str | None:
    """Return the STIX SCO type that carries ``obs``, or None for rule kinds."""
    if obs.type in _VALUE_SCOS:
        return _VALUE_SCOS[obs.type]
    if obs.type is ObservableType.CIDR:
        return "ipv6-addr" if ":" in obs.value else "ipv4-addr"
    if obs.type in STIX_HASH_NAMES:
        return "file"
    if obs.type is ObservableType.ASN:
        return "autonomous-system"
    return None


def sco_properties(obs: Observable) -> dict[str, Any]:
    """Return the SCO's ID-contributing properties for ``obs`` (empty for rule kinds)."""
    if obs.type in _VALUE_SCOS or obs.type is ObservableType.CIDR:
        return {"value": obs.value}
    if obs.type in STIX_HASH_NAMES:
        return {"hashes": {STIX_HASH_NAMES[obs.type]: obs.value}}
    if obs.type is ObservableType.ASN:
        return {"number": int(obs.value)}
    return {}


def canonical_json(data: dict[str, Any]) -> str:
    """Serialise flat JSON data per RFC 8785 (JCS) for the value shapes SCO ids use."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sco_uuid(properties: dict[str, Any]) -> uuid.UUID:
    """Return the UUIDv5 STIX assigns to an SCO with these ID-contributing properties."""
    return uuid.uuid5(STIX_SCO_NAMESPACE, canonical_json(properties))


def observable_uid(obs: Observable) -> uuid.UUID:
    """Return the deterministic uid of ``obs`` (its SCO's UUID, or a Phalanx UUIDv5)."""
    if sco_type(obs) is None:
        return uuid.uuid5(PHALANX_NAMESPACE, f"{obs.type.value}\n{obs.value}")
    return sco_uuid(sco_properties(obs))


def stix_sco_id(obs: Observable) -> str | None:
    """Return the STIX id of the SCO for ``obs`` (``ipv4-addr--…``), or None for rule kinds."""
    kind = sco_type(obs)
    return None if kind is None else f"{kind}--{observable_uid(obs)}"


def observable_key(obs: Observable) -> int:
    """Return the 64-bit storage key of ``obs``: the first 8 bytes of its uid, signed.

    Computed straight from the SHA-1 that UUIDv5 is built from (bytes 0-7, with the version
    nibble of byte 6 set as in the UUID) so ingest pays one hash per item and no UUID object.
    The JSON of value SCOs and hashes is a byte template: no encoder for plain values.
    """
    kind, value = obs.type, obs.value
    if kind in _VALUE_KINDS:
        if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
            data = _VALUE_PREFIX + value.encode() + b'"}'  # JCS of {"value": v}, no escapes
        else:
            data = SCO_NAMESPACE_BYTES + canonical_json({"value": value}).encode()
    elif kind in _HASH_PREFIXES:
        # Hash values are validated lowercase hex, so the JCS form is a plain template.
        data = _HASH_PREFIXES[kind] + value.encode() + b'"}}'
    elif sco_type(obs) is None:
        data = PHALANX_NAMESPACE_BYTES + f"{kind.value}\n{value}".encode()
    else:
        data = SCO_NAMESPACE_BYTES + canonical_json(sco_properties(obs)).encode()
    number = int.from_bytes(hashlib.sha1(data).digest()[:8], "big") & _VERSION_MASK | 0x5000
    return number - ((number & _SIGN_BIT) << 1)  # as a signed 64-bit integer


def key_of_uid(uid: uuid.UUID) -> int:
    """Return the storage key that belongs to an observable uid."""
    return int.from_bytes(uid.bytes[:8], "big", signed=True)


SCO_NAMESPACE_BYTES = STIX_SCO_NAMESPACE.bytes
PHALANX_NAMESPACE_BYTES = PHALANX_NAMESPACE.bytes
_VALUE_KINDS = frozenset({*_VALUE_SCOS, ObservableType.CIDR})
_VALUE_PREFIX = SCO_NAMESPACE_BYTES + b'{"value":"'
_HASH_PREFIXES = {
    kind: SCO_NAMESPACE_BYTES + f'{{"hashes":{{"{name}":"'.encode()
    for kind, name in STIX_HASH_NAMES.items()
}
_VERSION_MASK = ~(0xF0 << 8) & (1 << 64) - 1  # byte 6's high nibble, set to 5 (UUIDv5)
_SIGN_BIT = 1 << 63
