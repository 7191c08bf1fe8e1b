"""STIX 2.1 patterning (STIX 2.1 §9; spec-notes §2.6): observables to patterns and back. PURE.

Writing uses one template per observable kind. Reading walks the stix2-patterns parse tree and
accepts only *simple* patterns — ``=``, ``IN`` and (for IP ranges) ``ISSUBSET`` comparisons
joined by OR, within one observation or across observations — plus the shapes misp-stix writes
(spec-notes §0.5): ``network-traffic:dst_ref.value``/``src_ref.value`` with an optional
``dst_ref.type`` hint, several hashes of one ``file`` ANDed together, ``domain-name:value``
ANDed with ``resolves_to_refs[*].value`` (MISP ``domain|ip``), and any of these ANDed with
``network-traffic`` port tests (MISP ``ip-dst|port``, ``hostname|port``). Dropping the port
widens such an indicator from one service to the whole host; that is the accepted price of
turning it into a matchable observable. Anything else (qualifiers, FOLLOWEDBY, NOT, LIKE,
MATCHES, ``!=``, other ANDs across objects...) is kept whole as one ``stix-pattern``
observable, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from antlr4 import ParseTreeWalker  # type: ignore[import-untyped]
from stix2patterns.exceptions import ParseException  # type: ignore[import-untyped]
from stix2patterns.inspector import INDEX_STAR  # type: ignore[import-untyped]
from stix2patterns.v21.grammars.STIXPatternParser import (  # type: ignore[import-untyped]
    STIXPatternParser as P,
)
from stix2patterns.v21.grammars.STIXPatternVisitor import (  # type: ignore[import-untyped]
    STIXPatternVisitor,
)
from stix2patterns.v21.inspector import InspectionListener  # type: ignore[import-untyped]
from stix2patterns.v21.pattern import Pattern  # type: ignore[import-untyped]

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.scos import IP_VERSIONS, VALUE_KINDS, address_kind, hash_kind, ip_kind
from phalanx.observables.ids import STIX_HASH_NAMES
from phalanx.observables.kinds import HASH_TYPES, RULE_TYPES, ObservableType
from phalanx.observables.model import Observable

Pair = tuple[str, str]

_VALUE_OBJECTS = {
    ObservableType.IPV4: "ipv4-addr",
    ObservableType.IPV6: "ipv6-addr",
    ObservableType.DOMAIN: "domain-name",
    ObservableType.URL: "url",
    ObservableType.EMAIL: "email-addr",
}
_REF_VALUES = ("dst_ref.value", "src_ref.value")
_PORTS = (("network-traffic", "dst_port"), ("network-traffic", "src_port"))


def pattern_type_for(obs: Observable) -> str:
    """Return the indicator ``pattern_type`` for ``obs``: ``stix``, ``yara``, ``suricata``..."""
    if obs.type in RULE_TYPES and obs.type is not ObservableType.STIX_PATTERN:
        return obs.type.value
    return "stix"


def pattern_for(obs: Observable) -> str:
    """Return the indicator pattern for a canonical observable (rule kinds: the rule body)."""
    if obs.type in RULE_TYPES:
        return obs.value
    if obs.type in _VALUE_OBJECTS:
        return f"[{_VALUE_OBJECTS[obs.type]}:value = {quote(obs.value)}]"
    if obs.type is ObservableType.CIDR:
        kind = "ipv6-addr" if ":" in obs.value else "ipv4-addr"
        return f"[{kind}:value ISSUBSET {quote(obs.value)}]"
    if obs.type in HASH_TYPES:
        # Names with "-" must be quoted (§9.3); comparisons are code-point exact, so lowercase.
        name = STIX_HASH_NAMES[obs.type]
        key = name if name.isalnum() else quote(name)
        return f"[file:hashes.{key} = {quote(obs.value.lower())}]"
    if obs.type is ObservableType.ASN:
        return f"[autonomous-system:number = {int(obs.value)}]"
    raise InvalidInput(f"no STIX pattern for observable type {obs.type.value!r}", field="type")


def quote(text: str) -> str:
    """Return ``text`` as a STIX string literal; ``\\'`` and ``\\\\`` are the only escapes."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def observables_from_pattern(pattern: str) -> list[Pair]:
    """Return (Phalanx type, raw value) pairs of a simple pattern, else [("stix-pattern", p)]."""
    single = _single_equality(pattern)
    if single is not None:
        try:
            return list(dict.fromkeys(_from_comparison(single)))
        except _NotSimple:
            pass  # e.g. a hash with no Phalanx kind: the grammar path keeps the whole pattern
    tree = parse_pattern(pattern)
    try:
        pairs = _from_observations(tree.observationExpressions())
    except _NotSimple:
        return [(ObservableType.STIX_PATTERN.value, pattern)]
    return list(dict.fromkeys(pairs))


