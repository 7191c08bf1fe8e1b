"""Deltas between item sets, change-log compaction and the two wire forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phalanx.channels.delta import (
    Change,
    Delta,
    apply,
    changes,
    changes_after,
    compact_changes,
    diff,
    from_json,
    from_text,
    to_json,
    to_text,
)
from phalanx.errors import Conflict, InvalidInput, Unsupported

items = st.text(alphabet="abcdef.*/:+-#", max_size=6)
item_sets = st.frozensets(items, max_size=12)
# Items are text from stored values: no lone surrogates, which UTF-8 cannot carry.
line_items = st.text(
    st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=20
)


@given(item_sets, item_sets)
def test_delta_applied_to_previous_gives_current(
    previous: frozenset[str], current: frozenset[str]
) -> None:
    delta = diff(previous, current)
    assert apply(previous, delta) == current
    assert not delta.added & delta.removed


@given(st.lists(item_sets, min_size=1, max_size=8), st.data())
def test_compacted_log_equals_direct_diff(
    versions: list[frozenset[str]], data: st.DataObject
) -> None:
    """Versions 1..n each logged as their diff; ?since=k must equal diff(v_k, v_n)."""
    log: list[Change] = []
    previous: frozenset[str] = frozenset()
    for number, current in enumerate(versions, start=1):
        log += changes(number, diff(previous, current))
        previous = current
    since = data.draw(st.integers(0, len(versions)))
    base = versions[since - 1] if since else frozenset()
    shuffled = data.draw(st.permutations(changes_after(log, since)))
    delta = compact_changes(shuffled, since)
    assert delta == diff(base, versions[-1])
    assert apply(base, delta) == versions[-1]


def test_add_then_remove_cancels_and_remove_then_add_cancels() -> None:
    log = [
        (3, "gone-again", True),
        (4, "gone-again", False),
        (3, "back-again", False),
        (5, "back-again", True),
        (4, "new", True),
        (5, "old", False),
        (1, "before-since", True),
    ]
    assert compact_changes(log, 2) == Delta(added=frozenset({"new"}), removed=frozenset({"old"}))


@pytest.mark.parametrize(
    "log",
    [
        [(3, "x", True), (3, "x", False)],
        [(3, "x", True), (4, "x", True)],
    ],
)
def test_inconsistent_log_is_refused(log: list[tuple[int, str, bool]]) -> None:
    with pytest.raises(InvalidInput, match="inconsistent"):
        compact_changes(log, 0)


def test_strict_apply_refuses_a_delta_for_another_base() -> None:
    delta = Delta(added=frozenset({"b"}), removed=frozenset({"a"}))
    with pytest.raises(Conflict, match="does not fit"):
        apply({"c"}, delta)
    assert apply({"c"}, delta, strict=False) == {"b", "c"}


def test_changes_after_uses_version_order() -> None:
    log = [Change(1, "a", True), Change(2, "b", True), Change(2, "a", False), Change(3, "c", True)]
    assert list(changes_after(log, 1)) == log[1:]
    assert list(changes_after(log, 3)) == []


@given(st.frozensets(line_items, max_size=8), st.frozensets(line_items, max_size=8))
def test_json_and_text_forms_round_trip(added: frozenset[str], removed: frozenset[str]) -> None:
    delta = Delta(added=added, removed=removed - added)
    assert from_json(to_json(delta, from_version=4, to_version=9)) == (4, 9, delta)
    assert from_text(to_text(delta, from_version=4, to_version=9)) == delta


def test_wire_forms_are_deterministic_and_documented() -> None:
    delta = Delta(added=frozenset({"b", "a"}), removed=frozenset({"z"}))
    assert to_json(delta, from_version=1, to_version=2) == (
        b'{"from":1,"to":2,"added":["a","b"],"removed":["z"]}'
    )
    assert to_text(delta, from_version=1, to_version=2) == (
        b"# phalanx delta from=1 to=2\n-z\n+a\n+b\n"
    )


def test_text_form_refuses_multi_line_items() -> None:
    with pytest.raises(Unsupported):
        to_text(Delta(frozenset({"rule a\n{}"}), frozenset()), from_version=1, to_version=2)


@pytest.mark.parametrize(
    "payload", [b"{", b'{"from": 1}', b'{"from":1,"to":2,"added":[1],"removed":[]}']
)
def test_bad_json_delta(payload: bytes) -> None:
    with pytest.raises(InvalidInput):
        from_json(payload)


def test_bad_text_delta() -> None:
    with pytest.raises(InvalidInput, match="line 2"):
        from_text(b"+a\n*b\n")
