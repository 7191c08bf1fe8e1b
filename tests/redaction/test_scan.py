"""Detectors for e-mail addresses and internal hosts; scan() as a whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.redaction import RedactionRules, Span, scan
from phalanx.redaction.scan import _emails, find_emails, find_internal_hosts

HOSTS = RedactionRules(
    internal_domains=frozenset({"corp.acme.example", "corp"}),
    internal_host_prefixes=frozenset({"WS-", "SRV"}),
)


def matched(spans: object, text: str) -> list[str]:
    return [text[span.start : span.end] for span in spans]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "address",
    [
        "anna.mueller@acme.example",
        "a+tag@sub.acme.example",
        "ANNA_M-1@ACME.EXAMPLE",
        "jürgen@bücher.example",
        "user@example.co.uk",
        "j.doe[@]example[.]com",
        "j[.]doe(@)example(.)com",
        "john{at}example{dot}com",
        "john [at] example [dot] com",
        "john[at]example[.]com",
        "0301234567@s.whatsapp.net",
        "john@example.c0m",
    ],
)
def test_email_addresses_plain_and_defanged(address: str) -> None:
    text = f"Reply-To: <{address}>, see headers."
    assert matched(find_emails(text), text) == [address]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail hostmaster@acme.example.", ["hostmaster@acme.example"]),
        ("write to...john@acme.example", ["john@acme.example"]),
        ("a.b..c@acme.example", ["c@acme.example"]),
        ("https://x.example/login?user=john@acme.example&x=1", ["john@acme.example"]),
        ("git@github.com:org/repo.git", ["git@github.com"]),
        ("lodash@4.17.21 and event-stream@3.3.6", []),
        ("medium.com/@johndoe and @johndoe", []),
        ("john at example dot com", []),
        ("user@localhost", []),
        ("@acme.example", []),
    ],
)
def test_email_edges(text: str, expected: list[str]) -> None:
    assert matched(find_emails(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beacon from ws01.corp.acme.example", ["ws01.corp.acme.example"]),
        ("the domain corp.acme.example itself", ["corp.acme.example"]),
        ("FQDN WS01.CORP.ACME.EXAMPLE. in DNS", ["WS01.CORP.ACME.EXAMPLE"]),
        ("ws01[.]corp[.]acme[.]example", ["ws01[.]corp[.]acme[.]example"]),
        ("https://intranet.corp.acme.example:8443/x", ["intranet.corp.acme.example"]),
        (r"\\fs01.corp.acme.example\share", ["fs01.corp.acme.example"]),
        ("dc01.corp and dc02.CORP", ["dc01.corp", "dc02.CORP"]),
        ("lookalike corp.acme.example.evil.net", []),
        ("evilcorp.acme.example and notcorp", []),
        ("hosts WS-FIN-0231, srv02 and SRV-DC01", ["WS-FIN-0231", "srv02", "SRV-DC01"]),
        ("the WS-TEAM group and SRVLOC", []),
        ("xWS-01 and WS-01.evil.net", ["WS-01"]),
        ("DESKTOP-4F1J2KQ LAPTOP-9QX2M7B1 WIN-3K7PQ2M9ZAB", None),
        ("DESKTOP-SHARING DESKTOP-4F1J2K desktop-4f1j2kq WIN-INSTALLERS", []),
    ],
)
def test_internal_hosts(text: str, expected: list[str] | None) -> None:
    assert matched(find_internal_hosts(text, HOSTS), text) == (
        text.split() if expected is None else expected
    )


def test_windows_default_names_need_no_rules() -> None:
    text = "seen on DESKTOP-4F1J2KQ"
    assert list(find_internal_hosts(text, RedactionRules())) == [Span(8, 23, "internal_host")]


def test_scan_reports_every_detector_in_order() -> None:
    rules = RedactionRules(
        personal_names=frozenset({"Anna Müller"}),
        internal_domains=frozenset({"corp.acme.example"}),
    )
    text = "Anna Müller <anna@corp.acme.example>, +49 30 1234567, DE89370400440532013000"
    assert [(span.kind, text[span.start : span.end]) for span in scan(text, rules)] == [
        ("name", "Anna Müller"),
        ("email", "anna@corp.acme.example"),
        ("internal_host", "corp.acme.example"),
        ("phone", "+49 30 1234567"),
        ("iban", "DE89370400440532013000"),
    ]


def test_scan_ignores_findings_inside_placeholders() -> None:
    rules = RedactionRules(personal_names=frozenset({"Redacted", "Email", "Anna"}))
    text = "[REDACTED:email][REDACTED:name] and Anna"
    assert scan(text, rules) == (Span(36, 40, "name"),)


# Texts made of what addresses, defanged "@"s and their near misses are made of.
_EMAIL_PIECES = (
    *("jo", "A.b", "ex", "mail", "c0m", "com", "ü", "1", "-", "_", " ", ".", "[.]", "(.)"),
    *("{dot}", "@", "[@]", "(@)", "{@}", "[at]", "(at)", "{AT}", " [at] ", "at", "[a]", "(t)"),
)
_EMAILISH = st.lists(st.sampled_from(_EMAIL_PIECES), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_EMAILISH)
def test_the_cheap_email_check_never_hides_an_address(text: str) -> None:
    assert list(find_emails(text)) == list(_emails(text))
