"""Detectors for bank account and payment card numbers: IBANs and card numbers. PURE.

IBANs follow the SWIFT IBAN registry (ISO 13616): a known country, that country's exact length
and BBAN structure. A checksum-valid IBAN is found in any letter case. An *IBAN-like* string,
one whose mod-97 checksum fails, is found too when it is upper case and otherwise well formed
(check digits 02-98): the issue asks for IBAN-like strings, and a mistyped or deliberately
altered account number still identifies a victim. Card numbers must pass the Luhn check, start
with a known network prefix, have that network's length and be either unbroken or grouped the
way cards are printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from phalanx.redaction.model import IBAN, PAYMENT_CARD, Span

# BBAN structure per country, in the registry's notation: n digits, a upper-case letters,
# c letters or digits. The IBAN adds four characters (country and check digits).
BBAN_FORMATS: dict[str, str] = {
    "AD": "8n12c", "AE": "19n", "AL": "8n16c", "AT": "16n", "AZ": "4a20c", "BA": "16n",
    "BE": "12n", "BG": "4a6n8c", "BH": "4a14c", "BR": "23n1a1c", "BY": "4c4n16c",
    "CH": "5n12c", "CR": "18n", "CY": "8n16c", "CZ": "20n", "DE": "18n", "DK": "14n",
    "DO": "4c20n", "EE": "16n", "EG": "25n", "ES": "20n", "FI": "14n", "FO": "14n",
    "FR": "10n11c2n", "GB": "4a14n", "GE": "2a16n", "GI": "4a15c", "GL": "14n",
    "GR": "7n16c", "GT": "24c", "HR": "17n", "HU": "24n", "IE": "4a14n", "IL": "19n",
    "IQ": "4a15n", "IS": "22n", "IT": "1a10n12c", "JO": "4a4n18c", "KW": "4a22c",
    "KZ": "3n13c", "LB": "4n20c", "LC": "4a24c", "LI": "5n12c", "LT": "16n", "LU": "3n13c",
    "LV": "4a13c", "LY": "21n", "MC": "10n11c2n", "MD": "20c", "ME": "18n", "MK": "3n10c2n",
    "MR": "23n", "MT": "4a5n18c", "MU": "4a19n3a", "NL": "4a10n", "NO": "11n",
    "PK": "4a16c", "PL": "24n", "PS": "4a21c", "PT": "21n", "QA": "4a21c", "RO": "4a16c",
    "RS": "18n", "SA": "2n18c", "SC": "4a20n3a", "SD": "14n", "SE": "20n", "SI": "15n",
    "SK": "20n", "SM": "1a10n12c", "ST": "21n", "SV": "4a20n", "TL": "19n", "TN": "20n",
    "TR": "6n16c", "UA": "6n19c", "VA": "18n", "VG": "4a16n", "XK": "16n",
}  # fmt: skip
_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_BBAN_PATTERNS: dict[str, re.Pattern[str]] = {
    country: re.compile(
        "".join(f"{_CLASSES[kind]}{{{count}}}" for count, kind in re.findall(r"(\d+)(\w)", fmt))
    )
    for country, fmt in BBAN_FORMATS.items()
}
_BBAN_LENGTHS = {c: sum(int(n) for n in re.findall(r"\d+", f)) for c, f in BBAN_FORMATS.items()}
_IBAN_START = re.compile(r"(?<!\w)([A-Za-z]{2})([0-9]{2})")
_IBAN_GAP = frozenset(" \u00a0")

_CARD = re.compile(
    r"(?<![\w.+/-])(?:"
    r"(?P<plain>\d{13,19})"
    r"|(?P<four>\d{4}(?P<s1>[ -])\d{4}(?P=s1)\d{4}(?P=s1)\d{4})(?P<tail>(?P=s1)\d{1,3})?"
    r"|(?P<amex>\d{4}(?P<s2>[ -])\d{6}(?P=s2)\d{4,5})"
    r")(?!\w|[.,/-]\d)"
)


def iban_checksum_ok(compact: str) -> bool:
    """Tell whether an IBAN without spaces passes the ISO 7064 mod 97-10 check."""
    rotated = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rotated)
    return int(digits) % 97 == 1


def find_ibans(text: str) -> Iterator[Span]:
    """Yield IBANs and IBAN-like strings, compact or printed in groups."""
    for match in _IBAN_START.finditer(text):
        length = _BBAN_LENGTHS.get(match.group(1).upper())
        if length is None:
            continue
        end = _take_bban(text, match.end(), length)
        if end is None:
            continue
        raw = text[match.start() : end]
        if _is_iban(raw.replace(" ", "").replace("\u00a0", "")):
            yield Span(match.start(), end, IBAN)


def _take_bban(text: str, pos: int, length: int) -> int | None:
    """Return where a BBAN of `length` characters, single spaces allowed, ends at a boundary."""
    taken = 0
    while taken < length and pos < len(text):
        char = text[pos]
        if char in _IBAN_GAP and pos + 1 < len(text) and text[pos + 1].isalnum():
            pos += 1
            continue
        if not (char.isascii() and char.isalnum()):
            return None
        taken += 1
        pos += 1
    if taken < length or (pos < len(text) and (text[pos].isalnum() or text[pos] == "_")):
        return None
    return pos


def _is_iban(compact: str) -> bool:
    """Tell whether a compact candidate is an IBAN, or upper-case and IBAN-like."""
    country, check, bban = compact[:2].upper(), compact[2:4], compact[4:]
    if not _BBAN_PATTERNS[country].fullmatch(bban.upper()):
        return False
    if iban_checksum_ok(compact.upper()):
        return True
    return compact.isupper() and 2 <= int(check) <= 98


def luhn_ok(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_network_ok(digits: str) -> bool:
    """Tell whether the prefix and length are those of a card network (Visa, Mastercard...)."""
    length, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (13, 16, 19)
    if two in (34, 37):  # American Express
        return length == 15
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if two in (36, 38, 39) or 300 <= four // 10 <= 305:  # Diners Club
        return 14 <= length <= 19
    if 3528 <= four <= 3589 or digits[0] in "56":  # JCB, Discover, UnionPay, Maestro
        return 16 <= length <= 19
    return False


def find_payment_cards(text: str) -> Iterator[Span]:
    """Yield Luhn-valid card numbers of a known network, unbroken or printed in groups."""
    for match in _CARD.finditer(text):
        group = "plain" if match.group("plain") else "four" if match.group("four") else "amex"
        start, end = match.start(), match.end(group)
        if match.group("tail") and _is_card(match.group(0)):
            end = match.end()
        if _is_card(text[start:end]):
            yield Span(start, end, PAYMENT_CARD)


def _is_card(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    return card_network_ok(digits) and luhn_ok(digits)