# One observation holding one equality test on a value or a file hash: nearly every indicator
# (spec-notes §2.6 templates). Parsing these with the ANTLR grammar costs ~3 ms each, which
# dominated STIX ingest, so they are read with this expression instead; the grammar still reads
# everything else. Only what the grammar accepts matches: string literals with the two escapes
# it allows (\' and \\), unquoted path steps without '-', quoted hash names.
_SINGLE_EQUALITY = re.compile(
    r"\[[ \t]*(?P<type>ipv4-addr|ipv6-addr|domain-name|url|email-addr|file)"
    r":(?P<path>value|hashes\.(?:[A-Za-z_][A-Za-z0-9_]*|'[A-Za-z0-9_-]+'))"
    r"[ \t]*=[ \t]*'(?P<value>(?:[^'\\]|\\['\\])*)'[ \t]*\]"
)


def _single_equality(pattern: str) -> _Comparison | None:
    match = _SINGLE_EQUALITY.fullmatch(pattern)
    if match is None:
        return None
    kind, path = match["type"], match["path"]
    if (kind == "file") != path.startswith("hashes."):
        return None
    value = re.sub(r"\\(.)", r"\1", match["value"], flags=re.DOTALL)
    return _Comparison(kind, path.replace("'", ""), "=", (value,))


def parse_pattern(pattern: str) -> Any:
    """Parse a STIX 2.1 pattern to its parse tree; raise InvalidInput with the parser's message."""
    try:
        return Pattern(pattern).visit(_TreeRoot())
    except ParseException as exc:
        raise InvalidInput(f"invalid STIX pattern: {exc}", field="pattern", value=pattern) from None


class _TreeRoot(STIXPatternVisitor):  # type: ignore[misc]
    """A visitor that hands back the root of the parse tree, so we can walk it directly."""

    def visitPattern(self, ctx: Any) -> Any:
        return ctx


class _NotSimple(Exception):
    """Raised inside the walk when the pattern has any non-simple part."""


@dataclass(frozen=True, slots=True)
class _Comparison:
    """One property test: ``network-traffic`` ``dst_ref.value`` ``=`` ``("1.2.3.4",)``."""

    object_type: str
    path: str
    op: str
    values: tuple[str | int, ...]


def _from_observations(ctx: Any) -> list[Pair]:
    """Observation expressions: FOLLOWEDBY and AND across observations are not simple."""
    if ctx.FOLLOWEDBY():
        raise _NotSimple
    pairs: list[Pair] = []
    for and_ctx in _flatten(ctx.observationExpressionOr(), "observationExpressionOr", "OR"):
        observations = _flatten(
            and_ctx.observationExpressionAnd(), "observationExpressionAnd", "AND"
        )
        if len(observations) != 1:
            raise _NotSimple
        pairs += _from_observation(observations[0].observationExpression())
    return pairs


