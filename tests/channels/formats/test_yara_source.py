"""Token-level handling of contributed YARA rule text."""

from __future__ import annotations

import yara
from hypothesis import given
from hypothesis import strategies as st

from phalanx.channels.formats import yara_source

SOURCE = r"""
import "pe"
// rule target is a comment
private rule target : tag_target
{
  meta:
    note = "rule target { }"
  strings:
    $target = /target\/[a-z]+/ nocase
    $hex = { 4D 5A ?? [2-4] ( 90 | 00 ) }
  condition:
    $target or $hex or pe.is_dll()
}
rule target_like { condition: false }
rule caller { condition: target and not target_like }
"""


@given(st.text())
def test_tokens_reassemble_the_source(text: str) -> None:
    assert "".join(part for _, part in yara_source.tokens(text)) == text


def test_declared_rules() -> None:
    assert yara_source.declared_rules(SOURCE) == ["target", "target_like", "caller"]


def test_rename_follows_references_but_not_strings_comments_or_fields() -> None:
    renamed = yara_source.rename_rules(SOURCE, {"target"})
    prefix = renamed.split("private rule ", 1)[1].split(" ", 1)[0]
    assert prefix.startswith("phx_") and prefix.endswith("_target")
    assert f"condition: {prefix} and not target_like" in renamed
    assert "// rule target is a comment" in renamed
    assert 'note = "rule target { }"' in renamed
    assert r"$target = /target\/[a-z]+/" in renamed
    assert "tag_target" in renamed
    assert yara_source.declared_rules(renamed) == [prefix, "target_like", "caller"]
    yara.compile(source=renamed)


def test_problem_accepts_sound_text() -> None:
    assert yara_source.problem(SOURCE) is None
