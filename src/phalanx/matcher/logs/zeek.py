"""Zeek TSV logs (conn, dns, http, files, ssl...): ``#fields`` header, tab-separated rows.

PURE. Header lines give the separator, the set separator, the unset and empty markers, the
log path and the field names; a row before ``#fields`` or with the wrong column count is a
problem. Default fields per log path; ``http`` logs also yield ``http://host/uri`` as a URL
(field ``url``). ``ts`` (epoch seconds) becomes the observation time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from phalanx.matcher.logs.fields import FieldMap
from phalanx.matcher.model import LogProblem, Observation
from phalanx.observables.kinds import ObservableType as T

_HOSTS: FieldMap = {"id.orig_h": T.IPV4, "id.resp_h": T.IPV4}
DEFAULT_FIELDS: dict[str, FieldMap] = {
    "conn": _HOSTS,
    "dns": {**_HOSTS, "query": T.DOMAIN, "answers": None},
    "http": {**_HOSTS, "host": T.DOMAIN, "referrer": T.URL},  # and url = http://host/uri
    "files": {
        "tx_hosts": T.IPV4, "rx_hosts": T.IPV4,
        "md5": T.MD5, "sha1": T.SHA1, "sha256": T.SHA256,
    },
    "ssl": {**_HOSTS, "server_name": T.DOMAIN},
    "x509": {"certificate.subject": None, "san.dns": T.DOMAIN},
    "notice": {**_HOSTS, "src": T.IPV4, "dst": T.IPV4, "msg": None, "sub": None},
}  # fmt: skip


@dataclass(slots=True)
class _Header:
    """What the ``#`` lines said so far."""

    separator: str = "\t"
    set_separator: str = ","
    unset: str = "-"
    empty: str = "(empty)"
    path: str = ""
    names: list[str] = field(default_factory=list)
    ts: int = -1  # column indices, -1 when absent
    host: int = -1
    uri: int = -1


def read_zeek(
    lines: Iterable[bytes], field_map: FieldMap | None = None
) -> Iterator[Observation | LogProblem]:
    """Yield the observations of a Zeek TSV log (``field_map`` replaces the defaults)."""
    header = _Header()
    columns: list[tuple[int, str, T | None]] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", "replace")  # Zeek escapes odd bytes as \x..; stay lenient
        if text.startswith("#"):
            fields = _read_header(header, text, field_map)
            columns = columns if fields is None else fields
            continue
        if not text.strip():
            continue
        if not header.names:
            yield LogProblem(number, "data before the #fields header")
            continue
        row = text.split(header.separator)
        if len(row) != len(header.names):
            yield LogProblem(number, f"expected {len(header.names)} fields, got {len(row)}")
            continue
        yield from _row_observations(header, columns, row, number)


def _read_header(
    header: _Header, text: str, field_map: FieldMap | None
) -> list[tuple[int, str, T | None]] | None:
    """Apply one ``#`` line; return the columns to read when it was ``#fields``."""
    key, _, rest = text[1:].partition(
        header.separator if not text.startswith("#separator") else " "
    )
    if key == "separator":
        header.separator = rest.strip().encode().decode("unicode_escape")
    elif key == "set_separator":
        header.set_separator = rest
    elif key == "unset_field":
        header.unset = rest
    elif key == "empty_field":
        header.empty = rest
    elif key == "path":
        header.path = rest
    elif key == "fields":
        header.names = rest.split(header.separator)
        index = {name: i for i, name in enumerate(header.names)}
        header.ts, header.host, header.uri = (index.get(n, -1) for n in ("ts", "host", "uri"))
        wanted = field_map or DEFAULT_FIELDS.get(header.path, _HOSTS)
        return [(i, name, wanted[name]) for i, name in enumerate(header.names) if name in wanted]
    return None


def _row_observations(
    header: _Header, columns: list[tuple[int, str, T | None]], row: list[str], number: int
) -> Iterator[Observation]:
    """Yield the observations of one data row."""
    ts = _epoch(row[header.ts]) if header.ts >= 0 else None
    for index, name, kind in columns:
        cell = row[index]
        if cell in (header.unset, header.empty, ""):
            continue
        for value in cell.split(header.set_separator) if header.set_separator in cell else (cell,):
            yield Observation(kind, value, number, name, ts)
    if header.path == "http" and header.host >= 0 and header.uri >= 0:
        host, uri = row[header.host], row[header.uri]
        if host not in (header.unset, header.empty) and uri.startswith("/"):
            yield Observation(T.URL, f"http://{host}{uri}", number, "url", ts)


def _epoch(text: str) -> datetime | None:
    """Return Zeek's epoch-seconds time as a UTC datetime (None if unset or garbled)."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        return None
