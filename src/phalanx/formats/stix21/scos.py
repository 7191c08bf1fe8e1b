"""STIX Cyber-observable Objects (STIX 2.1 §6; spec-notes §2.4) as Phalanx observables. PURE.

Only the SCO types that carry a Phalanx kind give observables: ``ipv4-addr``/``ipv6-addr``
(``cidr`` when the value has a shorter prefix than the full address, §6.4/§6.5: CIDR notation),
``domain-name``, ``url``, ``email-addr``, ``file`` (each MD5/SHA-1/SHA-256/SHA-512 in
``hashes``) and ``autonomous-system``. ``network-traffic`` and the rest are context, not
observables. Values stay raw: the ingest pipeline normalises them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.observables.ids import STIX_HASH_NAMES, sco_properties, sco_type, stix_sco_id
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable

Pair = tuple[str, str]

IP_VERSIONS = {"ipv4-addr": 4, "ipv6-addr": 6}
VALUE_KINDS = {
    "domain-name": ObservableType.DOMAIN.value,
    "url": ObservableType.URL.value,
    "email-addr": ObservableType.EMAIL.value,
}
# Hash names compared without case, "-" or "_": 'SHA-256', SHA256 and sha_256 all read.
_HASH_KINDS = {name.replace("-", ""): kind.value for kind, name in STIX_HASH_NAMES.items()}


def hash_kind(name: str) -> str | None:
    """Return the Phalanx kind of a STIX hash name (``SHA-256`` -> ``sha256``), or None."""
    return _HASH_KINDS.get(re.sub(r"[-_]", "", name.upper()))


def ip_kind(raw: str, version: int) -> str:
    """Return ``ipv4``/``ipv6``, or ``cidr`` when the value has a prefix shorter than a host."""
    prefix = raw.partition("/")[2]
    full_length = 32 if version == 4 else 128
    if prefix.isascii() and prefix.isdigit() and int(prefix) < full_length:
        return ObservableType.CIDR.value
    return ObservableType.IPV4.value if version == 4 else ObservableType.IPV6.value


def address_kind(raw: str) -> str:
    """Return the kind of an address that may be an IP or a domain (``*_ref.value`` in patterns)."""
    try:
        version = ipaddress.ip_interface(raw).version
    except ValueError:
        return ObservableType.DOMAIN.value
    return ip_kind(raw, version)


def observables_from_sco(sco: dict[str, Any]) -> list[Pair]:
    """Return the (Phalanx type, raw value) pairs an SCO carries ([] for context-only types)."""
    kind = sco.get("type")
    if kind in IP_VERSIONS:
        value = _required_string(sco, "value")
        return [(ip_kind(value, IP_VERSIONS[kind]), value)]
    if kind in VALUE_KINDS:
        return [(VALUE_KINDS[kind], _required_string(sco, "value"))]
    if kind == "file":
        return _file_hashes(sco)
    if kind == "autonomous-system":
        number = sco.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            raise InvalidInput("autonomous-system needs an integer 'number'", field="number")
        return [(ObservableType.ASN.value, str(number))]
    return []


def sco_for(obs: Observable) -> dict[str, Any]:
    """Return the SCO for a canonical observable, with its deterministic id (STIX 2.1 §2.9)."""
    kind = sco_type(obs)
    if kind is None:
        raise InvalidInput(f"observable type {obs.type.value!r} has no STIX SCO", field="type")
    return {"type": kind, "spec_version": "2.1", "id": stix_sco_id(obs), **sco_properties(obs)}


def _file_hashes(sco: dict[str, Any]) -> list[Pair]:
    """Every supported hash of a ``file``; a file with only a name or other hashes gives none."""
    hashes = sco.get("hashes", {})
    if not isinstance(hashes, dict):
        raise InvalidInput("'hashes' must be a dictionary", field="hashes")
    pairs = []
    for name, value in hashes.items():
        kind = hash_kind(name)
        if kind is None:  # SHA3-256, SSDEEP, TLSH...: no Phalanx kind (yet)
            continue
        if not isinstance(value, str) or not value:
            raise InvalidInput("hash values must be non-empty strings", field=f"hashes.{name}")
        pairs.append((kind, value))
    return pairs


def _required_string(sco: dict[str, Any], field: str) -> str:
    """Return ``sco[field]``, which the SCO's type requires to be a non-empty string."""
    value = sco.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{sco.get('type')} needs a non-empty string '{field}'", field=field)
    return value
