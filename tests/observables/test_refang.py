"""Refanging (spec-notes §6.1): every token, edges, the fixed point and offset maps."""

from __future__ import annotations

import pytest

from phalanx.observables import refang
from phalanx.observables.refang import is_plain, refang_text, token_spans


@pytest.mark.parametrize(
    ("defanged", "expected"),
    [
        ("hxxp://evil.example/", "http://evil.example/"),
        ("hXXp://evil.example/", "http://evil.example/"),
        ("HXXPS://evil.example/", "https://evil.example/"),
        ("h**p://evil.example/", "http://evil.example/"),
        ("h**ps://evil.example/", "https://evil.example/"),
        ("hxxps://evil.example/", "https://evil.example/"),
        ("fxp://evil.example/", "ftp://evil.example/"),
        ("xxxx://evil.example/", "http://evil.example/"),
        ("evil[.]example", "evil.example"),
        ("evil(.)example", "evil.example"),
        ("evil{.}example", "evil.example"),
        ("evil[dot]example", "evil.example"),
        ("evil[DOT]example", "evil.example"),
        ("evil(dot)example", "evil.example"),
        ("evil DOT example", "evil.example"),
        ("evil [.] example", "evil.example"),
        ("evil[,]example", "evil.example"),
        ("http[:]//evil.example", "http://evil.example"),
        ("http[://]evil.example", "http://evil.example"),
        ("hxxp[://]evil.example", "http://evil.example"),
        ("john[@]evil.example", "john@evil.example"),
        ("john[at]evil.example", "john@evil.example"),
        ("john(at)evil.example", "john@evil.example"),
        ("john [AT] evil.example", "john@evil.example"),
        ("http://evil.example[/]x", "http://evil.example/x"),
        ("http:\\/\\/evil.example", "http://evil.example"),
        ("evil[-]corp.example", "evil-corp.example"),
        ("http:///evil.example", "http://evil.example"),
        ("<http://evil.example/>", "http://evil.example/"),
        ('"evil.example"', "evil.example"),
        ("'evil.example'", "evil.example"),
        ("“evil.example”", "evil.example"),
        ("evil.example.", "evil.example"),
        ("evil.example,", "evil.example"),
        ("evil.example;", "evil.example"),
        ("(see evil.example)", "(see evil.example)"),
        ("evil.example).", "evil.example"),
        ("http://evil.example/a_(b)", "http://evil.example/a_(b)"),
        ("evil[[.]]example", "evil.example"),
        ("  evil[.]example  ", "evil.example"),
        ("hxxpx://evil.example", "hxxpx://evil.example"),
        ("ahxxp://evil.example", "ahxxp://evil.example"),
    ],
)
def test_refang(defanged: str, expected: str) -> None:
    assert refang(defanged) == expected
    assert refang(expected) == expected


@pytest.mark.parametrize("plain", ["evil.example", "198.51.100.7", "2001:db8::1", "a" * 64])
def test_clean_values_are_plain(plain: str) -> None:
    assert is_plain(plain)
    assert refang(plain) is plain


def test_token_spans_absorb_blanks_around_dots_only() -> None:
    assert token_spans("a [.] b [:] c") == [(1, 6, "."), (8, 11, ":")]


def test_refang_text_maps_back_to_the_author_offsets() -> None:
    text = "C2 at hxxps://evil [.] example/x and 198[.]51[.]100[.]7."
    refanged, starts, ends = refang_text(text)
    assert refanged == "C2 at https://evil.example/x and 198.51.100.7."
    begin = refanged.index("198.51.100.7")
    end = begin + len("198.51.100.7")
    assert text[starts[begin] : ends[end - 1]] == "198[.]51[.]100[.]7"
    begin = refanged.index("https")
    end = refanged.index("/x") + 2
    assert text[starts[begin] : ends[end - 1]] == "hxxps://evil [.] example/x"
    assert len(starts) == len(ends) == len(refanged)
