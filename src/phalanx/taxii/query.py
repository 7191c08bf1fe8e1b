"""Filtering and pagination parameters (TAXII 2.1 §3.4, §3.5; spec-notes §1.4-1.5). PURE.

``parse_query`` turns the query string of one endpoint into an :class:`ObjectQuery`. Any
malformed parameter is a :class:`BadRequest` (400, §3.4): a repeated parameter, a ``limit``
that is not a positive integer, a timestamp that is not RFC 3339, ``all`` combined with other
versions, a ``next`` that was not issued for these filters. Parameters the endpoint does not
define are ignored (§3.4.1 lets unknown ``match`` fields be ignored).

``next`` is ``<seq>.<fingerprint>``: the store position after the page and a digest of the
filters it was issued for. It only moves the start of the next query; every page is filtered
by the policy again, so a forged ``next`` cannot show anything (§3.5: do not trust it blindly).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from phalanx.clock import parse_timestamp, to_micros
from phalanx.errors import InvalidInput
from phalanx.formats.stix21.structure import is_identifier

OBJECT = frozenset({"added_after", "limit", "next", "match[version]", "match[spec_version]"})
OBJECTS = OBJECT | {"match[id]", "match[type]"}
VERSIONS = frozenset({"added_after", "limit", "next", "match[spec_version]"})
DELETE = frozenset({"match[version]", "match[spec_version]"})
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]")
_SPEC_VERSION = re.compile(r"\d+\.\d+")
_NEXT = re.compile(r"(\d{1,19})\.([0-9a-f]{16})")


class BadRequest(InvalidInput):
    """A malformed query parameter or request (TAXII 2.1 §3.4: HTTP 400)."""

    title = "Bad request"


@dataclass(frozen=True, slots=True)
class Versions:
    """``match[version]``: keywords and exact versions (microseconds), OR-ed together."""

    first: bool = False
    last: bool = True
    all: bool = False
    exact: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """The filters and page position of one TAXII read."""

    added_after: int | None = None  # microseconds since the epoch
    limit: int = 1_000
    after_seq: int = 0  # from ``next``
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: Versions = Versions()
    spec_versions: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A digest of the filters (not the page position or size), for ``next`` tokens."""
        text = repr((self.added_after, self.ids, self.types, self.versions, self.spec_versions))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def next_token(self, seq: int) -> str:
        """The ``next`` value that continues after store position ``seq``."""
        return f"{seq}.{self.fingerprint()}"


def parse_query(
    params: Iterable[tuple[str, str]],
    *,
    allowed: frozenset[str],
    default_limit: int,
    max_limit: int,
) -> ObjectQuery:
    """Parse an endpoint's query parameters (``allowed`` names the ones it defines)."""
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            continue
        if name in values:
            raise BadRequest("must not be repeated (§3.4)", field=name)
        values[name] = value
    query = ObjectQuery(
        added_after=_timestamp(values["added_after"], "added_after")
        if "added_after" in values
        else None,
        limit=min(_limit(values.get("limit"), default_limit), max_limit),
        ids=_list(values, "match[id]", _check_id),
        types=_list(values, "match[type]", _check_type),
        versions=_versions(values.get("match[version]")),
        spec_versions=_list(values, "match[spec_version]", _check_spec_version),
    )
    token = values.get("next")
    if token is None:
        return query
    match = _NEXT.fullmatch(token)
    if match is None or match.group(2) != query.fingerprint():
        raise BadRequest(
            "is not a 'next' value this server issued for these filters; repeat the filters "
            "of the first request unchanged",
            field="next",
        )
    return ObjectQuery(
        query.added_after,
        query.limit,
        int(match.group(1)),
        query.ids,
        query.types,
        query.versions,
        query.spec_versions,
    )


def _limit(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"must be a positive integer, got {raw!r}", field="limit")
    return int(raw)


def _timestamp(raw: str, field: str) -> int:
    try:
        return to_micros(parse_timestamp(raw))
    except ValueError:
        raise BadRequest(f"{raw!r} is not an RFC 3339 timestamp", field=field) from None


def _list(values: dict[str, str], name: str, check: object) -> tuple[str, ...]:
    raw = values.get(name)
    if raw is None:
        return ()
    items = tuple(item.strip() for item in raw.split(","))
    for item in items:
        if not item or not check(item):  # type: ignore[operator]
            raise BadRequest(f"{item!r} is not a valid value", field=name)
    return tuple(dict.fromkeys(items))


def _check_id(item: str) -> bool:
    return is_identifier(item)


def _check_type(item: str) -> bool:
    return _TYPE.fullmatch(item) is not None


def _check_spec_version(item: str) -> bool:
    return _SPEC_VERSION.fullmatch(item) is not None


def _versions(raw: str | None) -> Versions:
    if raw is None:
        return Versions()
    items = [item.strip() for item in raw.split(",")]
    if "all" in items:
        if len(items) > 1:
            raise BadRequest("'all' must not be combined with other values", field="match[version]")
        return Versions(last=False, all=True)
    if len(set(items)) != len(items):
        raise BadRequest("values must not be repeated", field="match[version]")
    exact = tuple(
        _timestamp(item, "match[version]") for item in items if item not in ("first", "last")
    )
    return Versions(first="first" in items, last="last" in items, exact=exact)
