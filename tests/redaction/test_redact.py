"""redact(): placeholders, overlap merging, original offsets, idempotence, properties."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.redaction import Redaction, RedactionResult, RedactionRules, Span, placeholder, redact
from phalanx.redaction.redact import merge_spans

RULES = RedactionRules(
    personal_names=frozenset({"Anna Müller", "Anna", "Jean-Luc Picard", "Redacted"}),
    internal_domains=frozenset({"corp.acme.example"}),
    internal_host_prefixes=frozenset({"WS-"}),
)

# Pieces that detectors care about, to be glued together in every possible way.
FRAGMENTS = [
    "anna.mueller@acme.example", "j.doe[@]example[.]com", "+49 30 1234567", "030 1234567",
    "(555) 123-4567", "555-867-5309", "0044 20 7946 0958", "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000", "4111 1111 1111 1111", "378282246310005", "Anna Müller",
    "Müller, Anna", "Anna", "Jean-Luc Picard", "ws01.corp.acme.example", "WS-FIN-0231",
    "DESKTOP-4F1J2KQ", "185.220.101.4", "2024-03-29T14:22:01Z", "CVE-2024-3094", "T1071.001",
    "10.2.3", "Tel.", "call", "[REDACTED:email]", "[REDACTED:", "REDACTED", "0", "12", "+",
    "@", "[at]", "[.]", "(", ")", "-", ".", "/", " ", "\n", ":", ",", "x", "é", "ü",
]  # fmt: skip
GLUED = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
PII = [
    "anna.mueller@acme.example", "j.doe[@]example[.]com", "+49 30 1234567", "(555) 123-4567",
    "0044 20 7946 0958", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111", "Anna Müller",
    "ws01.corp.acme.example", "WS-FIN-0231",
]  # fmt: skip
CONTEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéß .,;:!?\n", max_size=40)


def rebuild(original: str, result: RedactionResult) -> str:
    """Apply the report to the original text: must give the redacted text back."""
    parts, position = [], 0
    for item in result.redactions:
        parts += [original[position : item.start], placeholder(item.kind)]
        position = item.end
    return "".join([*parts, original[position:]])


def test_text_without_findings_is_returned_as_the_same_object() -> None:
    text = "".join(["C2 at 185.220.101.4:443 since ", "2024-03-29"])  # a fresh string object
    assert redact(text, RULES).text is text


def test_report_offsets_point_into_the_original() -> None:
    text = "Mail anna.mueller@acme.example or call +49 30 1234567."
    result = redact(text, RULES)
    assert result.text == "Mail [REDACTED:email] or call [REDACTED:phone]."
    assert result.redactions == (Redaction("email", 5, 30, 25), Redaction("phone", 39, 53, 14))


def test_overlapping_findings_become_one_redaction_of_the_longest_kind() -> None:
    text = "login anna@ws01.corp.acme.example"
    result = redact(text, RULES)
    assert result.text == "login [REDACTED:email]"
    assert result.summary() == {"email": 1}


def test_a_finding_made_possible_by_a_placeholder_is_redacted_too() -> None:
    # "a+49..." is no phone number (a letter glued to it), but once "Anna" is a placeholder,
    # "]+49..." would be: the second round finds it, so redacting again changes nothing.
    result = redact("Anna+49 30 1234567", RULES)
    assert result.text == "[REDACTED:name][REDACTED:phone]"
    assert result.redactions == (Redaction("name", 0, 4, 4), Redaction("phone", 4, 18, 14))


def test_existing_placeholders_are_left_alone() -> None:
    text = "contact [REDACTED:email], Anna"
    result = redact(text, RULES)
    assert result.text == "contact [REDACTED:email], [REDACTED:name]"
    assert result.redactions == (Redaction("name", 26, 30, 4),)


def test_merge_spans_unions_overlaps_and_keeps_neighbours_apart() -> None:
    spans = [Span(0, 4, "name"), Span(2, 10, "email"), Span(8, 12, "phone"), Span(12, 14, "iban")]
    assert merge_spans(spans) == [Span(0, 12, "email"), Span(12, 14, "iban")]


def test_merge_spans_prefers_the_earliest_on_equal_length() -> None:
    assert merge_spans([Span(3, 6, "phone"), Span(0, 3, "iban"), Span(1, 4, "name")]) == [
        Span(0, 6, "iban")
    ]


@given(st.one_of(st.text(), GLUED))
@settings(max_examples=400)
def test_redacting_is_idempotent(text: str) -> None:
    once = redact(text, RULES)
    twice = redact(once.text, RULES)
    assert twice.text == once.text
    assert twice.redactions == ()


@given(st.one_of(st.text(), GLUED))
@settings(max_examples=400)
def test_only_the_reported_spans_change(text: str) -> None:
    result = redact(text, RULES)
    assert rebuild(text, result) == result.text
    ends = [0]
    for item in result.redactions:
        assert ends[-1] <= item.start < item.end <= len(text)
        ends.append(item.end)
    if not result.redactions:
        assert result.text is text


@given(CONTEXT, st.sampled_from(PII), CONTEXT)
def test_personal_data_between_words_never_survives(before: str, secret: str, after: str) -> None:
    result = redact(f"{before} {secret} {after}", RULES)
    assert secret not in result.text
    assert result.redactions


def test_adversarial_text_is_scanned_in_linear_time() -> None:
    # Each of these took minutes or seconds per 100 kB before the scan was made linear:
    # "a.a.a..." backtracked the e-mail local part from every dot, and every placeholder
    # was checked against every other.
    texts = [
        "a." * 25000,
        "a[.]" * 12500,
        "0 1 2 3 4 5 6 7 8 9 0 1, " * 2000,
        "Anna+49 30 1234567 " * 2500,
    ]
    started = time.perf_counter()
    for text in texts:
        redact(text, RULES)
    assert time.perf_counter() - started < 10  # about 0.5 s here; quadratic took minutes
