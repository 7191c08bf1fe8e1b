"""The STIX object store: every contributed object version, verbatim, read through the policy.

Versions of one object are kept per contributing organisation: ``(stix_id, org_id)`` is one
version history (STIX 2.1 §3.6: only the creator versions an object). Keeping another
member's copy of the same id apart means a write never reveals whether someone else holds it.
``is_latest``/``is_first`` mark the newest and oldest version of each history, so the
default ``match[version]=last`` is a column test, not a per-row subquery.

Writes take the TAXII write lock (PostgreSQL advisory lock; SQLite serialises writers
already) before assigning ``date_added``: strictly increasing, one microsecond apart within a
batch, in commit order. A reader polling with ``added_after`` or ``next`` therefore never
skips a version that commits later with an earlier timestamp, and pages keyed on ``seq`` are
pages in date_added order.

Every read selects from the table aliased as ``reports`` and ANDs the viewer's visibility
condition (store/visibility.py), the same SQL the reports table is filtered with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    false,
    null,
    or_,
    select,
    text,
    update,
)

from phalanx.clock import format_timestamp, from_micros
from phalanx.errors import Forbidden, NotFound
from phalanx.policy.plan import VisibilityPlan
from phalanx.store.db import Database, driver_sql
from phalanx.store.tables import stix_objects
from phalanx.store.visibility import condition
from phalanx.taxii.query import ObjectQuery, Versions

# An arbitrary constant naming the TAXII write lock ("PHXTAXII").
WRITE_LOCK_KEY = 0x5048585441584949 >> 1
CHUNK = 500
INSERT_COLUMNS = (
    "stix_id",
    "type",
    "spec_version",
    "version",
    "version_us",
    "date_added",
    "is_latest",
    "is_first",
    "digest",
    "content",
    "org_id",
    "contribution_id",
    "scope_id",
    "kind",
    "labels",
    "created_at",
)
_o = stix_objects.alias("reports")


@dataclass(slots=True)
class NewVersion:
    """One object version to store (from formats/stix21/objects.py and the caller's scope)."""

    index: int  # position in the request
    stix_id: str
    type: str
    spec_version: str
    version: str | None  # None: unversioned (SCO), told apart by content
    version_us: int | None
    digest: str
    content: bytes
    scope_id: int
    kind: str
    labels: str


@dataclass(slots=True)
class Stored:
    """What became of one NewVersion."""

    index: int
    stix_id: str
    version: str
    added: bool  # False: this exact version was already stored (not an error, §5.5)
    failure: str | None = None
    date_added: int | None = None  # of the stored version (None on a failure)


@dataclass(frozen=True, slots=True)
class Selection:
    """What a collection holds: scopes (None: any) and STIX types (empty: any)."""

    scope_ids: frozenset[int] | None = None
    types: tuple[str, ...] = ()


class Row(NamedTuple):
    """One stored version as a read returns it (a tuple: pages build a thousand at a time)."""

    seq: int
    stix_id: str
    version: str
    date_added: int
    content: bytes | None  # None when the read asked for no content


def lock_writes(conn: Connection, db: Database) -> None:
    """Take the TAXII write lock for the rest of the transaction."""
    if not db.is_sqlite:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})


def add_versions(
    conn: Connection,
    db: Database,
    *,
    org_id: int,
    contribution_id: int | None,
    versions: Sequence[NewVersion],
    now_us: int,
) -> list[Stored]:
    """Store new versions for one organisation; exact re-sends are recognised, not repeated."""
    lock_writes(conn, db)
    history = _histories(conn, db, org_id, sorted({v.stix_id for v in versions}))
    last = conn.execute(
        select(stix_objects.c.date_added).order_by(stix_objects.c.date_added.desc()).limit(1)
    ).scalar()
    moment = max(now_us, (last or 0) + 1)
    outcomes: list[Stored] = []
    rows: list[list[Any]] = []
    for new in versions:
        versions_of = history.setdefault(new.stix_id, [])
        same = _same_version(new, versions_of) if versions_of else None
        if same is not None:
            if same[2] == new.digest:
                outcomes.append(
                    Stored(new.index, new.stix_id, same[3], added=False, date_added=same[4])
                )
            else:
                outcomes.append(
                    Stored(new.index, new.stix_id, same[3], added=False, failure=_CONFLICT)
                )
            continue
        version = new.version if new.version is not None else _taxii_version(moment)
        version_us = new.version_us if new.version_us is not None else moment
        entry = [None, version_us, new.digest, version, moment]
        versions_of.append(entry)
        rows.append(
            [
                new.stix_id,
                new.type,
                new.spec_version,
                version,
                version_us,
                moment,
                False,
                False,
                new.digest,
                new.content,
                org_id,
                contribution_id,
                new.scope_id,
                new.kind,
                new.labels,
                moment,
            ]
        )
        entry.append(rows[-1])
        outcomes.append(Stored(new.index, new.stix_id, version, added=True, date_added=moment))
        moment += 1
    _set_flags(conn, history)
    db.bulk_insert(conn, stix_objects.name, INSERT_COLUMNS, [tuple(row) for row in rows])
    return outcomes


