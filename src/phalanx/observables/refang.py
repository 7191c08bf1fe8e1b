"""Undo defanging (spec-notes §6.1). PURE.

Threat reports *defang* indicators so nobody clicks them: ``hxxp://evil[.]example``,
``user[at]evil(.)example``. Refanging is two layers:

* **tokens** — replacements that are safe anywhere in prose (``[.]`` -> ``.``, ``hxxp:`` ->
  ``http:``); :func:`refang_text` applies them to a whole report and keeps a map back to the
  original offsets, so extraction can point at what the author wrote;
* **edges** — trimming that only makes sense around one value: surrounding ``<>`` and quotes,
  trailing ``.,;`` and an unbalanced ``)`` left over from prose.

:func:`refang` applies both until nothing changes. Rule bodies (YARA, Suricata, Sigma, STIX
patterns) are never refanged: ``(.)`` and ``[:]`` mean something there.
"""

from __future__ import annotations

import re

# Two scans instead of one alternation: every branch of each starts with a literal or a
# character class, which lets the regex engine skip ahead at C speed (a combined pattern whose
# branches start with optional blanks or a lookbehind is ~10x slower on every value).
_SCHEME_TOKENS = re.compile(
    r"[hH](?<![A-Za-z0-9].)(?i:[x*]{2}p)[sS]?(?=\[?:)"
    r"|[xX](?<![A-Za-z0-9].)(?i:xxx)[sS]?(?=\[?:)"
    r"|[fF](?<![A-Za-z0-9].)(?i:xp)(?=\[?:)"
)
_BRACKET_TOKENS = re.compile(
    r"\[://\]|\[:\]|\[,\]|\[/\]|\\/|\[-\]|:///+| DOT "
    r"|\[[ \t]*(?i:\.|dot)[ \t]*\]|\([ \t]*(?i:\.|dot)[ \t]*\)|\{[ \t]*(?i:\.|dot)[ \t]*\}"
    r"|\[(?i:@|at)\]|\((?i:@|at)\)|\{(?i:@|at)\}"
)
_FIXED = {"[://]": "://", "[:]": ":", "[/]": "/", "\\/": "/", "[-]": "-", " DOT ": "."}
_BLANKS = " \t"
_QUOTES = {'"': '"', "'": "'", "`": "`", "<": ">", "“": "”", "‘": "’", "«": "»"}
_TRAILING = ".,;"


