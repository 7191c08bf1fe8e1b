"""Log readers: each turns lines of one log format into observations. PURE.

Every reader takes an iterable of raw lines (bytes, without newlines; line numbers count from
1) and an optional field map, and yields :class:`~phalanx.matcher.model.Observation` values
or, for a line it cannot read, a :class:`~phalanx.matcher.model.LogProblem`. One bad line
never stops a read. ``READERS`` lists them by the name ``phalanx match --format`` uses.
"""

from collections.abc import Callable, Iterable, Iterator

from phalanx.matcher.logs.csv import read_csv
from phalanx.matcher.logs.eve import read_eve
from phalanx.matcher.logs.fields import FieldMap, parse_field_map
from phalanx.matcher.logs.jsonl import read_jsonl
from phalanx.matcher.logs.text import read_text
from phalanx.matcher.logs.zeek import read_zeek
from phalanx.matcher.model import LogProblem, Observation

Reader = Callable[[Iterable[bytes], FieldMap | None], Iterator[Observation | LogProblem]]
READERS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "csv": read_csv,
    "zeek": read_zeek,
    "eve": read_eve,
    "text": read_text,
}

__all__ = ["READERS", "FieldMap", "Reader", "parse_field_map"]
