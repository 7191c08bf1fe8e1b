"""Acceptance corpus: snippets with personal data are redacted and reported; clean ones stay."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from phalanx.redaction import RedactionResult, RedactionRules, placeholder, redact

CORPUS = tomllib.loads(Path(__file__).with_name("corpus.toml").read_text(encoding="utf-8"))
RULES = RedactionRules(**{key: frozenset(value) for key, value in CORPUS["rules"].items()})


def _label(case: dict[str, Any]) -> str:
    return case["text"][:40]


def rebuild(original: str, result: RedactionResult) -> str:
    """Apply the report to the original text: must give the redacted text back."""
    parts, position = [], 0
    for item in result.redactions:
        parts += [original[position : item.start], placeholder(item.kind)]
        position = item.end
    return "".join([*parts, original[position:]])


def test_corpus_is_as_large_as_the_issue_asks() -> None:
    assert len(CORPUS["personal"]) >= 40
    assert len(CORPUS["clean"]) >= 20
    kinds = {kind for case in CORPUS["personal"] for kind in case["summary"]}
    assert kinds == {"email", "phone", "iban", "payment_card", "name", "internal_host"}


@pytest.mark.parametrize("case", CORPUS["personal"], ids=_label)
def test_personal_data_is_redacted_and_reported(case: dict[str, Any]) -> None:
    result = redact(case["text"], RULES)
    assert result.text == case["expected"]
    assert result.summary() == dict(sorted(case["summary"].items()))
    assert len(result.redactions) == sum(case["summary"].values())
    assert rebuild(case["text"], result) == result.text


@pytest.mark.parametrize("case", CORPUS["personal"], ids=_label)
def test_report_never_repeats_what_was_redacted(case: dict[str, Any]) -> None:
    result = redact(case["text"], RULES)
    for item in result.redactions:
        secret = case["text"][item.start : item.end]
        assert secret not in item.describe()
        assert secret not in repr(item)
        assert secret not in result.text


@pytest.mark.parametrize("case", CORPUS["clean"], ids=_label)
def test_text_without_personal_data_is_untouched(case: dict[str, Any]) -> None:
    result = redact(case["text"], RULES)
    assert result.text is case["text"]
    assert result.redactions == ()
    assert result.summary() == {}


@pytest.mark.parametrize("case", CORPUS["personal"], ids=_label)
def test_redacting_twice_changes_nothing(case: dict[str, Any]) -> None:
    once = redact(case["text"], RULES)
    twice = redact(once.text, RULES)
    assert twice.text is once.text
    assert twice.redactions == ()
