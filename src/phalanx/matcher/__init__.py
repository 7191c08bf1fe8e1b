"""Matcher: find the indicators a caller may see in its logs.

PURE except ``run.py``: no sqlalchemy, starlette or httpx anywhere in this package, and no
I/O outside ``run.py`` (bytes and values in, matches out). The index is built from a
policy-filtered snapshot by the caller, who keeps the mapping from indicator refs to reports.

- ``index.py`` builds the :class:`MatchIndex`; ``index_file.py`` saves and loads it;
- ``match.py`` matches lines and observations; ``probes.py`` states the matching rules;
- ``logs/`` reads JSON lines, CSV, Zeek, Suricata EVE and text into observations;
- ``run.py`` reads files or stdin, writes JSON lines of matches and a summary.
"""

from phalanx.matcher.index import MATCHABLE_TYPES, MatchIndex, build_index
from phalanx.matcher.match import Matcher, match_lines, match_observations
from phalanx.matcher.model import LogProblem, Match, Observation

__all__ = [
    "MATCHABLE_TYPES",
    "LogProblem",
    "Match",
    "MatchIndex",
    "Matcher",
    "Observation",
    "build_index",
    "match_lines",
    "match_observations",
]