_CONFLICT = (
    "a different object with this id and version was already stored; a changed object needs "
    "a later 'modified' (STIX 2.1 §3.6)"
)


def _taxii_version(micros: int) -> str:
    return format_timestamp(from_micros(micros))


def _histories(
    conn: Connection, db: Database, org_id: int, ids: list[str]
) -> dict[str, list[list[Any]]]:
    """Stored versions by id: [seq, version_us, digest, version, date_added, flags...].

    Raw SQL: compiling an expanding IN of hundreds of ids costs more than the lookup.
    """
    found: dict[str, list[list[Any]]] = {}
    for start in range(0, len(ids), CHUNK):
        matching, params = db.any_of("stix_id", ids[start : start + CHUNK])
        rows = conn.exec_driver_sql(
            "SELECT seq, stix_id, version_us, digest, version, date_added FROM stix_objects"
            f" WHERE org_id = {db.param} AND {matching}",
            (org_id, *params),
        )
        for seq, stix_id, version_us, digest, version, date_added in rows:
            found.setdefault(stix_id, []).append([seq, version_us, digest, version, date_added])
    return found


def _same_version(new: NewVersion, stored: list[list[Any]]) -> list[Any] | None:
    if new.version_us is None:  # unversioned: the same content is the same version
        return next((entry for entry in stored if entry[2] == new.digest), None)
    return next((entry for entry in stored if entry[1] == new.version_us), None)


def _set_flags(conn: Connection, history: dict[str, list[list[Any]]]) -> None:
    """Mark the newest and oldest version of each history (stored rows updated, new rows set)."""
    latest_on: list[int] = []
    latest_off: list[int] = []
    first_on: list[int] = []
    first_off: list[int] = []
    for entries in history.values():
        if len(entries) == 1:  # most objects: one version, either new or untouched
            if entries[0][0] is None:
                entries[0][5][6] = entries[0][5][7] = True
            continue
        if all(entry[0] is not None for entry in entries):
            continue  # nothing new in this history
        newest = max(entries, key=lambda e: (e[1], e[4]))
        oldest = min(entries, key=lambda e: (e[1], e[4]))
        for entry in entries:
            if entry[0] is None:  # a new row: set its flags before it is inserted
                entry[5][6], entry[5][7] = entry is newest, entry is oldest
                continue
            (latest_on if entry is newest else latest_off).append(entry[0])
            (first_on if entry is oldest else first_off).append(entry[0])
    t = stix_objects.c
    for seqs, values in (
        (latest_on, {"is_latest": True}),
        (latest_off, {"is_latest": False}),
        (first_on, {"is_first": True}),
        (first_off, {"is_first": False}),
    ):
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            conn.execute(update(stix_objects).where(t.seq.in_(chunk)).values(**values))


def read_page(
    conn: Connection,
    plan: VisibilityPlan,
    *,
    query: ObjectQuery,
    selection: Selection,
    object_id: str | None = None,
    with_content: bool = True,
) -> tuple[list[Row], bool]:
    """One page of visible versions in date_added order, and whether more follow."""
    start = _start_seq(conn, query)
    if start is None:
        return [], False
    content = _o.c.content if with_content else null().label("content")
    columns = [_o.c.seq, _o.c.stix_id, _o.c.version, _o.c.date_added, content]
    conditions = [_o.c.seq > start, *_filters(query, selection, object_id)]
    statement = (
        select(*columns)
        .where(and_(*conditions), condition(plan))
        .order_by(_o.c.seq)
        .limit(query.limit + 1)
    )
    # The driver's tuples become Rows as they are; Row(*r) would unpack each through Python.
    rows = list(map(tuple.__new__, repeat(Row), _fetch(conn, statement)))
    more = len(rows) > query.limit
    return rows[: query.limit], more


