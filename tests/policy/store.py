"""Put a random world into a real store, cheaply, and take it out again.

Every world is written inside one transaction on one connection and rolled back after its
checks: no commit, no fsync, no cleanup, on either engine. The hub under test gets a
:class:`OneConnection` database that runs every transaction on that connection (writes in a
savepoint, rolled back too), so services that open their own transactions (export,
contributions, the REST API) see the world, and anything they write disappears with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy import Connection, Table, insert

from phalanx.clock import to_micros
from phalanx.members import secrets
from phalanx.members.model import Principal, Role
from phalanx.policy.labels import encode_labels
from phalanx.policy.model import Scope
from phalanx.policy.scope import scope_digest
from phalanx.store.db import Database
from phalanx.store.tables import (
    agreements,
    api_keys,
    communities,
    community_members,
    contributions,
    observables,
    organisations,
    reports,
    scopes,
    users,
)

from .worlds import NOW, Ids, WorldSpec, key_of, scope

SECRET = "policy-property-secret"


class OneConnection(Database):
    """A store whose transactions all run on one open connection; writes are rolled back."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.__dict__.update(vars(db))
        self.conn = conn

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def transaction(
        self, *, write: bool = True, on: Connection | None = None, foreign_keys: bool = True
    ) -> Iterator[Connection]:
        # foreign_keys is ignored: inside the one open transaction SQLite keeps checking,
        # which only makes the staged write stricter here.
        if not write:
            yield self.conn
            return
        savepoint = self.conn.begin_nested()
        try:
            yield self.conn
        finally:
            savepoint.rollback()


@contextmanager
def rolled_back(db: Database) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back at the end, whatever happens."""
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


@dataclass(frozen=True)
class Stored:
    """A world as stored: ids by spec index, and a key (principal, token) per viewer."""

    ids: Ids
    reports: list[int]  # report id by spec index
    keys: list[int]  # observable key by spec index
    org_names: list[str]
    principals: list[Principal]  # one per viewer spec
    tokens: list[str]


def org_name(index: int) -> str:
    """The name of a world's organisation."""
    return f"Org {index}"


BASE = 1_000_000  # far above the ids the store's sequences hand out while a test runs


def report_ids(spec: WorldSpec) -> list[int]:
    """The ids a world's reports are stored with."""
    return [BASE + 3_001 + 17 * r for r in range(len(spec.reports))]


def store_world(conn: Connection, spec: WorldSpec) -> Stored:
    """Insert every object of ``spec`` with its own ids (inside the caller's transaction).

    One multi-row INSERT per table and no reads: ids are chosen here (Ids.made_up), high
    enough that rows the services add during the checks never collide with them.
    """
    at = to_micros(NOW)
    ids = Ids.made_up(spec, BASE)
    names = [org_name(i) for i in spec.orgs]
    _rows(
        conn,
        organisations,
        [
            {
                "id": ids.orgs[i],
                "name": names[i],
                "kind": "vendor",
                "country": country,
                "uuid": org_uuid(i),
                "created_at": at,
            }
            for i, country in enumerate(spec.countries)
        ],
    )
    _rows(
        conn,
        users,
        [
            {"id": ids.users[u], "org_id": ids.orgs[o], "name": f"user {u}", "role": "analyst"}
            | {"created_at": at}
            for u, o in enumerate(spec.users)
        ],
    )
    _rows(
        conn,
        communities,
        [
            {"id": ids.communities[c], "name": f"community-{c}", "created_at": at}
            for c in range(len(spec.communities))
        ],
    )
    _rows(
        conn,
        community_members,
        [
            {"community_id": ids.communities[c], "org_id": ids.orgs[o], "is_admin": False}
            | {"added_at": at}
            for c, orgs in enumerate(spec.communities)
            for o in sorted(orgs)
        ],
    )
    _rows(conn, agreements, [_agreement_row(spec, ids, a) for a in range(len(spec.agreements))])
    stored_scopes = {ids.scopes[s]: scope(spec, ids, s) for s in range(len(spec.scopes))}
    _rows(conn, scopes, [_scope_row(scope_id, s) for scope_id, s in stored_scopes.items()])
    keys = [key_of(obs) for obs in spec.observables]
    _rows(
        conn,
        observables,
        [
            {"id": key, "type": obs.type.value, "value": obs.value}
            for key, obs in zip(keys, spec.observables, strict=True)
        ],
    )
    contribution = BASE + 1
    _rows(
        conn,
        contributions,
        [
            {
                "id": contribution,
                "public_id": str(uuid.UUID(int=contribution)),
                "org_id": ids.orgs[0],
                "format": "json",
                "created_at": at,
                "item_count": len(spec.reports),
                "new_count": len(spec.reports),
                "known_count": 0,
                "rejected_count": 0,
            }
        ],
    )
    rids = report_ids(spec)
    _rows(
        conn,
        reports,
        [_report_row(spec, ids, keys, contribution, rids, r) for r in range(len(spec.reports))],
    )
    principals, tokens, key_rows = [], [], []
    for v, who in enumerate(spec.viewers):
        key_id = f"{v + 1:016x}"
        role = Role.ADMIN if who.admin else Role.ANALYST
        user_id = None if who.user is None else ids.users[who.user]
        key_rows.append(
            {
                "id": BASE + 31 * v + 5,
                "key_id": key_id,
                "secret_hash": secrets.hash_secret(SECRET),
                "org_id": ids.orgs[who.org],
                "user_id": user_id,
                "role": role.value,
                "purpose": who.purpose,
                "created_at": at,
            }
        )
        principals.append(
            Principal(
                key_db_id=BASE + 31 * v + 5,
                key_id=key_id,
                org_id=ids.orgs[who.org],
                org_name=names[who.org],
                org_country=spec.countries[who.org],
                role=role,
                purpose=who.purpose,
                user_id=user_id,
            )
        )
        tokens.append(f"{secrets.PREFIX}_{key_id}_{SECRET}")
    _rows(conn, api_keys, key_rows)
    return Stored(ids, rids, keys, names, principals, tokens)


