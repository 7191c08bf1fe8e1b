"""Outcomes rendered before the write, then rendered again where the write changed them."""

from __future__ import annotations

import hashlib

import orjson

from phalanx.ingest.outcomes import Outcome, render, rendered_now
from phalanx.redaction import Redaction


def _outcomes() -> list[Outcome]:
    return [
        Outcome(0, "8.8.8.8", "new", "ipv4", "8.8.8.8", novelty="novel", points=6.25),
        Outcome(1, "evil[.]example", "new", "domain", "evil.example", novelty="novel", points=5),
        Outcome(2, "8.8.8.8", "known", "ipv4", "8.8.8.8", reason="repeats item 0"),
        Outcome(3, "hxxp://x", "rejected", reason="not a URL: no host"),
        Outcome(
            4,
            "203.0.113.9",
            "new",
            "ipv4",
            "203.0.113.9",
            redacted=(Redaction("email", 10, 21, 11),),  # from the item's comment
            novelty="benign",
            points=0.0,
        ),
    ]


def _full(outcomes: list[Outcome]) -> tuple[bytes, str]:
    items = orjson.dumps([o.to_json() for o in outcomes])
    lines = "".join(f"{o.index}\t{o.type}\t{o.value}\t{o.outcome}\n" for o in outcomes)
    return items, lines


def test_unchanged_outcomes_keep_their_rendering() -> None:
    outcomes = _outcomes()
    before = render(outcomes)
    assert rendered_now(outcomes, before) == _full(outcomes)
    assert rendered_now(outcomes, None) == _full(outcomes)


def test_outcomes_the_write_changed_or_replaced_are_rendered_again() -> None:
    outcomes = _outcomes()
    before = render(outcomes)
    outcomes[0].outcome = "known"  # stored already, and the caller may see it
    outcomes[1].novelty, outcomes[1].points = "corroborating", 1.5  # history re-scored it
    outcomes[4] = Outcome(4, "203.0.113.9", "rejected", reason="internal key collision")
    now = rendered_now(outcomes, before)
    assert now == _full(outcomes)
    assert b'"corroborating"' in now[0] and "0\tipv4\t8.8.8.8\tknown\n" in now[1]
    digest = hashlib.sha256(now[1].encode()).hexdigest()
    assert digest == hashlib.sha256(_full(outcomes)[1].encode()).hexdigest()


def test_a_different_list_of_outcomes_is_rendered_in_full() -> None:
    outcomes = _outcomes()
    before = render(outcomes[:3])
    assert rendered_now(outcomes, before) == _full(outcomes)