def _fetch(conn: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Run a page query; take the rows straight off the DB-API cursor as plain tuples.

    The statement still goes through SQLAlchemy's compiled cache, but a page is a thousand
    rows of JSON and SQLAlchemy's row processing cost more than the query itself.
    """
    if conn.dialect.name != "postgresql":
        result = conn.execute(statement)
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()
    # PostgreSQL: binary results, or every object's bytes travel hex-encoded (twice the size,
    # encoded by the server and decoded here).
    sql, params = driver_sql(conn, statement)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params, binary=True)  # type: ignore[call-arg]
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _start_seq(conn: Connection, query: ObjectQuery) -> int | None:
    """The store position a page starts after (None: nothing can follow)."""
    start = query.after_seq
    if query.added_after is None:
        return start
    t = stix_objects.c
    # date_added grows with seq: the first version added after the moment bounds the page.
    first = conn.execute(
        select(t.seq).where(t.date_added > query.added_after).order_by(t.date_added).limit(1)
    ).scalar()
    if first is None:
        return None
    return max(start, int(first) - 1)


def _filters(
    query: ObjectQuery, selection: Selection, object_id: str | None
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if object_id is not None:
        found.append(_o.c.stix_id == object_id)
    if query.ids:
        found.append(_o.c.stix_id.in_(query.ids))
    if query.types:
        found.append(_o.c.type.in_(query.types))
    if selection.types:
        found.append(_o.c.type.in_(selection.types))
    if selection.scope_ids is not None:
        if not selection.scope_ids:
            found.append(false())
        else:
            found.append(_o.c.scope_id.in_(sorted(selection.scope_ids)))
    if query.spec_versions:
        found.append(_o.c.spec_version.in_(query.spec_versions))
    version = _versions(query.versions)
    if version is not None:
        found.append(version)
    return found


def _versions(versions: Versions) -> ColumnElement[bool] | None:
    if versions.all:
        return None
    terms: list[ColumnElement[bool]] = []
    if versions.last:
        terms.append(_o.c.is_latest.is_(True))
    if versions.first:
        terms.append(_o.c.is_first.is_(True))
    if versions.exact:
        terms.append(_o.c.version_us.in_(versions.exact))
    return or_(*terms) if terms else false()


@dataclass(frozen=True, slots=True)
class Deletion:
    """What a delete removed, per contributing organisation."""

    versions: int
    removed: dict[int, list[bytes]]  # org id -> the JSON of its versions that went
    latest: dict[int, bytes | None]  # org id -> its newest version left (None: none left)


def delete_versions(
    conn: Connection,
    db: Database,
    plan: VisibilityPlan,
    *,
    object_id: str,
    query: ObjectQuery,
    selection: Selection,
    org_id: int,
    admin: bool,
) -> Deletion:
    """Delete the visible versions of one object that match; say what went and what is left.

    NotFound when the caller sees none; Forbidden when it sees versions another organisation
    contributed (only the contributor, or a hub admin, removes an object).
    """
    lock_writes(conn, db)
    statement = (
        select(_o.c.seq, _o.c.org_id, _o.c.content)
        .where(and_(*_filters(query, selection, object_id)), condition(plan))
        .order_by(_o.c.seq)
    )
    rows = conn.execute(statement).all()
    if not rows:
        raise NotFound("no such object in this collection")
    if not admin and any(row.org_id != org_id for row in rows):
        raise Forbidden("only the organisation that contributed an object may delete it")
    seqs = [row.seq for row in rows]
    t = stix_objects.c
    for start in range(0, len(seqs), CHUNK):
        conn.execute(delete(stix_objects).where(t.seq.in_(seqs[start : start + CHUNK])))
    removed: dict[int, list[bytes]] = {}
    for row in rows:
        removed.setdefault(row.org_id, []).append(bytes(row.content))
    latest = {owner: _reflag(conn, object_id, owner) for owner in sorted(removed)}
    return Deletion(len(seqs), removed, latest)


def _reflag(conn: Connection, object_id: str, org_id: int) -> bytes | None:
    """Recompute the newest/oldest marks of one history after versions left it.

    Returns the JSON of the newest version left, or None when the history is empty.
    """
    t = stix_objects.c
    remaining = conn.execute(
        select(t.seq, t.version_us, t.date_added).where(t.stix_id == object_id, t.org_id == org_id)
    ).all()
    if not remaining:
        return None
    newest = max(remaining, key=lambda r: (r.version_us, r.date_added)).seq
    oldest = min(remaining, key=lambda r: (r.version_us, r.date_added)).seq
    where = and_(t.stix_id == object_id, t.org_id == org_id)
    conn.execute(update(stix_objects).where(where).values(is_latest=t.seq == newest))
    conn.execute(update(stix_objects).where(where).values(is_first=t.seq == oldest))
    content = conn.execute(select(t.content).where(t.seq == newest)).scalar_one()
    return bytes(content)
