"""Published sources: already-public intelligence, imported as TLP:CLEAR reports. Service.

A published source is an organisation of kind ``published`` plus a ``published_sources``
row (format, optional URL and refresh period). Importing runs the values through the normal
contribution pipeline as that organisation, TLP:CLEAR, each report starting at the value's
first-seen time; it is not scored. Novelty then answers ``published`` for these values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from sqlalchemy import Connection, select, update

from phalanx.alliance.feed_formats import FORMATS, FeedRead, read_misp_feed, read_payload
from phalanx.audit.record import record
from phalanx.clock import from_micros, to_micros
from phalanx.errors import Conflict, InvalidInput, NotFound, UpstreamError
from phalanx.ingest.pipeline import Request, contribute
from phalanx.members import service as members
from phalanx.members.model import OrgKind, Principal, Role
from phalanx.store.tables import organisations, published_sources

if TYPE_CHECKING:
    from phalanx.hub import Hub

SOURCE_COUNTRY = "ZZ"  # ISO 3166 user-assigned: a published source has no country


@dataclass(frozen=True, slots=True)
class Source:
    """A published source as stored."""

    id: int
    name: str
    org_id: int
    format: str
    url: str | None
    refresh_hours: int | None
    created_at: datetime
    last_imported_at: datetime | None
    last_count: int | None

    def due(self, now: datetime) -> bool:
        """True when a URL source's refresh period has passed (or it was never imported)."""
        if not self.url or not self.refresh_hours:
            return False
        last = self.last_imported_at
        return last is None or now >= last + timedelta(hours=self.refresh_hours)

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "org_id": self.org_id,
            "format": self.format,
            "url": self.url,
            "refresh_hours": self.refresh_hours,
            "created_at": self.created_at.isoformat(),
            "last_imported_at": None
            if self.last_imported_at is None
            else self.last_imported_at.isoformat(),
            "last_count": self.last_count,
        }


def add(
    hub: Hub,
    conn: Connection,
    *,
    name: str,
    format: str,
    now: datetime,
    url: str | None = None,
    refresh_hours: int | None = None,
    actor: str = "cli",
) -> Source:
    """Register a published source (and the organisation its reports belong to)."""
    if format not in FORMATS:
        raise InvalidInput(f"must be one of {', '.join(FORMATS)}", field="format")
    if refresh_hours is not None and (refresh_hours < 1 or not url):
        raise InvalidInput("needs a URL and at least 1 hour", field="refresh_hours")
    if url is not None and not url.startswith(("https://", "http://")):
        raise InvalidInput("must be an http(s) URL", field="url")
    if find(conn, name) is not None:
        raise Conflict(f"a published source named {name!r} already exists", field="name")
    org = members.create_org(
        conn,
        hub.db,
        name=name,
        kind=OrgKind.PUBLISHED.value,
        country=SOURCE_COUNTRY,
        now=now,
        actor=actor,
    )
    conn.execute(
        published_sources.insert().values(
            name=org.name,
            org_id=org.id,
            format=format,
            url=url,
            refresh_hours=refresh_hours,
            created_at=to_micros(now),
        )
    )
    return get(conn, org.name)


def find(conn: Connection, name: str) -> Source | None:
    """The source called ``name``, or None."""
    row = conn.execute(
        select(published_sources).where(published_sources.c.name == name.strip())
    ).first()
    return None if row is None else _source(row._mapping)


def get(conn: Connection, name: str) -> Source:
    """The source called ``name``; raise NotFound."""
    found = find(conn, name)
    if found is None:
        raise NotFound(f"no published source named {name!r}")
    return found


def list_(conn: Connection) -> list[Source]:
    """Every published source, by name."""
    rows = conn.execute(select(published_sources).order_by(published_sources.c.name))
    return [_source(r._mapping) for r in rows]


def read_path(format: str, path: Path) -> FeedRead:
    """Read a file (or, for ``misp-feed``, a feed directory) of a published source."""
    if format == "misp-feed":
        folder = path if path.is_dir() else path.parent
        manifest = folder / "manifest.json"
        if not manifest.is_file():
            raise InvalidInput(f"{folder} has no manifest.json", field="path")
        events = sorted(p for p in folder.glob("*.json") if p.name != "manifest.json")
        try:
            return read_misp_feed(manifest.read_bytes(), ((p.stem, p.read_bytes()) for p in events))
        except ValueError as error:
            raise InvalidInput(str(error), field="path") from None
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", field="path")
    return read_payload(format, path.read_bytes())


