"""IBAN and payment card detectors: checksums, registry structure, printed groupings."""

from __future__ import annotations

import pytest

from phalanx.redaction.banking import (
    BBAN_FORMATS,
    card_network_ok,
    find_ibans,
    find_payment_cards,
    iban_checksum_ok,
    luhn_ok,
)
from phalanx.redaction.model import Span

# Example IBANs printed in the SWIFT IBAN registry, one per listed country where known.
REGISTRY_EXAMPLES = [
    "AD1200012030200359100100", "AE070331234567890123456", "AL47212110090000000235698741",
    "AT611904300234573201", "AZ21NABZ00000000137010001944", "BA391290079401028494",
    "BE68539007547034", "BG80BNBG96611020345678", "BH67BMAG00001299123456",
    "BR1800360305000010009795493C1", "BY13NBRB3600900000002Z00AB00", "CH9300762011623852957",
    "CR05015202001026284066", "CY17002001280000001200527600", "CZ6508000000192000145399",
    "DE89370400440532013000", "DK5000400440116243", "DO28BAGR00000001212453611324",
    "EE382200221020145685", "ES9121000418450200051332", "FI2112345600000785",
    "FO6264600001631634", "FR1420041010050500013M02606", "GB29NWBK60161331926819",
    "GE29NB0000000101904917", "GI75NWBK000000007099453", "GL8964710001000206",
    "GR1601101250000000012300695", "GT82TRAJ01020000001210029690", "HR1210010051863000160",
    "HU42117730161111101800000000", "IE29AIBK93115212345678", "IL620108000000099999999",
    "IQ98NBIQ850123456789012", "IS140159260076545510730339", "IT60X0542811101000000123456",
    "JO94CBJO0010000000000131000302", "KW81CBKU0000000000001234560101", "KZ86125KZT5004100100",
    "LB62099900000001001901229114", "LC55HEMM000100010012001200023015", "LI21088100002324013AA",
    "LT121000011101001000", "LU280019400644750000", "LV80BANK0000435195001",
    "MC5811222000010123456789030", "MD24AG000225100013104168", "ME25505000012345678951",
    "MK07250120000058984", "MR1300020001010000123456753", "MT84MALT011000012345MTLCAST001S",
    "MU17BOMM0101101030300200000MUR", "NL91ABNA0417164300", "NO9386011117947",
    "PK36SCBL0000001123456702", "PL61109010140000071219812874", "PS92PALS000000000400123456702",
    "PT50000201231234567890154", "QA58DOHB00001234567890ABCDEFG", "RO49AAAA1B31007593840000",
    "RS35260005601001611379", "SA0380000000608010167519", "SC18SSCB11010000000000001497USD",
    "SE4550000000058398257466", "SI56263300012039086", "SK3112000000198742637541",
    "SM86U0322509800000000270100", "ST32000200010192194210112", "SV62CENR00000000000000700025",
    "TL380080012345678910157", "TN5910006035183598478831", "TR330006100519786457841326",
    "UA213223130000026007233566001", "VG96VPVG0000012345678901", "XK051212012345678906",
]  # fmt: skip


def spans(found: object) -> list[tuple[int, int]]:
    return [(span.start, span.end) for span in found]  # type: ignore[attr-defined]


@pytest.mark.parametrize("iban", REGISTRY_EXAMPLES)
def test_registry_examples_are_found_compact_and_printed(iban: str) -> None:
    assert iban_checksum_ok(iban)
    printed = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    for form in (iban, printed, iban.lower()):
        text = f"to {form}, urgently"
        assert list(find_ibans(text)) == [Span(3, 3 + len(form), "iban")]


def test_every_registry_example_has_a_format_and_every_format_an_example() -> None:
    assert {iban[:2] for iban in REGISTRY_EXAMPLES} <= set(BBAN_FORMATS)
    assert len(BBAN_FORMATS) - len(REGISTRY_EXAMPLES) == 4  # EG, LY, SD, VA: newer entries


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("DE12370400440532013000", [(0, 22)]),  # upper case, bad checksum: IBAN-like
        ("de12370400440532013000", []),  # lower case and bad checksum: not flagged
        ("DE00370400440532013000", []),  # check digits 00 never occur
        ("DE99370400440532013000", []),  # nor 99
        ("DE8937040044053201300", []),  # one digit short
        ("DE893704004405320130001", []),  # one digit long
        ("DE89370400440532O13000", []),  # letter O in an all-digit BBAN
        ("GB29NWBK6016133192681", []),  # GB needs 14 digits after the bank code
        ("GB291WBK60161331926819", []),  # GB bank code is letters
        ("XX89370400440532013000", []),  # no such country
        ("ADE89370400440532013000", []),  # glued to a word
        ("DE89 3704 0044 0532 0130 00 12", [(0, 27)]),  # the next number is not swallowed
        ("DE89  3704 0044 0532 0130 00", []),  # double space breaks it
        ("be12f3a4c5d6e7f8", []),  # 16 hex characters, like a truncated hash
        ("BE68539007547034abc", []),
        ("IBAN: BE68 5390 0754 7034.", [(6, 25)]),
    ],
)
def test_iban_edges(text: str, found: list[tuple[int, int]]) -> None:
    assert spans(find_ibans(text)) == found


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("79927398713", True),
        ("0", True),
        ("18", True),
        ("19", False),
    ],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),
        ("4222222222222", True),  # 13-digit Visa
        ("41111111111111", False),  # Visa has no 14-digit numbers
        ("378282246310005", True),
        ("3782822463100050", False),  # Amex is 15 digits
        ("5555555555554444", True),
        ("2223003122003222", True),  # Mastercard 2-series
        ("30569309025904", True),  # Diners
        ("3530111333300000", True),  # JCB
        ("6011111111111117", True),  # Discover
        ("1234567890123452", False),  # no network starts with 1
        ("9111111111111111", False),
    ],
)
def test_card_networks(digits: str, ok: bool) -> None:
    assert card_network_ok(digits) is ok


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("card 4111111111111111.", [(5, 21)]),
        ("card 4111 1111 1111 1111 exp 12/26", [(5, 24)]),
        ("card 4111-1111-1111-1111", [(5, 24)]),
        ("4111 1111 1111 1111 123", [(0, 19)]),  # a CVV after the number stays outside
        ("6011 0009 9013 9424 124", [(0, 23)]),  # unless all 19 digits are the number
        ("amex 3782 822463 10005", [(5, 22)]),
        ("4111 1111-1111 1111", []),  # mixed separators
        ("4111111111111112", []),  # Luhn fails
        ("41111111111111110000", []),  # 20 digits
        ("id-4111111111111111", []),
        ("x4111111111111111", []),
        ("4111111111111111.5", []),
        ("1711722121000000", []),  # a microsecond timestamp
    ],
)
def test_payment_card_edges(text: str, found: list[tuple[int, int]]) -> None:
    assert spans(find_payment_cards(text)) == found
