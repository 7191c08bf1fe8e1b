"""Detector for phone numbers in international, European national and NANP notation. PURE.

Numbers are everywhere in threat intelligence, so a run of digits is a phone number only in
one of these shapes (every one bounded by characters that cannot continue a number):

* international: ``+`` and 8-15 digits (``+49 30 1234567``, ``+1 (555) 123-4567``,
  ``+49 (0)30 1234567``), or ``00``, a country code and 8-15 digits with separators;
* national with a trunk ``0``: 9-12 digits in groups of two or more (``030 1234567``,
  ``(030) 123 456-78``, ``06 12 34 56 78``, ``020 7946 0958``);
* NANP (area code 2-9xx): ``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``,
  ``1-800-555-0199``.

Digits without separators, and NANP numbers separated by spaces only, count only after a
phone word ("Tel.", "phone", "mobile", "call"...). Dots separate only the French ``01.23.45.67.89``
and NANP shapes, so IPv4 addresses, versions and OIDs never qualify. Dates (with or without a
time after them), MAC addresses and hex dumps (six or more two-digit groups) are ruled out.
When a run of space-separated groups is no number as a whole, its longest sub-run that is one
wins (``ticket 4711 030 1234567`` redacts the last two groups only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from phalanx.redaction.model import PHONE, Span

_SEP = r"(?:[ \u00a0]?[-./][ \u00a0]?|[ \u00a0]|[ \u00a0]?\(|\)[ \u00a0]?[-.]?[ \u00a0]?)"
_CANDIDATE = re.compile(rf"(?:\(\+?|\+)?\d+(?:{_SEP}\d+)*")
_KEYWORD = re.compile(
    r"\b(?:tel|tél|phone|telephone|téléphone|telefon|telefonnummer|rufnummer|mobile?|mobil|mob"
    r"|cell|cellphone|fax|handy|portable|sms|whatsapp|call(?:ed|ing)?|anrufen|appel(?:er|ez)?"
    r"|joignable)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\(?(?:\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d\d|(?:19|20)\d\d[-./]\d{1,2}[-./]\d{1,2})(?!\d)"
)
_DOTTED_OK = re.compile(r"0\d(?:\.\d\d){4}|(?:1\.)?[2-9]\d\d\.\d{3}\.\d{4}")
_NANP = re.compile(
    r"\([2-9]\d\d\)[ \u00a0]?\d{3}[-. \u00a0]\d{4}"
    r"|(?:1-)?[2-9]\d\d-\d{3}-\d{4}"
    r"|(?:1\.)?[2-9]\d\d\.\d{3}\.\d{4}"
)
_NANP_SPACED = re.compile(r"(?:1 )?[2-9]\d\d \d{3} \d{4}")
_MIN_DIGITS = 8  # no phone number has fewer digits (is_phone)
_ENOUGH_DIGITS = re.compile(rf"\d(?:\D*\d){{{_MIN_DIGITS - 1}}}")
_BAD_BEFORE = frozenset("+-.,/#@&%\\$€£=_")
_BAD_AFTER = frozenset("@%_")
_JOINERS = frozenset(".,:/-")
_WINDOW = 32
_MAX_CHUNKS = 12  # longer runs of numbers are tables, not prose: taken whole or not at all
_MAX_PHONE_CHUNKS = 8  # "00 33 1 23 45 67 89" is seven


def find_phones(text: str) -> Iterator[Span]:
    """Yield phone numbers, see the module docstring for the shapes that count."""
    if not _ENOUGH_DIGITS.search(text):
        return
    for match in _CANDIDATE.finditer(text):
        raw = match.group(0)
        # Too short to hold enough digits: a hash's hex text is dozens of such candidates.
        if len(raw) < _MIN_DIGITS or _looks_like_dump(raw):
            continue
        chunks = [
            (match.start() + chunk.start(), match.start() + chunk.end())
            for chunk in re.finditer(r"\S+", raw)
            if any(char.isdigit() for char in chunk.group(0))
        ]
        if len(chunks) > _MAX_CHUNKS:
            if is_phone(text, match.start(), match.end()):
                yield Span(match.start(), match.end(), PHONE)
            continue
        yield from _search(text, chunks)


def _search(text: str, chunks: list[tuple[int, int]]) -> list[Span]:
    """Return the longest, then leftmost, runs of chunks that are phone numbers."""
    for size in range(min(len(chunks), _MAX_PHONE_CHUNKS), 0, -1):
        for first in range(len(chunks) - size + 1):
            start, end = chunks[first][0], chunks[first + size - 1][1]
            if is_phone(text, start, end):
                before = _search(text, chunks[:first])
                after = _search(text, chunks[first + size :])
                return [*before, Span(start, end, PHONE), *after]
    return []


def is_phone(text: str, start: int, end: int) -> bool:
    """Tell whether text[start:end] is a phone number in its context."""
    raw = text[start:end]
    groups = re.findall(r"\d+", raw)
    digits = "".join(groups)
    if not _MIN_DIGITS <= len(digits) <= 17 or raw.count("(") != raw.count(")"):
        return False
    if not _bounded(text, start, end, raw) or _DATE.match(raw):
        return False
    if "." in raw and not raw.startswith("+") and not _dotted_ok(raw):
        return False
    explicit = len(groups) > 1 or _after_keyword(text, start)
    if raw.lstrip("(").startswith("+"):
        trunk = 1 if "(0)" in raw.replace(" ", "") else 0
        return digits[0] != "0" and 8 <= len(digits) - trunk <= 15
    if digits.startswith("00"):
        return explicit and digits[2:3] not in ("", "0") and 10 <= len(digits) <= 17
    if digits.startswith("0"):
        return explicit and 9 <= len(digits) <= 12 and all(len(g) >= 2 for g in groups)
    if _NANP.fullmatch(raw):
        return True
    return bool(_NANP_SPACED.fullmatch(raw)) and _after_keyword(text, start)


def _bounded(text: str, start: int, end: int, raw: str) -> bool:
    """Tell whether the characters around the candidate cannot continue a number."""
    if start:
        before = text[start - 1]
        if before.isalnum() or (before in _BAD_BEFORE and not (before == "=" and raw[0] == "+")):
            return False
        # "Tel:030 1234567" is a number; "12:030 ..." and "2001:0db8 ..." are not.
        if before == ":" and start >= 2 and text[start - 2].isdigit():
            return False
    if end < len(text):
        after = text[end]
        if after.isalnum() or after in _BAD_AFTER:
            return False
        if after in _JOINERS and end + 1 < len(text) and text[end + 1].isalnum():
            return False
    return True


def _dotted_ok(raw: str) -> bool:
    return bool(_DOTTED_OK.fullmatch(raw))


def _looks_like_dump(raw: str) -> bool:
    """Tell whether a run is six or more two-digit groups: a MAC address or a hex dump."""
    groups = re.findall(r"\d+", raw)
    return len(groups) >= 6 and all(len(group) == 2 for group in groups)


def _after_keyword(text: str, start: int) -> bool:
    """Tell whether a phone word closely precedes the candidate, with no digits in between."""
    window = text[max(0, start - _WINDOW) : start]
    matches = list(_KEYWORD.finditer(window))
    return bool(matches) and not any(char.isdigit() for char in window[matches[-1].end() :])
