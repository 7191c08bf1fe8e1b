"""Detector for the personal names a contributor lists. PURE.

Each listed name ("Anna Müller") is found as whole words in three orders: "Anna Müller",
"Müller, Anna" and "Müller Anna"; in any letter case; with or without accents ("Muller"), in
German transliteration ("Mueller", and "Müller" for a listed "Mueller"), composed or decomposed.
A surname alone is not found unless it is listed on its own.

All forms of all names are compiled into one regular expression shaped as a trie, so that a
list of hundreds of names costs about as much per character of text as a list of one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from phalanx.redaction.model import NAME, RedactionRules, Span

_DIGRAPHS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
_UMLAUTS = {digraph: letter for letter, digraph in _DIGRAPHS.items()}
_SPACE = r"\s+"
_COMMA = r"\s*,\s*"

# A trie of pattern units; the empty key marks the end of a form.
_Trie = dict[str, "_Trie"]


def find_names(text: str, rules: RedactionRules) -> Iterator[Span]:
    """Yield the personal names of the rules, as whole words in any case or accent form."""
    pattern = name_pattern(rules.personal_names)
    if pattern is not None:
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), NAME)


@lru_cache(maxsize=64)
def name_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    """Compile one pattern for normalised names: "First Last", "Last, First", "Last First"."""
    trie: _Trie = {}
    for name in names:
        tokens = [_token_units(token) for token in name.split(" ")]
        _insert(trie, _joined(tokens, _SPACE))
        if len(tokens) > 1:
            rest = _joined(tokens[:-1], _SPACE)
            _insert(trie, [*tokens[-1], _COMMA, *rest])
            _insert(trie, [*tokens[-1], _SPACE, *rest])
    if not trie:
        return None
    return re.compile(rf"(?<![\w-]){_emit(trie)}(?!\w|-\w)", re.IGNORECASE)


def _joined(tokens: list[list[str]], separator: str) -> list[str]:
    units = list(tokens[0])
    for token in tokens[1:]:
        units += [separator, *token]
    return units


def _insert(trie: _Trie, units: list[str]) -> None:
    node = trie
    for unit in units:
        node = node.setdefault(unit, {})
    node[""] = {}


def _emit(node: _Trie) -> str:
    """Write a trie as a pattern; longer forms are tried before a form that ends here."""
    branches = [unit + _emit(child) for unit, child in sorted(node.items()) if unit]
    if "" in node:
        branches.append("")
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _token_units(token: str) -> list[str]:
    """Return one pattern unit per letter of a name token (a digraph is one unit)."""
    units: list[str] = []
    position = 0
    while position < len(token):
        pair = token[position : position + 2].lower()
        if pair in _UMLAUTS:
            umlaut = _UMLAUTS[pair]
            units.append(_alternatives({pair, umlaut, unicodedata.normalize("NFD", umlaut)}))
            position += 2
            continue
        units.append(_alternatives(_letter_forms(token[position].lower())))
        position += 1
    return units


def _letter_forms(letter: str) -> set[str]:
    """Return how a letter may be written: as is, decomposed, without accent, transliterated."""
    if letter in "-‐‑":
        return {"-", "‐", "‑"}
    if letter in "'’":
        return {"'", "’"}
    forms = {letter}
    decomposed = unicodedata.normalize("NFD", letter)
    if len(decomposed) > 1 and all(unicodedata.combining(mark) for mark in decomposed[1:]):
        forms |= {decomposed, decomposed[0]}
    if letter in _DIGRAPHS:
        forms.add(_DIGRAPHS[letter])
    return forms


def _alternatives(forms: set[str]) -> str:
    if len(forms) == 1:
        return re.escape(next(iter(forms)))
    ordered = sorted(forms, key=lambda form: (-len(form), form))
    return "(?:" + "|".join(re.escape(form) for form in ordered) + ")"
