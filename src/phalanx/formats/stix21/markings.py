"""TLP and PAP as STIX 2.1 marking definitions (STIX 2.1 §7.2; spec-notes §3). PURE.

Phalanx *emits* TLP 2.0 marking definitions (the FIRST extension,
``extension-definition--60a3c5c5-…``) and *accepts* both the TLP 1.0 predefined objects of
STIX 2.1 §7.2.1.4 and the TLP 2.0 ones. TLP 1.0 AMBER is read as TLP 2.0 AMBER+STRICT: 1.0
had no STRICT variant and its AMBER wording varied between "own organisation only" (US-CERT)
and "also clients" (FIRST 1.0), so the restrictive reading is the safe one (spec-notes §3.1,
"when in doubt"). TLP 1.0 WHITE is TLP 2.0 CLEAR.

PAP has no OASIS marking (spec-notes §3.4), so Phalanx carries it as ``statement`` marking
definitions with fixed ids: UUIDv5 over ``PAP:<LEVEL>`` in Phalanx's own marking namespace
(never the SCO namespace, STIX 2.1 §2.9). The objects never change, so one id always means
one content (STIX 2.1 §3.6).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from phalanx.observables.ids import PHALANX_NAMESPACE
from phalanx.policy.markings import PAP, TLP, parse_pap, parse_tlp

_Level = TypeVar("_Level", TLP, PAP)

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP1_CREATED = "2017-01-20T00:00:00.000Z"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
# Fixed forever: changing it would give one marking id two contents (STIX 2.1 §3.6).
PAP_CREATED = "2025-01-01T00:00:00.000Z"
PAP_NAMESPACE = uuid.uuid5(PHALANX_NAMESPACE, "phalanx:marking-definition:pap")

TLP1_IDS: dict[str, str] = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
TLP2_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 level -> TLP 2.0 level (module docstring: AMBER reads as AMBER+STRICT).
TLP1_TO_TLP2: dict[str, TLP] = {
    "white": TLP.CLEAR,
    "green": TLP.GREEN,
    "amber": TLP.AMBER_STRICT,
    "red": TLP.RED,
}
PAP_STATEMENTS: dict[PAP, str] = {
    PAP.CLEAR: "PAP:CLEAR - no restriction on use.",
    PAP.GREEN: "PAP:GREEN - active actions allowed (e.g. block traffic to or from it).",
    PAP.AMBER: "PAP:AMBER - passive cross-checks only (e.g. third-party lookups); no blocking.",
    PAP.RED: "PAP:RED - non-detectable actions only: passive log searches, no use on the network.",
}
PAP_IDS: dict[PAP, str] = {
    pap: f"marking-definition--{uuid.uuid5(PAP_NAMESPACE, pap.label)}" for pap in PAP
}

_TLP_BY_ID: dict[str, TLP] = {
    **{TLP1_IDS[level]: tlp for level, tlp in TLP1_TO_TLP2.items()},
    **{marking_id: tlp for tlp, marking_id in TLP2_IDS.items()},
}
_PAP_BY_ID: dict[str, PAP] = {marking_id: pap for pap, marking_id in PAP_IDS.items()}


def tlp1_marking(level: str) -> dict[str, Any]:
    """Return the predefined TLP 1.0 object for ``white``/``green``/``amber``/``red`` (§7.2.1.4)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP1_IDS[level],
        "created": TLP1_CREATED,
        "definition_type": "tlp",
        "name": f"TLP:{level.upper()}",
        "definition": {"tlp": level},
    }


def marking_for_tlp(tlp: TLP) -> dict[str, Any]:
    """Return the TLP 2.0 marking-definition object for ``tlp`` (what Phalanx emits)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[tlp],
        "created": TLP2_CREATED,
        "name": tlp.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def pap_marking(pap: PAP) -> dict[str, Any]:
    """Return the fixed PAP statement marking-definition object for ``pap``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": PAP_IDS[pap],
        "created": PAP_CREATED,
        "name": pap.label,
        "definition_type": "statement",
        "definition": {"statement": PAP_STATEMENTS[pap]},
    }


def known_marking(marking_id: str) -> dict[str, Any] | None:
    """Return the TLP 1.0, TLP 2.0 or PAP object with this id, or None for any other id."""
    if marking_id in _PAP_BY_ID:
        return pap_marking(_PAP_BY_ID[marking_id])
    for tlp, tlp2_id in TLP2_IDS.items():
        if tlp2_id == marking_id:
            return marking_for_tlp(tlp)
    for level, tlp1_id in TLP1_IDS.items():
        if tlp1_id == marking_id:
            return tlp1_marking(level)
    return None


def tlp_from_marking_id(marking_id: str) -> TLP | None:
    """Return the TLP of a TLP 1.0 or 2.0 marking id, or None for any other id."""
    return _TLP_BY_ID.get(marking_id)


def tlp_from_marking(marking: dict[str, Any] | str) -> TLP | None:
    """Return the TLP a marking id or object states (fixed ids, TLP 1.0 definition, TLP 2.0 ext)."""
    if isinstance(marking, str):
        return tlp_from_marking_id(marking)
    known = tlp_from_marking_id(str(marking.get("id", "")))
    if known is not None:
        return known
    extension = (marking.get("extensions") or {}).get(TLP2_EXTENSION_ID)
    if isinstance(extension, dict) and isinstance(extension.get("tlp_2_0"), str):
        return _parse_or_none(parse_tlp, extension["tlp_2_0"])
    definition = marking.get("definition")
    if marking.get("definition_type") == "tlp" and isinstance(definition, dict):
        level = str(definition.get("tlp", "")).lower()
        return TLP1_TO_TLP2.get(level) or _parse_or_none(parse_tlp, level)
    return None


def pap_from_marking(marking: dict[str, Any] | str) -> PAP | None:
    """Return the PAP a marking id or statement object states, or None if it states none."""
    if isinstance(marking, str):
        return _PAP_BY_ID.get(marking)
    known = _PAP_BY_ID.get(str(marking.get("id", "")))
    if known is not None:
        return known
    definition = marking.get("definition")
    if marking.get("definition_type") != "statement" or not isinstance(definition, dict):
        return None
    # Other producers' PAP statements: accept "PAP:GREEN" possibly followed by an explanation.
    statement = str(definition.get("statement", "")).strip()
    if not statement.upper().startswith("PAP:"):
        return None
    words = statement[4:].split(maxsplit=1)
    level = words[0].rstrip(".,;:") if words else ""
    return _parse_or_none(parse_pap, level)


def _parse_or_none(parse: Callable[[str], _Level], text: str) -> _Level | None:
    """Apply ``parse_tlp``/``parse_pap`` and turn their ValueError into None."""
    try:
        return parse(text)
    except ValueError:
        return None
