"""What the matcher reads and reports. PURE.

``Observation``, ``LogProblem`` and ``Match`` are NamedTuples rather than dataclasses: log
readers make one per field of every line, the matcher one per hit, and a tuple is the
cheapest object Python builds (a frozen dataclass costs several times more here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, NamedTuple

from phalanx.observables.kinds import ObservableType

EXACT: Final = "exact"
CIDR: Final = "cidr"
PARENT_DOMAIN: Final = "parent-domain"
URL_NORMALISED: Final = "url-normalised"
URL_HOST: Final = "url-host"
HOWS: Final = (EXACT, CIDR, PARENT_DOMAIN, URL_NORMALISED, URL_HOST)


class Observation(NamedTuple):
    """One value seen in a log: a kind hint (None = infer), where it was, and when."""

    kind_hint: ObservableType | None
    value: str
    line: int
    field: str | None = None
    ts: datetime | None = None


class LogProblem(NamedTuple):
    """A log line that could not be read (counted and reported; never fatal)."""

    line: int
    reason: str


class Match(NamedTuple):
    """One observation hitting one indicator.

    ``observed`` is the value as it appeared (for prose, the extracted token);
    ``indicator_value`` is the indicator's canonical value, rebuilt from the observation (the
    index stores keys, not values): the domain or parent domain, the CIDR network, the URL.
    """

    line: int
    field: str | None
    observed: str
    indicator_ref: int
    indicator_type: ObservableType
    indicator_value: str
    how: str
    ts: datetime | None = None
