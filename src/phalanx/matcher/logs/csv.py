"""CSV with a header row; columns picked by a field map (names compared case-insensitively).

PURE. The default map is the JSON-lines one (``src_ip``, ``query``, ``url``, ``sha256``...).
A row whose column count differs from the header's is a problem, not a stop.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from phalanx.matcher.logs.fields import FieldMap, parse_timestamp
from phalanx.matcher.logs.jsonl import DEFAULT_FIELDS, TIMESTAMP_FIELDS
from phalanx.matcher.model import LogProblem, Observation


def read_csv(
    lines: Iterable[bytes], field_map: FieldMap | None = None
) -> Iterator[Observation | LogProblem]:
    """Yield the observations of CSV rows (``field_map`` replaces the default map)."""
    wanted = {name.lower(): kind for name, kind in (field_map or DEFAULT_FIELDS).items()}
    columns: list[tuple[int, str, object]] | None = None
    stamp = -1
    width = 0
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            yield LogProblem(number, f"not UTF-8 ({error.reason} at byte {error.start})")
            continue
        if not text.strip():
            continue
        try:
            row = next(csv.reader([text]))
        except csv.Error as error:
            yield LogProblem(number, f"unreadable CSV row: {error}")
            continue
        if columns is None:
            header = [name.strip() for name in row]
            width = len(header)
            columns = [
                (i, name, wanted[name.lower()])
                for i, name in enumerate(header)
                if name.lower() in wanted
            ]
            stamp = next(
                (i for i, name in enumerate(header) if name.lower() in TIMESTAMP_FIELDS), -1
            )
            if not columns:
                yield LogProblem(number, "no column of the header is in the field map")
            continue
        if len(row) != width:
            yield LogProblem(number, f"expected {width} columns, got {len(row)}")
            continue
        ts = parse_timestamp(row[stamp]) if stamp >= 0 else None
        for index, name, kind in columns:
            value = row[index].strip()
            if value:
                yield Observation(kind, value, number, name, ts)  # type: ignore[arg-type]