def _from_observation(ctx: Any) -> list[Pair]:
    """One ``[...]`` or ``(...)`` observation; qualified ones (WITHIN...) are not simple."""
    if isinstance(ctx, P.ObservationExpressionSimpleContext):
        return _from_comparisons(ctx.comparisonExpression())
    if isinstance(ctx, P.ObservationExpressionCompoundContext):
        return _from_observations(ctx.observationExpressions())
    raise _NotSimple


def _from_comparisons(ctx: Any) -> list[Pair]:
    """OR of AND-groups inside one observation: each group must be simple on its own."""
    pairs: list[Pair] = []
    for group_ctx in _flatten(ctx, "comparisonExpression", "OR"):
        tests = [
            c.propTest()
            for c in _flatten(group_ctx.comparisonExpressionAnd(), "comparisonExpressionAnd", "AND")
        ]
        if len(tests) == 1 and isinstance(tests[0], P.PropTestParenContext):
            pairs += _from_comparisons(tests[0].comparisonExpression())
        else:
            pairs += _from_group([_comparison(test) for test in tests])
    return pairs


def _flatten(ctx: Any, rule: str, operator: str) -> list[Any]:
    """Flatten the grammar's left-recursive binary ``x OP x`` rule into its operands."""
    if getattr(ctx, operator)() is None:
        return [ctx]
    left, right = getattr(ctx, rule)()
    return _flatten(left, rule, operator) + _flatten(right, rule, operator)


def _comparison(test: Any) -> _Comparison:
    """Read one ``=``/``IN``/``ISSUBSET`` property test; any other test is not simple."""
    if isinstance(test, P.PropTestEqualContext) and test.EQ() and not test.NOT():
        op, literals = "=", [test.primitiveLiteral()]
    elif isinstance(test, P.PropTestSetContext) and not test.NOT():
        op, literals = "IN", test.setLiteral().primitiveLiteral()
    elif isinstance(test, P.PropTestIsSubsetContext) and not test.NOT():
        op, literals = "ISSUBSET", [test.StringLiteral()]
    else:
        raise _NotSimple
    object_type, path = _object_path(test)
    return _Comparison(object_type, path, op, tuple(_literal(lit.getText()) for lit in literals))


def _object_path(test: Any) -> tuple[str, str]:
    """Return a test's object type and path as text, e.g. ("file", "hashes.SHA-256")."""
    # stix2-patterns' own inspector decodes quoted path steps; walk just this one test with it.
    listener = InspectionListener()
    ParseTreeWalker.DEFAULT.walk(listener, test)
    ((object_type, [(steps, _op, _value)]),) = listener.pattern_data().comparisons.items()
    path = ""
    for step in steps:
        if step is INDEX_STAR:
            path += "[*]"
        elif isinstance(step, int):
            path += f"[{step}]"
        else:
            path += f".{step}" if path else step
    return object_type, path


