"""CSV channel: one row per entry, for SIEM lookups and spreadsheets. PURE.

RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, quote or line
break (rule text does), quotes doubled. Header::

    type,value,labels,confidence,tlp,pap,first_seen,report

CSV is a LOOKUP format: it follows the member's filter and carries every kind. Cells starting
with ``=``, ``+``, ``-``, ``@``, TAB or CR get a leading ``'`` so spreadsheets do not evaluate
them (OWASP "CSV Injection"); readers strip one leading ``'`` from such cells. Labels are joined
with ``;``. Items are encoded rows; the header row is the only header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from phalanx.channels.formats.base import ChannelFormat, Collected, admit_entries
from phalanx.channels.model import DeliveryEntry, Use
from phalanx.clock import format_timestamp
from phalanx.observables.kinds import ObservableType

KINDS = frozenset(ObservableType)
HEADER = ("type", "value", "labels", "confidence", "tlp", "pap", "first_seen", "report")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """The cell text with a leading ``'`` when a spreadsheet would read it as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def row(entry: DeliveryEntry) -> str:
    """One encoded CSV row (with its CRLF) for an entry."""
    cells = (
        entry.type.value,
        entry.value,
        ";".join(entry.labels),
        "" if entry.confidence is None else str(entry.confidence),
        entry.tlp.value,
        entry.pap.value,
        format_timestamp(entry.first_seen),
        entry.report_ref,
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """One row per entry the deployment floor admits (identical rows collapse)."""
    admitted, skipped = admit_entries(entries, use=Use.LOOKUP, kinds=KINDS)
    rows = set()
    for entry in admitted:
        text = row(entry)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate cannot be written as UTF-8
            skipped["invalid-text"] += 1
        else:
            rows.add(text)
    return Collected(frozenset(rows), dict(sorted(skipped.items())))


def assemble(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """The header row, then the rows in sorted order."""
    header = ",".join(HEADER) + "\r\n"
    return (header + "".join(sorted(items))).encode("utf-8")


FORMAT = ChannelFormat(
    name="csv",
    kinds=KINDS,
    use=Use.LOOKUP,
    media_type="text/csv; charset=utf-8; header=present",  # RFC 7111 / RFC 4180
    extension=".csv",
    collect=collect,
    assemble=assemble,
    description="CSV, one row per entry (type, value, labels, confidence, TLP, PAP, ...)",
)


def render(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render the CSV table for one channel version."""
    return FORMAT.render(entries, channel_name=channel_name, version=version, generated=generated)
