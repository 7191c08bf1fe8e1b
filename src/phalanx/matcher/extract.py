"""Free-text IOC extraction for prose lines in logs. PURE.

A small regular-expression extractor: good enough to find URLs, e-mail addresses, IP
addresses, hashes and domain names in a log message or an analyst's note, after undoing the
common defanging (``[.]``, ``hxxp``...). Candidates are validated by ``probes.py``; a
candidate that is not a valid value (``12:30:45`` as IPv6) is simply dropped.
"""

from __future__ import annotations

import re

from phalanx.observables.kinds import ObservableType as T

_DEFANGED = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|\[@\]|\[at\]|\(at\)", re.I)
_REFANGED = {"[:]": ":", "[@]": "@", "[at]": "@", "(at)": "@"}
_HXXP = re.compile(r"\bh(?:xx|\*\*|XX)p(s?)(?=://|\[://\])", re.I)
_IOC = re.compile(
    r"""
    (?P<url>\b[a-z][a-z0-9+.-]{1,15}://[^\s<>"'`]+)
  | (?P<email>\b[a-z0-9._%+-]+@(?:[a-z0-9_-]+\.)+[a-z][a-z0-9-]*\b)
  | (?P<ipv6>(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:]))
  | (?P<ipv4>\b(?:\d{1,3}\.){3}\d{1,3}\b)
  | (?P<hash>\b[0-9a-f]{32,128}\b)
  | (?P<domain>\b(?:[a-z0-9_-]+\.)+[a-z][a-z0-9-]*\b)
    """,
    re.I | re.X,
)
_KINDS = {"url": T.URL, "email": T.EMAIL, "ipv6": T.IPV6, "ipv4": T.IPV4, "hash": None}
_TRAILING = ".,;:!?)]}'\""


def refang(text: str) -> str:
    """Undo common defanging: ``[.]`` -> ``.``, ``hxxp`` -> ``http``, ``[@]`` -> ``@``..."""
    text = _HXXP.sub(lambda m: f"http{m.group(1)}", text).replace("[://]", "://")
    return _DEFANGED.sub(lambda m: _REFANGED.get(m.group(0).lower(), "."), text)


def extract_iocs(text: str) -> list[tuple[T | None, str]]:
    """Return (kind hint, value) for each IOC-looking token in ``text``, in order."""
    found: list[tuple[T | None, str]] = []
    for match in _IOC.finditer(refang(text)):
        group = match.lastgroup or "domain"
        value = match.group(0)
        if group == "url":
            value = value.rstrip(_TRAILING)
        found.append((_KINDS.get(group, T.DOMAIN), value))
    return found
