"""Personal names from the contributor's list: forms, case, accents, whole words, scale."""

from __future__ import annotations

import string

import pytest

from phalanx.redaction import RedactionRules
from phalanx.redaction.names import find_names, name_pattern

NAMES = RedactionRules(
    personal_names=frozenset(
        {"Anna Müller", "Jean-Luc Picard", "François Lefèvre", "Smith", "Jo Mueller"}
    )
)


def matched(rules: RedactionRules, text: str) -> list[str]:
    return [text[span.start : span.end] for span in find_names(text, rules)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna Müller called", ["Anna Müller"]),
        ("ANNA MÜLLER called", ["ANNA MÜLLER"]),
        ("anna mueller called", ["anna mueller"]),
        ("Anna Muller called", ["Anna Muller"]),
        ("Anna Mu\u0308ller called", ["Anna Mu\u0308ller"]),
        ("Anna\nMüller called", ["Anna\nMüller"]),
        ("Müller, Anna called", ["Müller, Anna"]),
        ("MÜLLER Anna called", ["MÜLLER Anna"]),
        ("Picard, Jean-Luc and Jean‑Luc Picard", ["Picard, Jean-Luc", "Jean‑Luc Picard"]),
        ("Francois Lefevre and FRANÇOIS LEFÈVRE", ["Francois Lefevre", "FRANÇOIS LEFÈVRE"]),
        ("Smith's laptop", ["Smith"]),
        ("Mr. SMITH.", ["SMITH"]),
        ("Smithfield, Goldsmith, Smith-Jones, Jones-Smith", []),
        ("Anna Müllerova and Joanna Müller", []),
        ("Anna and Müller separately", []),
        ("Müller", []),
    ],
)
def test_names_from_the_list_only_as_whole_words(text: str, expected: list[str]) -> None:
    assert matched(NAMES, text) == expected


def test_no_names_listed_means_no_names_found() -> None:
    assert list(find_names("Anna Müller", RedactionRules())) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jo Müller and JO MUELLER", ["Jo Müller", "JO MUELLER"]),  # listed as "Mueller"
        ("Jo Muller", []),  # the transliteration is not dropped to a bare "u"
    ],
)
def test_a_transliterated_listing_finds_the_umlaut(text: str, expected: list[str]) -> None:
    assert matched(NAMES, text) == expected


def test_a_full_name_wins_over_a_listed_first_name() -> None:
    rules = RedactionRules(personal_names=frozenset({"Anna", "Anna Müller", "Anna Müller-Lang"}))
    text = "Anna Müller-Lang, Anna Müller and Anna"
    assert matched(rules, text) == ["Anna Müller-Lang", "Anna Müller", "Anna"]


def test_hundreds_of_names_compile_into_one_pattern() -> None:
    letters = string.ascii_lowercase
    names = {f"Anna{a}{b} Berg{b}{a}" for a in letters for b in letters}
    rules = RedactionRules(personal_names=frozenset(names))
    assert len(rules.personal_names) == 676
    text = "seen by annaqz bergzq, not by Annaqz Bergqz"
    assert matched(rules, text) == ["annaqz bergzq"]
    assert name_pattern(rules.personal_names) is name_pattern(rules.personal_names)  # cached
