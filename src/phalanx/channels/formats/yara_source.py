"""Contributed YARA rule text: find its rule names, rename them, check it compiles. PURE.

Source: yara.readthedocs.io "Writing YARA rules" (identifiers, strings, comments, regular
expressions, ``private``/``global`` rules, ``include``), digested in spec-notes §5.5.

A contributed entry is carried verbatim, except that rule names declared by more than one
entry are renamed so the bundle compiles. Renaming is token-based, not textual: identifiers
inside strings, comments, regular expressions and after a ``.`` (module fields such as
``pe.sections``) are left alone, and references to a renamed rule inside the same entry
follow it. YARA has no ``/`` operator (``\\`` divides), so an unpaired ``/`` always opens a
regular expression.
"""

from __future__ import annotations

import hashlib
import re

import yara  # type: ignore[import-not-found]  # yara-python ships no type stubs

MAX_IDENTIFIER = 128
_TOKEN = re.compile(
    r"""
      (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<string>"(?:[^"\\\n]|\\.)*")
    | (?P<regex>/(?:[^/\\\n]|\\.)+/[is]*)
    | (?P<hex>\{[0-9A-Fa-f?\s\[\]\-|()~]*\})
    | (?P<word>[$#@!]?[A-Za-z_][A-Za-z0-9_]*\*?)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(source: str) -> list[tuple[str, str]]:
    """Split rule text into (kind, text) tokens; joining the texts gives the source back."""
    return [(match.lastgroup or "other", match.group()) for match in _TOKEN.finditer(source)]


def _words(parts: list[tuple[str, str]]) -> list[tuple[int, str]]:
    return [(index, text) for index, (kind, text) in enumerate(parts) if kind == "word"]


def declared_rules(source: str) -> list[str]:
    """Names of the rules the text declares, in order."""
    words = [text for _, text in _words(tokens(source))]
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "rule"]


def problem(source: str) -> str | None:
    """Why contributed text cannot go into a shared bundle, or None.

    ``global`` rules would gate every other rule of the bundle and ``include`` would read the
    consumer's files; text must declare at least one rule and compile on its own.
    """
    if not _is_utf8(source):
        return "invalid-text"
    words = {text for _, text in _words(tokens(source))}
    if "global" in words:
        return "yara-global-rule"
    if "include" in words:
        return "yara-include"
    if not declared_rules(source):
        return "yara-no-rule"
    try:
        yara.compile(source=source, includes=False)
    except yara.Error:
        return "yara-syntax"
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates survive JSON decoding but not YARA
        return False
    return True


def rename_rules(source: str, names: set[str]) -> str:
    """Rename the rules in ``names`` to ``phx_<digest>_<name>``, references included."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    parts = tokens(source)
    previous = ""
    out: list[str] = []
    for kind, text in parts:
        if kind == "word" and text in names and previous != ".":
            text = f"phx_{digest}_{text}"[:MAX_IDENTIFIER]
        if kind != "comment" and not text.isspace():
            previous = text
        out.append(text)
    return "".join(out)
