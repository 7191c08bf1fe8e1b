"""CSV channel: parsed back with the csv module, RFC 4180 quoting, formula-safe cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

from phalanx.channels.formats import csv_table
from phalanx.channels.model import ChannelFilter, DeliveryEntry

EntryFactory = Callable[..., DeliveryEntry]
CHANNEL = "siem lookup"


def read_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_rows_parse_back_to_the_entries(
    mixed_entries: list[DeliveryEntry], generated: datetime
) -> None:
    selected = csv_table.FORMAT.select(mixed_entries, ChannelFilter())
    body = csv_table.render(selected, channel_name=CHANNEL, version=1, generated=generated)
    header, *rows = read_rows(body)
    assert header == list(csv_table.HEADER)
    assert len(rows) == len(mixed_entries)
    by_value = {row[1]: row for row in rows}
    for entry in mixed_entries:
        assert by_value[entry.value] == [
            entry.type.value,
            entry.value,
            "c2;malware:emotet",
            "80",
            "green",
            "green",
            "2026-11-01T08:30:00.000000Z",
            "report-123",
        ]
    assert rows == sorted(rows, key=lambda row: (row[0], row[1]))


def test_rfc_4180_line_ends_and_quoting(entry: EntryFactory, generated: datetime) -> None:
    rule = 'rule q\n{\n  strings:\n    $a = "x,y"\n  condition:\n    $a\n}\n'
    body = csv_table.render(
        [entry("yara", rule)], channel_name=CHANNEL, version=1, generated=generated
    )
    assert body.startswith(b"type,value,labels,confidence,tlp,pap,first_seen,report\r\n")
    assert b'"rule q\n{\n  strings:\n    $a = ""x,y""' in body
    assert body.endswith(b"\r\n")
    assert read_rows(body)[1][1] == rule


def test_formula_cells_are_defused(entry: EntryFactory, generated: datetime) -> None:
    body = csv_table.render(
        [
            entry("url", '=HYPERLINK("http://evil-phx.xyz")', labels=("+cmd", "-x", "@sum")),
            entry("domain", "evil-phx.xyz", report_ref="@report"),
        ],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    rows = read_rows(body)[1:]
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://evil-phx.xyz")' in cells
    assert "'@report" in cells and "'+cmd;-x;@sum" in cells


def test_unknown_confidence_is_an_empty_cell(entry: EntryFactory) -> None:
    assert csv_table.row(entry("domain", "evil-phx.xyz", confidence=None)).split(",")[3] == ""


def test_never_deploy_rows_are_left_out(entry: EntryFactory) -> None:
    collected = csv_table.collect(
        [entry("domain", "own-phx.xyz", never_deploy="member domain")], channel_name=CHANNEL
    )
    assert collected.items == frozenset() and collected.skipped == {"never-deploy": 1}


def test_text_that_cannot_be_utf_8_is_skipped(entry: EntryFactory) -> None:
    collected = csv_table.collect([entry("email", "\ud800@bad-phx.xyz")], channel_name=CHANNEL)
    assert collected.items == frozenset() and collected.skipped == {"invalid-text": 1}
