"""CSV with a header row: ``type,value,tlp,labels,confidence,valid_until,comment``. PURE.

Only ``value`` is required; other columns are optional and any item field may be a column.
Labels inside one cell are separated by ``;`` or ``,``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from phalanx.formats.base import FormatSpec, ParseProblem, ReadResult

csv.field_size_limit(1 << 20)


def read_csv(payload: bytes, options: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Yield one item per data row; rows that cannot be read become problems."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield ParseProblem(f"CSV must be UTF-8 ({error.reason} at byte {error.start})", line=None)
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(next(reader, None))
    if isinstance(header, ParseProblem):
        yield header
        return
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield ParseProblem(
                f"row has {len(row)} cells but the header has {len(header)}",
                line=line,
                input=",".join(row),
            )
            continue
        item: dict[str, Any] = {
            name: cell for name, cell in zip(header, row, strict=False) if cell.strip()
        }
        item["_line"] = line
        item["_input"] = item.get("value", ",".join(row))
        yield item


def _header(row: list[str] | None) -> list[str] | ParseProblem:
    if row is None:
        return ParseProblem("CSV is empty; expected a header row with a 'value' column", line=1)
    names = [cell.strip().lower() for cell in row]
    if "value" not in names:
        return ParseProblem(
            "header must name a 'value' column (type,value,tlp,labels,confidence,valid_until,"
            "comment)",
            line=1,
            input=",".join(row),
        )
    if len(set(names)) != len(names):
        return ParseProblem("header repeats a column name", line=1, input=",".join(row))
    return names


FORMAT = FormatSpec(
    name="csv",
    media_types=("text/csv", "application/csv"),
    read=read_csv,
    description="CSV with a header: type,value,tlp,labels,confidence,valid_until,comment",
    extensions=(".csv",),
)
