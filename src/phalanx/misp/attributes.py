"""MISP attribute types <-> Phalanx observable kinds (spec-notes §4.2). PURE.

Import: :func:`observables_of` turns one attribute into the (kind, value) pairs it names, or
raises :class:`Unmappable` saying why it names none. Composite types (``domain|ip``,
``filename|sha256``, ``ip-dst|port``...) give each part that is an observable; a file name or
a port is context and goes into the item's comment. ``kind`` None lets the normaliser tell
IPv4, IPv6 and CIDR apart (MISP's ``ip-src``/``ip-dst`` hold any of them).

Export: :data:`EXPORT_TYPES` names the MISP type and category of each kind (categories are
MISP's defaults from ``describeTypes.json``; the MISP tests check every pair is valid).
"""

from __future__ import annotations

from dataclasses import dataclass

from phalanx.observables.kinds import ObservableType

HASHES = ("md5", "sha1", "sha256", "sha512")
# Single-value types: MISP type -> Phalanx kind (None: detect IPv4 / IPv6 / CIDR).
_SINGLE: dict[str, str | None] = {
    "ip-src": None,
    "ip-dst": None,
    "domain": "domain",
    "hostname": "domain",
    "url": "url",
    "uri": "url",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "email-reply-to": "email",
    "whois-registrant-email": "email",
    "AS": "asn",
    "yara": "yara",
    "sigma": "sigma",
    "suricata": "suricata",
    # Suricata reads Snort 2 rule syntax; the Suricata check refuses what it cannot read.
    "snort": "suricata",
    "stix2-pattern": "stix-pattern",
    **{name: name for name in HASHES},
}
# Why common types that name no observable are left out (anything else: "no kind").
_CONTEXT_ONLY = {
    "text": "free text, not an observable",
    "comment": "a comment, not an observable",
    "link": "a reference link to a report, not an indicator",
    "other": "free text, not an observable",
    "filename": "a file name alone is context, not an observable Phalanx stores",
    "regkey": "Phalanx stores no registry keys",
    "regkey|value": "Phalanx stores no registry keys",
    "port": "a port alone is not an observable",
    "size-in-bytes": "a file size is context, not an observable",
    "target-email": "the address of a target (victim data), not an indicator",
    "target-user": "victim data, not an indicator",
    "target-machine": "victim data, not an indicator",
    "target-org": "victim data, not an indicator",
    "email-subject": "Phalanx stores no e-mail subjects",
    "user-agent": "Phalanx stores no user agents",
    "vulnerability": "a vulnerability id, not an observable",
    "ssdeep": "Phalanx stores md5, sha1, sha256 and sha512 hashes only",
    "tlsh": "Phalanx stores md5, sha1, sha256 and sha512 hashes only",
    "imphash": "an import hash does not identify a file; Phalanx stores file hashes only",
    "authentihash": "Phalanx stores md5, sha1, sha256 and sha512 hashes only",
    "attachment": "a file attachment, not an observable",
}
# Composite types: the index of each part that is an observable, with its kind.
_COMPOSITE: dict[str, tuple[tuple[int, str | None], ...]] = {
    "domain|ip": ((0, "domain"), (1, None)),
    "ip-src|port": ((0, None),),
    "ip-dst|port": ((0, None),),
    "hostname|port": ((0, "domain"),),
    "malware-sample": ((1, "md5"),),
    **{f"filename|{name}": ((1, name),) for name in HASHES},
}
# Mappable types whose ``to_ids`` defaults to false in MISP (describeTypes.json sane_defaults),
# the value MISP assumes when an attribute leaves ``to_ids`` out.
NOT_IDS_BY_DEFAULT = frozenset({"AS", "email-reply-to", "whois-registrant-email"})
# Objects whose hash attributes hash something other than a whole file.
_NOT_FILE_HASHES = {"pe-section": "a hash of one PE section, not of a file"}


class Unmappable(Exception):
    """An attribute that names no observable Phalanx stores; the message says why."""


@dataclass(frozen=True, slots=True)
class Found:
    """One observable an attribute names, and the context its other parts give."""

    kind: str | None
    value: str
    context: str | None = None


def observables_of(misp_type: str, value: str, *, object_name: str | None = None) -> list[Found]:
    """The observables one attribute names; raise Unmappable with the reason when none."""
    if misp_type in HASHES and object_name in _NOT_FILE_HASHES:
        raise Unmappable(_NOT_FILE_HASHES[object_name])
    if misp_type in _SINGLE:
        return [Found(_SINGLE[misp_type], value)]
    if misp_type in _COMPOSITE:
        return _composite(misp_type, value)
    if misp_type in _CONTEXT_ONLY:
        raise Unmappable(_CONTEXT_ONLY[misp_type])
    raise Unmappable(f"MISP type {misp_type!r} has no Phalanx observable kind")


def _composite(misp_type: str, value: str) -> list[Found]:
    parts = value.split("|")
    names = misp_type.split("|")
    if misp_type == "malware-sample":
        names = ["filename", "md5"]
    if len(parts) != len(names):
        raise Unmappable(f"a {misp_type} value needs {len(names)} parts separated by '|'")
    wanted = _COMPOSITE[misp_type]
    used = {index for index, _ in wanted}
    context = "; ".join(
        f"{names[i]}: {part.strip()}" for i, part in enumerate(parts) if i not in used and part
    )
    return [Found(kind, parts[index].strip(), context or None) for index, kind in wanted]


# Export: kind -> (MISP type, MISP category). IPs are destinations (what a control blocks).
EXPORT_TYPES: dict[ObservableType, tuple[str, str]] = {
    ObservableType.IPV4: ("ip-dst", "Network activity"),
    ObservableType.IPV6: ("ip-dst", "Network activity"),
    ObservableType.CIDR: ("ip-dst", "Network activity"),
    ObservableType.DOMAIN: ("domain", "Network activity"),
    ObservableType.URL: ("url", "Network activity"),
    ObservableType.EMAIL: ("email", "Payload delivery"),
    ObservableType.MD5: ("md5", "Payload delivery"),
    ObservableType.SHA1: ("sha1", "Payload delivery"),
    ObservableType.SHA256: ("sha256", "Payload delivery"),
    ObservableType.SHA512: ("sha512", "Payload delivery"),
    ObservableType.ASN: ("AS", "Network activity"),
    ObservableType.YARA: ("yara", "Payload installation"),
    ObservableType.SURICATA: ("suricata", "Network activity"),
    ObservableType.SIGMA: ("sigma", "Payload installation"),
    ObservableType.STIX_PATTERN: ("stix2-pattern", "Payload installation"),
}


def export_value(kind: ObservableType, value: str) -> str:
    """The MISP attribute value of a stored observable (``AS64500`` for an ASN)."""
    return f"AS{value}" if kind is ObservableType.ASN else value
