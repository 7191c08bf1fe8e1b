"""JSON lines: one JSON object per line, fields picked by a field map. PURE.

The default map knows common flat names (``src_ip``, ``query``, ``url``, ``sha256``...) and
the Elastic Common Schema paths (``source.ip``, ``dns.question.name``, ``url.full``,
``file.hash.sha256``...); values may be strings or lists of strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from phalanx.matcher.logs.fields import FieldMap
from phalanx.matcher.logs.records import group_paths, record_observations, record_timestamp
from phalanx.matcher.model import LogProblem, Observation
from phalanx.observables.kinds import ObservableType as T

DEFAULT_FIELDS: FieldMap = {
    "src_ip": T.IPV4, "dst_ip": T.IPV4, "dest_ip": T.IPV4, "src": T.IPV4, "dst": T.IPV4,
    "ip": T.IPV4, "client_ip": T.IPV4, "server_ip": T.IPV4, "remote_addr": T.IPV4,
    "source.ip": T.IPV4, "destination.ip": T.IPV4, "client.ip": T.IPV4, "server.ip": T.IPV4,
    "domain": T.DOMAIN, "query": T.DOMAIN, "qname": T.DOMAIN, "hostname": T.DOMAIN,
    "host": T.DOMAIN, "sni": T.DOMAIN, "dns.question.name": T.DOMAIN, "url.domain": T.DOMAIN,
    "destination.domain": T.DOMAIN, "tls.client.server_name": T.DOMAIN,
    "url": T.URL, "url.full": T.URL, "url.original": T.URL, "referrer": T.URL,
    "md5": T.MD5, "sha1": T.SHA1, "sha256": T.SHA256, "sha512": T.SHA512,
    "file.hash.md5": T.MD5, "file.hash.sha1": T.SHA1, "file.hash.sha256": T.SHA256,
    "email": T.EMAIL, "sender": T.EMAIL, "recipient": T.EMAIL, "email.from.address": T.EMAIL,
    "hash": None, "indicator": None, "message": None, "msg": None,
}  # fmt: skip
TIMESTAMP_FIELDS = ("@timestamp", "timestamp", "ts", "time", "event.created")


def read_jsonl(
    lines: Iterable[bytes], field_map: FieldMap | None = None
) -> Iterator[Observation | LogProblem]:
    """Yield the observations of JSON lines (``field_map`` replaces the default map)."""
    paths = group_paths(field_map or DEFAULT_FIELDS)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield LogProblem(number, f"invalid JSON: {error}")
            continue
        if not isinstance(record, dict):
            yield LogProblem(number, f"expected a JSON object, got {type(record).__name__}")
            continue
        yield from record_observations(
            record, paths, number, record_timestamp(record, TIMESTAMP_FIELDS)
        )