def import_read(
    hub: Hub, conn: Connection, *, source: Source, read: FeedRead, now: datetime
) -> dict[str, Any]:
    """Store what was read as the source's TLP:CLEAR reports.

    Returns the counts (new, known, rejected), each rejected item with its index and reason,
    and how many records of unsupported types the reader skipped.
    """
    caller = Principal(
        key_db_id=None,  # type: ignore[arg-type]  # imported by the hub, not through a key
        key_id="feed:" + source.name,
        org_id=source.org_id,
        org_name=source.name,
        org_country=SOURCE_COUNTRY,
        role=Role.CONTRIBUTOR,
        purpose="network-defense",
    )
    digest = hashlib.sha256(orjson.dumps(read.records, default=str)).hexdigest()
    counts = {"new": 0, "known": 0, "rejected": 0}
    problems: list[dict[str, Any]] = []
    size = hub.settings.max_items_per_contribution
    # A feed may be larger than one contribution may hold: import it in contributions of
    # the largest allowed size, all in the caller's one transaction.
    for start in range(0, max(len(read.records), 1), size):
        chunk = read.records[start : start + size]
        seen = {i - start: t for i, t in read.first_seen.items() if start <= i < start + size}
        request = Request(
            records=chunk,
            defaults={"tlp": "clear", "pap": "clear"},
            format=f"feed:{source.format}",
            published=True,
            first_seen=seen,
        )
        body, _ = contribute(hub, conn, principal=caller, request=request)
        answer = orjson.loads(body)
        for name, count in answer["counts"].items():
            counts[name] += count
        problems += [
            {**item, "index": start + index}
            for index, item in enumerate(answer["items"])
            if item["outcome"] == "rejected"
        ]
    result: dict[str, Any] = {"counts": counts, "rejected": problems, "points": 0}
    conn.execute(
        update(published_sources)
        .where(published_sources.c.id == source.id)
        .values(
            last_imported_at=to_micros(now),
            last_digest=digest,
            last_count=len(read.records),
        )
    )
    record(
        conn,
        hub.db,
        action="feed.import",
        at=to_micros(now),
        actor="feed:" + source.name,
        subject=f"published-source:{source.name}",
        details={"items": len(read.records), "skipped": read.skipped, **counts},
    )
    result["skipped"] = read.skipped
    return result


def is_published_org(conn: Connection, org_id: int) -> bool:
    """True when the organisation is a published source."""
    kind = conn.execute(select(organisations.c.kind).where(organisations.c.id == org_id)).scalar()
    return kind == OrgKind.PUBLISHED.value


def _source(m: Any) -> Source:
    last = m["last_imported_at"]
    return Source(
        id=m["id"],
        name=m["name"],
        org_id=m["org_id"],
        format=m["format"],
        url=m["url"],
        refresh_hours=m["refresh_hours"],
        created_at=from_micros(m["created_at"]),
        last_imported_at=None if last is None else from_micros(last),
        last_count=m["last_count"],
    )


def fetch(source: Source, client: httpx.Client) -> FeedRead:
    """Download a URL source: one file, or a MISP feed's manifest and every event it lists."""
    if not source.url:
        raise InvalidInput(f"published source {source.name!r} has no URL", field="url")
    try:
        if source.format != "misp-feed":
            return read_payload(source.format, _get(client, source.url))
        base = source.url.rstrip("/")
        if base.endswith("manifest.json"):
            base = base.rsplit("/", 1)[0]
        manifest = _get(client, f"{base}/manifest.json")
        listed = orjson.loads(manifest)
        events = ((uuid, _get(client, f"{base}/{uuid}.json")) for uuid in listed)
        return read_misp_feed(manifest, events)
    except (httpx.HTTPError, orjson.JSONDecodeError) as error:
        raise UpstreamError(f"published source {source.name!r}: {error}", peer=source.url) from None
    except ValueError as error:
        raise InvalidInput(f"published source {source.name!r}: {error}", field="url") from None


def refresh_due(
    hub: Hub, *, now: datetime, client: httpx.Client, names: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Fetch and import every URL source whose refresh period has passed (or those named).

    Each source is fetched outside any transaction and imported in its own, so one failing
    source does not hold back the others; its error is returned in place of its counts.
    """
    with hub.db.read() as conn:
        every = list_(conn)
    sources = [s for s in every if s.name in names] if names else [s for s in every if s.due(now)]
    results: dict[str, dict[str, Any]] = {}
    for source in sources:
        try:
            read = fetch(source, client)
            with hub.db.transaction() as conn:
                results[source.name] = import_read(hub, conn, source=source, read=read, now=now)
        except (InvalidInput, UpstreamError) as error:
            results[source.name] = {"error": str(error)}
    return results


def _get(client: httpx.Client, url: str) -> bytes:
    response = client.get(url)
    response.raise_for_status()
    return response.content
