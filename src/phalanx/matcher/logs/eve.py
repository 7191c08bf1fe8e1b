"""Suricata EVE JSON: one event per line; fields depend on ``event_type``. PURE.

Defaults per event type: every event's ``src_ip``/``dest_ip``; ``dns`` query and answer
names and data (EVE v1 and v2 layouts); ``http`` host, ``http://host/url`` as a URL, and the
referrer; ``tls`` SNI and certificate SHA-1 fingerprint (colons dropped); ``fileinfo``
hashes; ``alert`` events also carry whatever app-layer section they include. A field map
replaces all of that with its own dotted paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from phalanx.matcher.logs.fields import FieldMap, lookup, parse_timestamp
from phalanx.matcher.logs.records import group_paths, record_observations
from phalanx.matcher.model import LogProblem, Observation
from phalanx.observables.kinds import ObservableType as T

COMMON: FieldMap = {"src_ip": T.IPV4, "dest_ip": T.IPV4}
SECTIONS: dict[str, FieldMap] = {
    "dns": {
        "dns.rrname": T.DOMAIN, "dns.rdata": None, "dns.answers": None,
        "dns.queries": None, "dns.grouped.A": T.IPV4, "dns.grouped.AAAA": T.IPV6,
        "dns.grouped.CNAME": T.DOMAIN,
    },
    "http": {"http.hostname": T.DOMAIN, "http.http_refer": T.URL},
    "tls": {"tls.sni": T.DOMAIN},
    "fileinfo": {"fileinfo.md5": T.MD5, "fileinfo.sha1": T.SHA1, "fileinfo.sha256": T.SHA256},
    "smtp": {"smtp.mail_from": T.EMAIL, "smtp.rcpt_to": T.EMAIL, "smtp.helo": T.DOMAIN},
}  # fmt: skip
_DEFAULT_PATHS = group_paths({**COMMON, **{k: v for m in SECTIONS.values() for k, v in m.items()}})


def read_eve(
    lines: Iterable[bytes], field_map: FieldMap | None = None
) -> Iterator[Observation | LogProblem]:
    """Yield the observations of EVE events (``field_map`` replaces the defaults)."""
    paths = group_paths(field_map) if field_map else _DEFAULT_PATHS
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield LogProblem(number, f"invalid JSON: {error}")
            continue
        if not isinstance(event, dict) or not isinstance(event.get("event_type"), str):
            yield LogProblem(number, "not an EVE event (no event_type)")
            continue
        ts = parse_timestamp(event.get("timestamp"))
        yield from record_observations(event, paths, number, ts)
        if field_map is None and ("http" in event or "tls" in event):
            yield from _derived(event, number, ts)


def _derived(event: Mapping[str, Any], number: int, ts: Any) -> Iterator[Observation]:
    """Yield the values EVE splits over several fields: the HTTP URL, the TLS fingerprint."""
    http = event.get("http")
    if isinstance(http, dict):
        host, path = http.get("hostname"), http.get("url")
        if isinstance(host, str) and isinstance(path, str) and path.startswith("/"):
            yield Observation(T.URL, f"http://{host}{path}", number, "http.url", ts)
    fingerprint = lookup(event, "tls.fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        yield Observation(T.SHA1, fingerprint.replace(":", ""), number, "tls.fingerprint", ts)
