"""Rule bodies: YARA, STIX patterns, Sigma and Suricata (see :mod:`suricata`). PURE.

A rule is stored verbatim apart from surrounding whitespace and line endings (normalised to
``\\n``); it is never refanged, because ``(.)``, ``[:]`` and ``hxxp`` can be meaningful inside
it. Each kind gets a real syntax check from its own reference implementation where one
exists: yara-python compiles YARA (with ``include`` disabled, so a rule cannot read files),
stix2-patterns validates STIX 2.1 patterns, and Sigma is read with PyYAML's safe loader.
PyYAML is installed in the environment but is not a declared dependency of Phalanx;
it is imported on first use so every other kind works without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable, Observable
from phalanx.observables.suricata import check_suricata

MAX_RULE_CHARS = 262_144


def clean_rule_text(text: str, kind: ObservableType) -> str:
    """Return a rule body with ``\\n`` line endings and no surrounding whitespace."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise InvalidObservable(f"{kind.value} rule is empty", value=text, kind=kind)
    if len(body) > MAX_RULE_CHARS:
        raise InvalidObservable(
            f"{kind.value} rule is {len(body)} characters long, more than {MAX_RULE_CHARS}",
            value=text[:200],
            kind=kind,
        )
    if "\x00" in body:
        raise InvalidObservable(
            f"{kind.value} rule contains a NUL character (U+0000)", value=text[:200], kind=kind
        )
    return body


def check_yara(body: str) -> str | None:
    """Return the YARA compiler's message if ``body`` does not compile alone, else None."""
    import yara  # type: ignore[import-not-found]  # loaded on first use; ships no stubs

    try:
        compiled = yara.compile(source=body, includes=False)
    except yara.Error as error:
        return f"YARA does not compile: {error}"
    if not any(True for _ in compiled):
        return "YARA source compiles but declares no rule"
    return None


def check_stix_pattern(body: str) -> str | None:
    """Return the first STIX 2.1 pattern validator error for ``body``, else None."""
    from stix2patterns.validator import run_validator  # type: ignore[import-untyped]

    errors = run_validator(body, stix_version="2.1")
    if errors:
        return f"STIX 2.1 pattern is invalid: {errors[0]}"
    return None


def check_sigma(body: str) -> str | None:
    """Return why ``body`` is not a Sigma rule (YAML with title, logsource, detection)."""
    import yaml  # type: ignore[import-untyped]  # PyYAML; see the module docstring

    try:
        documents = [doc for doc in yaml.safe_load_all(body) if doc is not None]
    except yaml.YAMLError as error:
        return f"Sigma rule is not valid YAML: {' '.join(str(error).split())}"
    if len(documents) != 1:
        return f"a Sigma rule is one YAML document, got {len(documents)}"
    return _sigma_fields(documents[0])


def _sigma_fields(rule: Any) -> str | None:
    if not isinstance(rule, dict):
        return "a Sigma rule is a YAML mapping"
    title = rule.get("title")
    if not isinstance(title, str) or not title.strip():
        return "Sigma rule needs a non-empty 'title'"
    logsource = rule.get("logsource")
    if not isinstance(logsource, dict) or not logsource:
        return "Sigma rule needs a 'logsource' mapping (category, product or service)"
    detection = rule.get("detection")
    if not isinstance(detection, dict):
        return "Sigma rule needs a 'detection' mapping"
    condition = detection.get("condition")
    if not condition or not isinstance(condition, str | list):
        return "Sigma rule's 'detection' needs a 'condition'"
    if len(detection) < 2:
        return "Sigma rule's 'detection' needs at least one search identifier besides 'condition'"
    return None


_CHECKS: dict[ObservableType, Callable[[str], str | None]] = {
    ObservableType.YARA: check_yara,
    ObservableType.STIX_PATTERN: check_stix_pattern,
    ObservableType.SIGMA: check_sigma,
    ObservableType.SURICATA: check_suricata,
}


def normalize_rule(text: str, kind: ObservableType) -> Observable:
    """Return the rule observable for ``text`` after its kind's syntax check."""
    body = clean_rule_text(text, kind)
    reason = _CHECKS[kind](body)
    if reason is not None:
        raise InvalidObservable(reason, value=body[:200], kind=kind)
    return Observable(kind, body)
