"""Plain text: one observation per line; lines of prose are mined for IOCs. PURE.

``phalanx match --format text`` does not go through this reader: ``run.py`` hands whole
chunks to :meth:`Matcher.match_text`, which applies the same rules with numpy. This reader is
the one-value-at-a-time equivalent, for callers that want observations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from phalanx.matcher.logs.fields import FieldMap
from phalanx.matcher.model import LogProblem, Observation


def read_text(
    lines: Iterable[bytes], field_map: FieldMap | None = None
) -> Iterator[Observation | LogProblem]:
    """Yield one kind-less observation per non-empty line (``field_map`` does not apply)."""
    del field_map  # plain text has no fields
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode()
        except UnicodeDecodeError as error:
            yield LogProblem(number, f"not UTF-8 ({error.reason} at byte {error.start})")
            continue
        if text.strip():
            yield Observation(None, text, number)
