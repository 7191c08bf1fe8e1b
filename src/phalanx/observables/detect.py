"""Telling what kind of observable a bare value is. PURE.

Rule bodies are recognised on the raw text (they are never refanged); everything else after
screening and refanging. The order matters: a 64-character hex string is a SHA-256 before it
could be anything else, a dotted run of digits is an IPv4 attempt (so ``010.1.1.1`` gets the
leading-zero reason, not "numeric TLD"), and a host followed by a path is a URL written
without its scheme.
"""

from __future__ import annotations

import re

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable
from phalanx.observables.names import shorten
from phalanx.observables.reserved import REJECTED_TLDS

T = ObservableType
HASH_BY_LENGTH = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
HEX = re.compile(r"[0-9a-fA-F]+")
_ASN = re.compile(r"(?i:asn?\s?)?\d+(?:\.\d+)?")
_NUMERIC_DOTTED = re.compile(r"[0-9.]*\.[0-9.]*(?:/[0-9]*)?")
_IPV6 = re.compile(r"\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[^/\]\s]*)?\]?(?:/\d*)?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|(?i:javascript|vbscript|data|mailto|file):")
_SCHEMELESS_URL = re.compile(r"[^/?#@\s:]+\.[^/?#@\s:]+(?::\d+)?(?:[/?#]|:\d+$)")
_STIX = re.compile(
    r"\s*\(*\s*\[\s*[a-z0-9-]+:[A-Za-z0-9_]+[\w.'\[\]*-]*\s*"
    r"(?:=|!=|<|>|NOT\b|IN\b|LIKE\b|MATCHES\b|ISSUBSET\b|ISSUPERSET\b)"
)
_YARA = re.compile(
    r'(?m)^\s*(?:import\s+"|include\s+"|(?:(?:private|global)\s+)*rule\s+[A-Za-z_]\w*\s*[:{\n])'
)
_SURICATA = re.compile(
    r"(?m)^\s*(?:alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth|config)\s+[A-Za-z0-9:_-]+\s+"
    r"[^\n(]*(?:->|<>|=>)[^\n(]*\("
)
_SIGMA = re.compile(r"(?m)^detection\s*:")
_SIGMA_HEAD = re.compile(r"(?m)^(?:title|logsource)\s*:")


def detect_rule(value: str) -> ObservableType | None:
    """Return the rule kind of a raw rule body (YARA, Suricata, Sigma, STIX pattern), or None."""
    if " " not in value and "\n" not in value and "[" not in value:
        return None
    if _STIX.match(value):
        return T.STIX_PATTERN
    if _YARA.search(value):
        return T.YARA
    if _SURICATA.search(value):
        return T.SURICATA
    if _SIGMA.search(value) and _SIGMA_HEAD.search(value):
        return T.SIGMA
    return None


def detect_plain(text: str) -> tuple[ObservableType, str]:
    """Return the kind of a screened, refanged value, and the text to normalise as that kind.

    A URL without a scheme (``evil.example/path``) comes back with ``http://`` prepended.
    """
    kind = HASH_BY_LENGTH.get(len(text))
    if kind is not None and HEX.fullmatch(text):
        return kind, text
    if _ASN.fullmatch(text) and (text[:1].isalpha() or "." not in text):
        return T.ASN, text
    if _NUMERIC_DOTTED.fullmatch(text):
        return (T.CIDR if "/" in text else T.IPV4), text
    if _IPV6.fullmatch(text):
        return (T.CIDR if "/" in text else T.IPV6), text
    if _SCHEME.match(text):
        return T.URL, text
    if "@" in text:
        return T.EMAIL, text
    if _SCHEMELESS_URL.match(text):
        return T.URL, "http://" + text
    if "." in text or not text.isascii() or text.lower() in REJECTED_TLDS:
        return T.DOMAIN, text
    if HEX.fullmatch(text) and len(text) >= 16:
        raise InvalidObservable(
            f"{len(text)} hex characters is no hash length Phalanx knows (MD5 32, SHA-1 40,"
            " SHA-256 64, SHA-512 128)",
            value=text,
        )
    raise InvalidObservable(
        f"cannot tell what kind of observable {shorten(text, 40)!r} is; give its type", value=text
    )