def _bracket_replacement(token: str) -> str:
    fixed = _FIXED.get(token)
    if fixed is not None:
        return fixed
    if token[0] == ":":
        return "://"
    return "@" if "@" in token or "a" in token.lower() else "."


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, replacement) of each defanging token in ``text``, in order.

    ``[.]``-style dots and ``[at]``-style at signs take the blanks around them along
    (``evil [.] example`` -> ``evil.example``).
    """
    found = [(m.start(), m.end(), m.group(0)) for m in _BRACKET_TOKENS.finditer(text)]
    if has_scheme_marker(text):
        found += [(m.start(), m.end(), m.group(0)) for m in _SCHEME_TOKENS.finditer(text)]
        found.sort()
    spans: list[tuple[int, int, str]] = []
    previous_end = 0
    for start, end, token in found:
        if start < previous_end:
            continue
        if token[0] in "[({" and token[1:2] not in (":", "/", "-"):
            replacement = _bracket_replacement(token)
            while start > previous_end and text[start - 1] in _BLANKS:
                start -= 1
            while end < len(text) and text[end] in _BLANKS:
                end += 1
        elif token[0] in "hHxXfF":
            lowered = token.lower()
            replacement = "ftp" if lowered[0] == "f" else "https" if lowered[-1] == "s" else "http"
        else:
            replacement = _bracket_replacement(token)
        spans.append((start, end, replacement))
        previous_end = end
    return spans


def has_scheme_marker(text: str) -> bool:
    """Return True if ``text`` may hold a defanged scheme (``hxxp``, ``h**p``, ``fxp``...)."""
    lowered = text.lower()
    return "xp" in lowered or "*p" in lowered or "xxxx" in lowered


def has_marker(text: str) -> bool:
    """Return True if ``text`` may hold a defanging token (every token has one of these)."""
    if "[" in text or "(" in text or "{" in text or "\\" in text or ":///" in text:
        return True
    return " DOT " in text or has_scheme_marker(text)


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    pieces: list[str] = []
    position = 0
    for start, end, replacement in spans:
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


_PLAIN_TOKENS = (
    ("[", (("[.]", "."), ("[dot]", "."), ("[,]", "."), ("[://]", "://"), ("[:]", ":"))),
    ("[", (("[@]", "@"), ("[at]", "@"), ("[/]", "/"), ("[-]", "-"))),
    ("(", (("(.)", "."), ("(dot)", "."), ("(at)", "@"))),
    ("{", (("{.}", "."),)),
    ("\\/", (("\\/", "/"),)),
)


def refang_tokens(text: str) -> str:
    """Replace defanging tokens anywhere in ``text`` until none is left (no edge trimming)."""
    if " " not in text and "\t" not in text:
        # Without blanks no token swallows whitespace, so the exact-case tokens are plain
        # substring replacements; the scan below only runs if a marker survives them.
        for marker, tokens in _PLAIN_TOKENS:
            if marker in text:
                for token, replacement in tokens:
                    text = text.replace(token, replacement)
    while has_marker(text):
        spans = token_spans(text)
        if not spans:
            break
        text = _apply(text, spans)
    return text


def trim_edges(value: str) -> str:
    """Strip whitespace, one pair of surrounding quotes or ``<>``, trailing ``.,;`` and ``)``."""
    if not value or not (
        value[0].isspace() or value[-1].isspace() or value[0] in _QUOTES or value[-1] in _EDGE_END
    ):
        return value
    while True:
        trimmed = value.strip()
        if len(trimmed) >= 2 and _QUOTES.get(trimmed[0]) == trimmed[-1]:
            trimmed = trimmed[1:-1]
        trimmed = trimmed.rstrip(_TRAILING)
        # A closing parenthesis belongs to the value only when it closes one of its own.
        while trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1].rstrip(_TRAILING)
        if trimmed == value:
            return value
        value = trimmed


def is_plain(text: str) -> bool:
    """Return True when ``text`` has no defanging token and no edge to trim (a refang no-op)."""
    if not text:
        return True
    first, last = text[0], text[-1]
    if first.isspace() or last.isspace() or first in _QUOTES or last in _EDGE_END:
        return False
    return not has_marker(text)


_EDGE_END = frozenset(_TRAILING + ")" + "".join(_QUOTES.values()))


def refang(text: str) -> str:
    """Return ``text`` with every defanging token undone and prose edges trimmed (fixed point)."""
    if is_plain(text):
        return text
    while True:
        tokens = refang_tokens(text)
        trimmed = trim_edges(tokens)
        if trimmed == tokens:
            return trimmed
        text = trimmed


def refang_text(text: str) -> tuple[str, list[int], list[int]]:
    """Refang tokens in a whole report; also return each output character's original span.

    ``starts[i]``/``ends[i]`` are the offsets in ``text`` of the piece that produced output
    character ``i``, so a match ``[a, b)`` in the output came from ``[starts[a], ends[b-1])``.
    """
    starts = list(range(len(text)))
    ends = list(range(1, len(text) + 1))
    while has_marker(text):
        spans = token_spans(text)
        if not spans:
            break
        new_starts: list[int] = []
        new_ends: list[int] = []
        position = 0
        for begin, end, replacement in spans:
            new_starts.extend(starts[position:begin])
            new_ends.extend(ends[position:begin])
            new_starts.extend([starts[begin]] * len(replacement))
            new_ends.extend([ends[end - 1]] * len(replacement))
            position = end
        new_starts.extend(starts[position:])
        new_ends.extend(ends[position:])
        text, starts, ends = _apply(text, spans), new_starts, new_ends
    return text, starts, ends
