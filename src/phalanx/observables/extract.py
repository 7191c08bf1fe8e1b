"""Indicators in free text: threat reports, e-mails, chat, defanged or not. PURE.

:func:`extract_observables` refangs the prose (keeping a map to the author's offsets), finds
candidates kind by kind — URLs, e-mail addresses, IPv6, IPv4/CIDR, hashes, AS numbers, then
domains — and normalises each. A candidate that is plainly not an indicator (``5.1.2.600``,
``12:30:45``, ``invoice.pdf``) is dropped silently; one that *is* an indicator but is refused
(``10.0.0.5``, ``010.1.1.1``, ``printer.local``) comes back with its error, so the author learns
why. Results are in text order, one per canonical observable (first mention wins).

False positives are kept down by rules a reader would apply:

* a domain needs a delegated TLD (:mod:`tlds`) or a special-use one (RFC 6761, RFC 7686);
  ``e.g.``, ``i.e.`` and ``1.2.3`` have none;
* ``name.zip``, ``run.sh``, ``tool.py`` — two labels ending in a TLD that is also a common file
  extension — are file names unless the author defanged them (``evil[.]zip``);
* hosts inside an extracted URL or e-mail address are not emitted again as domains;
* a hash must be 32/40/64/128 hex characters with both letters and digits;
* rule bodies (YARA rules, Suricata rule lines, fenced ``yara``/``suricata``/``sigma`` blocks)
  are neither refanged nor mined: their strings are detection logic, not indicators.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

import idna

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable, Observable
from phalanx.observables.normalize import normalize
from phalanx.observables.refang import refang_text
from phalanx.observables.tlds import TLDS

T = ObservableType
SPECIAL_USE_TLDS = frozenset(
    {"example", "test", "invalid", "localhost", "local", "onion", "alt", "internal"}
)
# TLDs that are also everyday file extensions; ``name.<ext>`` is read as a file name.
FILE_EXTENSION_TLDS = frozenset(
    {"zip", "mov", "py", "sh", "pl", "pm", "ps", "md", "rs", "so", "cab", "java", "one", "cat"}
)
_HASH_KINDS = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}


@dataclass(frozen=True, slots=True)
class Extraction:
    """One candidate found in text: ``raw`` is ``text[start:end]`` as the author wrote it."""

    raw: str
    start: int
    end: int
    observable: Observable | None
    error: InvalidObservable | None


_URL = re.compile(r"(?i:\b(?:https?|ftps?|sftp|tftp|wss?|ldaps?|rmi|smb)://)[^\s<>\"'`{}|\\^]+")
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]*"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?"
    r"(?:%[\w.]+)?(?:/\d{1,3})?(?![\w:])"
)
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,3})?(?![\w/]|\.\d)")
_HASH = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,128}(?![0-9A-Za-z])")
_ASN = re.compile(r"(?<![\w-])ASN?\s?\d{1,10}(?![\w.])")
_DOMAIN = re.compile(
    r"(?<![\w@.\-/\\])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]{0,62}(?![\w-]|\.[^\W_])"
)
_URL_TRAILING = ".,;:!?'\""
_YARA_START = re.compile(
    r"(?m)^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+[A-Za-z_]\w*(?:[ \t]*:[ \t\w]+)?\s*\{"
)
_SURICATA_LINE = re.compile(
    r"(?m)^[ \t]*#?[ \t]*(?:alert|drop|pass|reject\w*)[ \t]+\S+[ \t]+[^\n]*\)[ \t]*$"
)
_FENCE = re.compile(r"(?ms)^[ \t]*```[ \t]*(?:yara|suricata|snort|sigma|yaml|yml)\b.*?^[ \t]*```")


def _closing_brace(text: str, opening: int) -> int:
    depth, quoted, index = 0, False, opening
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 2
                continue
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def rule_spans(text: str) -> list[tuple[int, int]]:
    """Return sorted, merged (start, end) spans of rule bodies in ``text``."""
    spans = [m.span() for m in _FENCE.finditer(text)]
    spans += [m.span() for m in _SURICATA_LINE.finditer(text)]
    spans += [(m.start(), _closing_brace(text, m.end() - 1)) for m in _YARA_START.finditer(text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _trim_url(candidate: str) -> str:
    while candidate and candidate[-1] in _URL_TRAILING + ")]":
        last = candidate[-1]
        if last == ")" and candidate.count("(") >= candidate.count(")"):
            break
        if last == "]" and candidate.count("[") >= candidate.count("]"):
            break
        candidate = candidate[:-1]
    return candidate


def _has_tld(name: str) -> bool:
    tld = name.rpartition(".")[2].lower()
    if not tld.isascii():
        try:
            tld = idna.encode(tld, uts46=True).decode("ascii")
        except idna.IDNAError:
            return False
    return tld in TLDS or tld in SPECIAL_USE_TLDS


def _is_ipv6(candidate: str) -> bool:
    address = candidate.partition("/")[0].partition("%")[0]
    if not any(c not in ":" for c in address):
        return False
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def _candidates(text: str) -> Iterator[tuple[int, int, str, ObservableType]]:
    """Yield (start, end, candidate, kind) in refanged ``text``, most specific kinds first."""
    for match in _URL.finditer(text):
        value = _trim_url(match.group(0))
        yield match.start(), match.start() + len(value), value, T.URL
    for match in _EMAIL.finditer(text):
        if _has_tld(match.group(0)):
            yield match.start(), match.end(), match.group(0), T.EMAIL
    for match in _IPV6.finditer(text):
        if _is_ipv6(match.group(0)):
            kind = T.CIDR if "/" in match.group(0) else T.IPV6
            yield match.start(), match.end(), match.group(0), kind
    for match in _IPV4.finditer(text):
        address = match.group(0).partition("/")[0]
        if all(int(part) <= 255 for part in address.split(".")):
            kind = T.CIDR if "/" in match.group(0) else T.IPV4
            yield match.start(), match.end(), match.group(0), kind
    for match in _HASH.finditer(text):
        value = match.group(0)
        hash_kind = _HASH_KINDS.get(len(value))
        if hash_kind and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            yield match.start(), match.end(), value, hash_kind
    for match in _ASN.finditer(text):
        yield match.start(), match.end(), match.group(0), T.ASN
    for match in _DOMAIN.finditer(text):
        if _has_tld(match.group(0)):
            yield match.start(), match.end(), match.group(0), T.DOMAIN


def _is_file_name(candidate: str, raw: str) -> bool:
    labels = candidate.lower().split(".")
    return len(labels) == 2 and labels[1] in FILE_EXTENSION_TLDS and raw == candidate


def _segment(text: str, offset: int) -> Iterator[Extraction]:
    refanged, starts, ends = refang_text(text)
    taken: list[tuple[int, int]] = []
    for begin, end, candidate, kind in _candidates(refanged):
        if end <= begin or any(begin < e and s < end for s, e in taken):
            continue
        start, stop = starts[begin], ends[end - 1]
        raw = text[start:stop]
        if kind is T.DOMAIN and _is_file_name(candidate, raw):
            continue
        taken.append((begin, end))
        try:
            found = Extraction(raw, offset + start, offset + stop, normalize(candidate, kind), None)
        except InvalidObservable as error:
            found = Extraction(raw, offset + start, offset + stop, None, error)
        yield found


def extract_observables(text: str) -> list[Extraction]:
    """Return indicator candidates in ``text`` in order, each normalised or with its error."""
    found: list[Extraction] = []
    position = 0
    for start, end in [*rule_spans(text), (len(text), len(text))]:
        if start > position:
            found.extend(_segment(text[position:start], position))
        position = max(position, end)
    found.sort(key=lambda item: item.start)
    seen: set[object] = set()
    unique: list[Extraction] = []
    for item in found:
        key: object = item.observable
        if key is None:
            key = (item.error.kind if item.error else None, item.raw.lower())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
