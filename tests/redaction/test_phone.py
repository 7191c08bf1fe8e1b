"""Phone numbers: the shapes that count, and the many numbers in intel that must not."""

from __future__ import annotations

import pytest

from phalanx.redaction.phone import find_phones


def found(text: str) -> list[str]:
    return [text[span.start : span.end] for span in find_phones(text)]


@pytest.mark.parametrize(
    "number",
    [
        "+49 30 1234567",
        "+49 (0)30 1234567",
        "+49(0)30-1234567",
        "+49-30-1234567",
        "+4930123456",
        "+1 (555) 123-4567",
        "+1 212 555 0147",
        "+44 20 7946 0958",
        "+33 1 23 45 67 89",
        "+33.1.23.45.67.89",
        "(+49) 30 1234567",
        "0044 20 7946 0958",
        "00 33 1 23 45 67 89",
        "030 1234567",
        "030/1234567",
        "030/123456-78",
        "(030) 123 456 78",
        "030 - 1234567",
        "0171 2345678",
        "06 12 34 56 78",
        "06-12-34-56-78",
        "01.23.45.67.89",
        "020 7946 0958",
        "(555) 123-4567",
        "(555) 123 4567",
        "555-867-5309",
        "555.867.5309",
        "1-800-555-0199",
    ],
)
def test_phone_numbers_in_their_usual_shapes(number: str) -> None:
    assert found(f"reach her at {number}.") == [number]
    assert found(f"{number}") == [number]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tel.: 03012345678", ["03012345678"]),
        ("Tel:030 1234567", ["030 1234567"]),
        ("phone 555 867 5309", ["555 867 5309"]),
        ("called him on 0301234567 twice", ["0301234567"]),
        ("téléphone : 0612345678", ["0612345678"]),
        ("phone=+4930123456", ["+4930123456"]),
        ("030 1234567 / 0171 2345678", ["030 1234567", "0171 2345678"]),
        ("ticket 4711 030 1234567", ["030 1234567"]),
        ("01.02.2024 0171 2345678", ["0171 2345678"]),
        ("call 030 1234567, 555-867-5309", ["030 1234567", "555-867-5309"]),
    ],
)
def test_phone_numbers_in_context(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "03012345678",  # unseparated without a phone word
        "00123456789",  # zero-padded counter
        "1711722121",  # epoch seconds
        "sequence number 0301234567",  # "number" alone is no phone word
        "Tel. 4711 (ticket)",
        "192.168.100.200",
        "010.012.013.014",
        "10.0.0.1:8080",
        "10.0.19045.3693",
        "0.9.2342.19200300.100.1.1",
        "v0.10.12.1234",
        "2024-03-29",
        "29.03.2024",
        "03/29/2024 14:22",
        "01-02-2024 1430",
        "2024-03-29T14:22:01+00:00",
        "14:22:01.123456",
        "UTC+01:00",
        "+100 points",
        "+5 %",
        "CVE-2024-3094",
        "T1071.001",
        "KB5023707",
        "S-1-5-21-3623811015-3361044348-30300820-1013",
        "00-11-22-33-44-55",
        "00 11 22 33 44 55 66 77",
        "port 4444",
        "ports 8080 8443 9001",
        "1.234.567,89",
        "978-3-16-148410-0",
        "123-456-7890",  # NANP area codes never start with 1
        "555 867 5309",  # spaced NANP needs a phone word
        "2001:0db8:0000:0042:0000:8a2e:0370:7334",
        "hxxps://evil.example/0301234567/x",
        "id=0301234567",
        "0301234567@s.whatsapp.net",
        "030 1234567.5",
        "(030 1234567",
        "+0 30 1234567",
        "+49 30 1234567890123",  # more than 15 digits
        "0 30 1234567",  # a one-digit group in a national number
    ],
)
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert found(text) == []
