"""Redaction reports and per-contributor rules: validation and normalisation."""

from __future__ import annotations

import pytest

from phalanx.errors import InvalidInput
from phalanx.redaction import KIND_LABELS, Redaction, RedactionResult, RedactionRules, placeholder


def test_redaction_describes_kind_and_position_only() -> None:
    item = Redaction("email", 10, 30, 20)
    assert item.describe() == "e-mail address redacted at characters 10-30 (20 characters)"


@pytest.mark.parametrize(
    ("kind", "start", "end", "length"),
    [
        ("email", 10, 30, 21),  # length disagrees with the offsets
        ("email", 5, 5, 0),  # empty
        ("email", -1, 3, 4),
        ("ssn", 0, 3, 3),  # unknown kind
    ],
)
def test_redaction_rejects_inconsistent_items(kind: str, start: int, end: int, length: int) -> None:
    with pytest.raises(InvalidInput):
        Redaction(kind, start, end, length)


def test_summary_counts_kinds_in_alphabetical_order() -> None:
    result = RedactionResult(
        "x",
        (
            Redaction("phone", 0, 5, 5),
            Redaction("email", 6, 9, 3),
            Redaction("phone", 10, 15, 5),
        ),
    )
    assert list(result.summary().items()) == [("email", 1), ("phone", 2)]
    assert RedactionResult("untouched").summary() == {}


def test_every_kind_has_a_label_and_a_placeholder() -> None:
    assert set(KIND_LABELS) == {"email", "phone", "iban", "payment_card", "name", "internal_host"}
    assert placeholder("internal_host") == "[REDACTED:internal_host]"


def test_rules_normalise_names_domains_and_prefixes() -> None:
    rules = RedactionRules(
        personal_names=frozenset({"  Anna   Müller ", "Dubois,  Claire", "Mu\u0308ller, Jo"}),
        internal_domains=frozenset({".Corp.ACME.example.", "acme.local"}),
        internal_host_prefixes=frozenset({"ws-", " Srv"}),
    )
    assert rules.personal_names == {"Anna Müller", "Claire Dubois", "Jo Müller"}
    assert rules.internal_domains == {"corp.acme.example", "acme.local"}
    assert rules.internal_host_prefixes == {"WS-", "SRV"}


def test_rules_are_hashable_and_default_to_nothing() -> None:
    assert RedactionRules() == RedactionRules(frozenset(), frozenset(), frozenset())
    assert hash(RedactionRules(internal_domains=frozenset({"a.example"}))) == hash(
        RedactionRules(internal_domains=frozenset({"A.example"}))
    )


@pytest.mark.parametrize("name", ["", "   ", "Agent 007", "R2-D2", "<script>", "Anna,"])
def test_rules_reject_names_that_are_no_names(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RedactionRules(personal_names=frozenset({name}))
    assert caught.value.field == "personal_names"


@pytest.mark.parametrize(
    "domain", ["", ".", "com", "example", "bad_label.example", "-x.example", "a..example"]
)
def test_rules_reject_suffixes_that_are_no_internal_domains(domain: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RedactionRules(internal_domains=frozenset({domain}))
    assert caught.value.field == "internal_domains"


@pytest.mark.parametrize("domain", ["corp", "local", "LAN", "internal"])
def test_rules_accept_private_single_label_suffixes(domain: str) -> None:
    assert RedactionRules(internal_domains=frozenset({domain})).internal_domains == {domain.lower()}


@pytest.mark.parametrize("prefix", ["", "W", "1WS", "WS_", "W S"])
def test_rules_reject_odd_host_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RedactionRules(internal_host_prefixes=frozenset({prefix}))
    assert caught.value.field == "internal_host_prefixes"