def _literal(text: str) -> str | int:
    """Decode a string or integer literal; other kinds (h'', t'', b'', bools) are not simple."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.DOTALL)
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise _NotSimple


def _from_group(comparisons: list[_Comparison]) -> list[Pair]:
    """An AND-group inside one observation: one test, or one of the shapes in the docstring."""
    # Ports only narrow a flow; the address or name is the observable (misp-stix writes
    # ip-dst|port and hostname|port this way, the latter even across two object types).
    tests = [c for c in comparisons if (c.object_type, c.path) not in _PORTS]
    if len(tests) == 1:
        return _from_comparison(tests[0])
    object_types = {c.object_type for c in tests}
    rule = _GROUP_RULES.get(object_types.pop()) if len(object_types) == 1 else None
    if rule is None or any(c.op != "=" for c in comparisons):
        raise _NotSimple
    return rule(tests)


CIDR = ObservableType.CIDR.value


def _from_comparison(c: _Comparison, ref_type: str | None = None) -> list[Pair]:
    """The observables one simple test names; ``ref_type`` is a ``dst_ref.type`` hint."""
    if c.path == "value" and c.object_type in IP_VERSIONS:
        # ISSUBSET names a network even at full length ('10.0.0.1/32' is a one-host CIDR).
        network = c.op == "ISSUBSET"
        return [
            (CIDR if network and "/" in v else ip_kind(v, IP_VERSIONS[c.object_type]), v)
            for v in _strings(c)
        ]
    if c.object_type == "network-traffic" and c.path in _REF_VALUES:
        pairs = [(_address_kind(v, ref_type), v) for v in _strings(c)]
        if c.op == "ISSUBSET" and any(kind == ObservableType.DOMAIN for kind, _ in pairs):
            raise _NotSimple
        return pairs
    if c.op == "ISSUBSET":  # only IP addresses have subsets (§9.5)
        raise _NotSimple
    if c.path == "value" and c.object_type in VALUE_KINDS:
        return [(VALUE_KINDS[c.object_type], v) for v in _strings(c)]
    if c.object_type == "file" and c.path.startswith("hashes."):
        kind = hash_kind(c.path.removeprefix("hashes."))
        if kind is None:  # SHA3-256, SSDEEP, TLSH...: no Phalanx kind, keep the whole pattern
            raise _NotSimple
        return [(kind, v) for v in _strings(c)]
    if (c.object_type, c.path) == ("autonomous-system", "number") and c.values:
        # misp-stix writes the number as a string ('174'); both forms are raw ASN values.
        return [(ObservableType.ASN.value, str(v)) for v in c.values]
    raise _NotSimple


def _network_traffic_group(comparisons: list[_Comparison]) -> list[Pair]:
    """misp-stix ``ip-dst``/``ip-src``: one ``*_ref.value`` and its ``*_ref.type`` hint."""
    values = [c for c in comparisons if c.path in _REF_VALUES]
    if len(values) != 1:
        raise _NotSimple
    ref_type_path = values[0].path.replace(".value", ".type")
    hints = [c for c in comparisons if c.path == ref_type_path]
    if len(hints) > 1 or len(values) + len(hints) != len(comparisons):
        raise _NotSimple
    hint = _strings(hints[0])[0] if hints else None
    return _from_comparison(values[0], hint)


def _file_group(comparisons: list[_Comparison]) -> list[Pair]:
    """Several hashes of one file: each alone identifies the file, so each is its own observable."""
    return [pair for c in comparisons for pair in _from_comparison(c)]


def _domain_group(comparisons: list[_Comparison]) -> list[Pair]:
    """misp-stix ``domain|ip``: ``value`` AND ``resolves_to_refs[*].value``, both observables."""
    names = [c for c in comparisons if c.path == "value"]
    addresses = [c for c in comparisons if c.path == "resolves_to_refs[*].value"]
    if len(names) != 1 or len(names) + len(addresses) != len(comparisons):
        raise _NotSimple
    pairs = _from_comparison(names[0])
    for c in addresses:
        pairs += [(_address_kind(v, None), v) for v in _strings(c)]
    return pairs


_GROUP_RULES = {
    "network-traffic": _network_traffic_group,
    "file": _file_group,
    "domain-name": _domain_group,
}


def _strings(c: _Comparison) -> list[str]:
    """The test's values, which must all be strings (and at least one)."""
    if not c.values or not all(isinstance(v, str) for v in c.values):
        raise _NotSimple
    return [str(v) for v in c.values]


def _address_kind(raw: str, ref_type: str | None) -> str:
    """Kind of a ``*_ref.value``: from the ``*_ref.type`` hint, else IP if it parses as one."""
    if ref_type in IP_VERSIONS:
        return ip_kind(raw, IP_VERSIONS[ref_type])
    if ref_type == "domain-name":
        return ObservableType.DOMAIN.value
    if ref_type is not None:  # mac-addr and the like: not a Phalanx kind
        raise _NotSimple
    return address_kind(raw)