def org_uuid(index: int) -> str:
    """The UUID of a world's organisation."""
    return str(uuid.UUID(int=index + 1))


def _rows(conn: Connection, table: Table, rows: list[dict[str, object]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _ids(values: Iterable[int]) -> str:
    return orjson.dumps(sorted(values)).decode()


def _scope_row(scope_id: int, s: Scope) -> dict[str, object]:
    return {
        "id": scope_id,
        "digest": scope_digest(s),
        "tlp": s.tlp.value,
        "orgs": _ids(s.orgs),
        "users": _ids(s.users),
        "communities": _ids(s.communities),
        "agreement_id": s.agreement_id,
        "early_access": _ids(s.early_access),
    }


def _agreement_row(spec: WorldSpec, ids: Ids, index: int) -> dict[str, object]:
    a = spec.agreements[index]

    def moment(offset: timedelta | None) -> int | None:
        return None if offset is None else to_micros(NOW + offset)

    return {
        "id": ids.agreements[index],
        "name": f"agreement {index}",
        "parties": _ids(ids.orgs[o] for o in a.parties),
        "kinds": orjson.dumps(sorted(k.value for k in a.kinds)).decode(),
        "labels": orjson.dumps(sorted(a.labels)).decode(),
        "purposes": orjson.dumps(sorted(a.purposes)).decode(),
        "jurisdictions": orjson.dumps(sorted(a.jurisdictions)).decode(),
        "own_victims_only": a.own_victims_only,
        "personal_data": False,
        "retention_days": a.retention_days,
        "onward": a.onward,
        "valid_from": moment(a.valid_from),
        "valid_until": moment(a.valid_until),
        "revoked_at": moment(a.revoked_at),
        "created_at": to_micros(NOW),
    }


def _report_row(
    spec: WorldSpec, ids: Ids, keys: list[int], contribution: int, rids: list[int], index: int
) -> dict[str, object]:
    r = spec.reports[index]
    return {
        "id": rids[index],
        "observable_id": keys[r.observable],
        "org_id": ids.orgs[r.org],
        "contribution_id": contribution,
        "scope_id": ids.scopes[r.scope],
        "kind": spec.observables[r.observable].type.value,
        "tlp": spec.scopes[r.scope].tlp.value,
        "pap": r.pap.value,
        "labels": encode_labels(r.labels),
        "confidence": r.confidence,
        "valid_from": to_micros(NOW + r.created),
        "valid_until": None,
        "comment": None,
        "anonymous": r.anonymous,
        "embargo_until": None if r.embargo_until is None else to_micros(NOW + r.embargo_until),
        "victim_country": r.victim_country,
        "created_at": to_micros(NOW + r.created),
        "updated_at": to_micros(NOW + r.updated),
        "revoked_at": to_micros(NOW) if r.revoked else None,
    }
