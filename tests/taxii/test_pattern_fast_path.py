"""The one-equality fast path of pattern reading agrees with the STIX grammar, always."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.errors import InvalidInput
from phalanx.formats.stix21 import patterns
from phalanx.formats.stix21.patterns import observables_from_pattern

PATHS = (
    "ipv4-addr:value",
    "ipv6-addr:value",
    "domain-name:value",
    "url:value",
    "email-addr:value",
    "file:hashes.'SHA-256'",
    "file:hashes.MD5",
    "file:hashes.'SHA-1'",
    "file:hashes.SHA3_256",
    "file:value",
    "file:hashes.SHA-256",
)
VALUES = st.text(alphabet=st.sampled_from("a1./:-_'\\ %é\t"), max_size=12)


def by_grammar(pattern: str) -> list[tuple[str, str]]:
    tree = patterns.parse_pattern(pattern)
    try:
        pairs = patterns._from_observations(tree.observationExpressions())
    except patterns._NotSimple:
        return [("stix-pattern", pattern)]
    return list(dict.fromkeys(pairs))


def outcome(read: object, pattern: str) -> object:
    try:
        return read(pattern)  # type: ignore[operator]
    except InvalidInput as error:
        return ("invalid", error.field)


@settings(max_examples=400, deadline=None)
@given(
    path=st.sampled_from(PATHS),
    value=VALUES,
    escaped=st.booleans(),
    spaces=st.sampled_from(("", " ", "  ", "\t")),
)
def test_fast_path_reads_like_the_grammar(
    path: str, value: str, escaped: bool, spaces: str
) -> None:
    literal = value.replace("\\", "\\\\").replace("'", "\\'") if escaped else value
    pattern = f"[{spaces}{path}{spaces}={spaces}'{literal}'{spaces}]"
    assert outcome(observables_from_pattern, pattern) == outcome(by_grammar, pattern)


def test_fast_path_takes_the_common_templates() -> None:
    assert patterns._single_equality("[ipv4-addr:value = '45.1.2.3']") is not None
    assert patterns._single_equality("[file:hashes.'SHA-256' = 'ab']") is not None
    assert patterns._single_equality("[ipv4-addr:value = '1' OR ipv4-addr:value = '2']") is None
