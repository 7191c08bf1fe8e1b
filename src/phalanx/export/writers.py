"""Export writers: report views in, text chunks out. PURE."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from phalanx.intel.model import ReportView

CSV_HEADER = (
    "type",
    "value",
    "tlp",
    "pap",
    "labels",
    "confidence",
    "valid_from",
    "valid_until",
    "org",
    "created",
    "report_id",
    "comment",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(batches: Iterable[list[ReportView]]) -> Iterator[bytes]:
    """Yield RFC 4180 CSV, one row per report, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield _drain(buffer)
    for batch in batches:
        for report in batch:
            writer.writerow([_cell(value) for value in _csv_row(report)])
        yield _drain(buffer)


def write_text(batches: Iterable[list[ReportView]]) -> Iterator[bytes]:
    """Yield one distinct value per line (batches arrive ordered by observable)."""
    previous: tuple[str, str] | None = None
    for batch in batches:
        lines = []
        for report in batch:
            current = (report.type.value, report.value)
            if current != previous:
                # Rule bodies span lines; plain lists only carry single-line values.
                if "\n" not in report.value:
                    lines.append(report.value)
                previous = current
        if lines:
            yield ("\n".join(lines) + "\n").encode()


def _csv_row(report: ReportView) -> list[object]:
    return [
        report.type.value,
        report.value,
        report.tlp.value,
        report.pap.value,
        ";".join(report.labels),
        "" if report.confidence is None else report.confidence,
        "" if report.valid_from is None else report.valid_from.isoformat(),
        "" if report.valid_until is None else report.valid_until.isoformat(),
        report.org or "",
        report.created.isoformat(),
        report.id,
        report.comment or "",
    ]


def _cell(value: object) -> object:
    # A leading = + - @ makes spreadsheets evaluate the cell (CSV injection, OWASP).
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data
