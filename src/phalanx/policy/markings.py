"""TLP 2.0 and PAP markings, with the TLP 1.0 names accepted on input. PURE.

FIRST TLP 2.0 (spec-notes §3.1); PAP from the MISP taxonomy (spec-notes §3.4). Ranks order
markings from least to most restrictive so filters can say "at most AMBER".
"""

from __future__ import annotations

from enum import StrEnum


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 levels."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        """Position from least (CLEAR = 0) to most restrictive (RED = 4)."""
        return _TLP_ORDER.index(self)

    @property
    def label(self) -> str:
        """The display form, e.g. ``TLP:AMBER+STRICT``."""
        return f"TLP:{self.value.upper()}"


class PAP(StrEnum):
    """Permissible Actions Protocol levels: what a recipient may *do* with the data."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def rank(self) -> int:
        """Position from least (CLEAR = 0) to most restrictive (RED = 3)."""
        return _PAP_ORDER.index(self)

    @property
    def label(self) -> str:
        """The display form, e.g. ``PAP:RED``."""
        return f"PAP:{self.value.upper()}"

    @property
    def allows_active_use(self) -> bool:
        """True when the data may be used for blocking (PAP:GREEN or CLEAR)."""
        return self in (PAP.CLEAR, PAP.GREEN)


_TLP_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
_PAP_ORDER = (PAP.CLEAR, PAP.GREEN, PAP.AMBER, PAP.RED)

# TLP 1.0 spellings: WHITE became CLEAR; the rest keep their names.
_TLP_ALIASES = {
    "white": TLP.CLEAR,
    "amber-strict": TLP.AMBER_STRICT,
    "amber_strict": TLP.AMBER_STRICT,
}


def parse_tlp(text: str) -> TLP:
    """Parse ``clear``, ``TLP:AMBER+STRICT``, ``tlp:white`` (TLP 1.0)...; raise ValueError."""
    key = text.strip().lower().removeprefix("tlp:").strip()
    if key in _TLP_ALIASES:
        return _TLP_ALIASES[key]
    try:
        return TLP(key)
    except ValueError:
        raise ValueError(
            f"unknown TLP {text!r}; expected clear, green, amber, amber+strict or red"
        ) from None


def parse_pap(text: str) -> PAP:
    """Parse ``PAP:GREEN``, ``red``, ``pap:white`` (legacy for CLEAR)...; raise ValueError."""
    key = text.strip().lower().removeprefix("pap:").strip()
    if key == "white":
        return PAP.CLEAR
    try:
        return PAP(key)
    except ValueError:
        raise ValueError(f"unknown PAP {text!r}; expected clear, green, amber or red") from None
