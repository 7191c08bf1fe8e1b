"""Organisation, user and key services: validation, storage and audit in one place."""

from __future__ import annotations

import re
import secrets as _random
import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from phalanx.audit.record import record
from phalanx.clock import from_micros, to_micros
from phalanx.errors import Conflict, InvalidInput, NotFound, Unauthorized
from phalanx.members import secrets
from phalanx.members.model import (
    PURPOSES,
    ApiKey,
    Organisation,
    OrgKind,
    Principal,
    Role,
    User,
)
from phalanx.redaction import RedactionRules
from phalanx.store.db import Database
from phalanx.store.tables import api_keys, organisations, users

_NAME = re.compile(r"^[\w][\w .,&'()@+/-]{0,199}$", re.UNICODE)
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def create_org(
    conn: Connection,
    db: Database,
    *,
    name: str,
    kind: str,
    country: str,
    now: datetime,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> Organisation:
    """Create an organisation; raise Conflict when the name is taken."""
    clean = _check_name(name, "name")
    org_kind = _choice(OrgKind, kind, "kind")
    cc = country.strip().upper()
    if not _COUNTRY.match(cc):
        raise InvalidInput("must be an ISO 3166-1 alpha-2 code such as DE", field="country")
    if find_org(conn, clean) is not None:
        raise Conflict(f"an organisation named {clean!r} already exists", field="name")
    values = {
        "name": clean,
        "kind": org_kind.value,
        "country": cc,
        "uuid": str(uuid.uuid4()),
        "created_at": to_micros(now),
    }
    org_id = conn.execute(insert(organisations).values(**values)).inserted_primary_key[0]
    record(
        conn,
        db,
        action="org.create",
        at=values["created_at"],
        actor=actor,
        actor_org_id=actor_org_id,
        subject=f"org:{org_id}",
        details={"name": clean, "kind": org_kind.value, "country": cc},
    )
    return _org(dict(values, id=org_id))


def find_org(conn: Connection, name: str) -> Organisation | None:
    """Return the organisation with this exact name, or None."""
    row = conn.execute(select(organisations).where(organisations.c.name == name.strip())).first()
    return None if row is None else _org(dict(row._mapping))


def get_org(conn: Connection, name: str) -> Organisation:
    """Return the organisation with this name; raise NotFound."""
    org = find_org(conn, name)
    if org is None:
        raise NotFound(f"no organisation named {name!r}", field="org")
    return org


def get_org_by_id(conn: Connection, org_id: int) -> Organisation:
    """Return the organisation with this id; raise NotFound."""
    row = conn.execute(select(organisations).where(organisations.c.id == org_id)).first()
    if row is None:
        raise NotFound(f"no organisation with id {org_id}")
    return _org(dict(row._mapping))


def list_orgs(conn: Connection) -> list[Organisation]:
    """Return every organisation, by name."""
    rows = conn.execute(select(organisations).order_by(organisations.c.name)).all()
    return [_org(dict(row._mapping)) for row in rows]


def org_ids_by_name(conn: Connection) -> dict[str, int]:
    """Return a case-insensitive name → id directory of organisations."""
    rows = conn.execute(select(organisations.c.name, organisations.c.id)).all()
    return {name.casefold(): org_id for name, org_id in rows}


def create_user(
    conn: Connection,
    db: Database,
    *,
    org: Organisation,
    name: str,
    role: str,
    now: datetime,
    actor: str = "cli",
) -> User:
    """Create a user in an organisation."""
    clean = _check_name(name, "user")
    user_role = _choice(Role, role, "role")
    values = {
        "org_id": org.id,
        "name": clean,
        "role": user_role.value,
        "created_at": to_micros(now),
    }
    try:
        with conn.begin_nested():
            user_id = conn.execute(insert(users).values(**values)).inserted_primary_key[0]
    except IntegrityError:
        raise Conflict(f"{org.name} already has a user named {clean!r}", field="user") from None
    record(
        conn,
        db,
        action="user.create",
        at=values["created_at"],
        actor=actor,
        subject=f"user:{user_id}",
        details={"org": org.name, "name": clean, "role": user_role.value},
    )
    return User(user_id, org.id, clean, user_role, now)


def find_user(conn: Connection, org: Organisation, name: str) -> User | None:
    """Return the named user of an organisation, or None."""
    row = conn.execute(
        select(users).where(users.c.org_id == org.id, users.c.name == name.strip())
    ).first()
    if row is None:
        return None
    return User(row.id, row.org_id, row.name, Role(row.role), from_micros(row.created_at))


def create_key(
    conn: Connection,
    db: Database,
    *,
    org: Organisation,
    role: str,
    now: datetime,
    purpose: str = "network-defense",
    name: str | None = None,
    user: User | None = None,
    expires_at: datetime | None = None,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Create an API key; return it and its token (the only time the token exists)."""
    key_role = _choice(Role, role, "role")
    if purpose not in PURPOSES:
        raise InvalidInput(f"unknown purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expiry must be in the future", field="expires_at")
    token, key_id, secret = secrets.new_token(_random.token_bytes)
    values = {
        "key_id": key_id,
        "secret_hash": secrets.hash_secret(secret),
        "org_id": org.id,
        "user_id": None if user is None else user.id,
        "role": key_role.value,
        "purpose": purpose,
        "name": name,
        "created_at": to_micros(now),
        "expires_at": None if expires_at is None else to_micros(expires_at),
    }
    db_id = conn.execute(insert(api_keys).values(**values)).inserted_primary_key[0]
    record(
        conn,
        db,
        action="key.create",
        at=values["created_at"],
        actor=actor,
        actor_org_id=actor_org_id,
        subject=f"key:{key_id}",
        details={"org": org.name, "role": key_role.value, "purpose": purpose, "name": name},
    )
    key = ApiKey(
        db_id, key_id, org.id, org.name, key_role, purpose, now, values["user_id"], name, expires_at
    )
    return key, token


def revoke_key(
    conn: Connection,
    db: Database,
    *,
    key_id: str,
    now: datetime,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> ApiKey:
    """Revoke a key at once; revoking twice is harmless (the first time stands)."""
    key = get_key(conn, key_id)
    if key.revoked_at is None:
        conn.execute(
            update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=to_micros(now))
        )
        record(
            conn,
            db,
            action="key.revoke",
            at=to_micros(now),
            actor=actor,
            actor_org_id=actor_org_id,
            subject=f"key:{key_id}",
            details={"org": key.org_name},
        )
    return get_key(conn, key_id)


def get_key(conn: Connection, key_id: str) -> ApiKey:
    """Return a key by its public id; raise NotFound."""
    row = conn.execute(_key_query().where(api_keys.c.key_id == key_id.strip())).first()
    if row is None:
        raise NotFound(f"no API key {key_id!r}", field="key_id")
    return _key(row._mapping)


def list_keys(conn: Connection, org: Organisation | None = None) -> list[ApiKey]:
    """Return keys (of one organisation, or all), newest first."""
    query = _key_query().order_by(api_keys.c.id.desc())
    if org is not None:
        query = query.where(api_keys.c.org_id == org.id)
    return [_key(row._mapping) for row in conn.execute(query).all()]


def authenticate(conn: Connection, *, key_id: str, secret: str, now: datetime) -> Principal:
    """Return the principal for valid credentials; raise Unauthorized (one message for all)."""
    row = conn.execute(_principal_query().where(api_keys.c.key_id == key_id)).first()
    moment = to_micros(now)
    # Unknown, wrong, revoked and expired keys get the same answer: no oracle for key ids.
    if (
        row is None
        or not secrets.secret_matches(secret, row.secret_hash)
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= moment)
    ):
        raise Unauthorized("invalid, expired or revoked API key")
    return _principal(row)


def principal_of_key(conn: Connection, key_db_id: int) -> Principal:
    """The principal a key stood for, revoked or not (work it started finishes as it)."""
    row = conn.execute(_principal_query().where(api_keys.c.id == key_db_id)).first()
    if row is None:
        raise NotFound(f"no API key {key_db_id}")
    return _principal(row)


def _principal_query() -> Any:
    return select(api_keys, organisations.c.name.label("org_name"), organisations.c.country).join(
        organisations, organisations.c.id == api_keys.c.org_id
    )


def _principal(row: Any) -> Principal:
    return Principal(
        key_db_id=row.id,
        key_id=row.key_id,
        org_id=row.org_id,
        org_name=row.org_name,
        org_country=row.country,
        role=Role(row.role),
        purpose=row.purpose,
        user_id=row.user_id,
    )


def touch_key(conn: Connection, *, key_db_id: int, now: datetime) -> None:
    """Record that a key was used now."""
    conn.execute(
        update(api_keys).where(api_keys.c.id == key_db_id).values(last_used_at=to_micros(now))
    )


def org_json(org: Organisation) -> dict[str, Any]:
    """Return the public JSON form of an organisation."""
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind.value,
        "country": org.country,
        "uuid": org.uuid,
        "created_at": org.created_at.isoformat(),
    }


def key_json(key: ApiKey, token: str | None = None) -> dict[str, Any]:
    """Return the JSON form of a key; the token appears only when just created."""
    data: dict[str, Any] = {
        "key_id": key.key_id,
        "org": key.org_name,
        "role": key.role.value,
        "purpose": key.purpose,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "expires_at": None if key.expires_at is None else key.expires_at.isoformat(),
        "revoked_at": None if key.revoked_at is None else key.revoked_at.isoformat(),
        "last_used_at": None if key.last_used_at is None else key.last_used_at.isoformat(),
    }
    if token is not None:
        data["secret"] = token
    return data


def _key_query() -> Any:
    return select(api_keys, organisations.c.name.label("org_name")).join(
        organisations, organisations.c.id == api_keys.c.org_id
    )


def _key(row: Any) -> ApiKey:
    def when(value: int | None) -> datetime | None:
        return None if value is None else from_micros(value)

    return ApiKey(
        id=row["id"],
        key_id=row["key_id"],
        org_id=row["org_id"],
        org_name=row["org_name"],
        role=Role(row["role"]),
        purpose=row["purpose"],
        created_at=from_micros(row["created_at"]),
        user_id=row["user_id"],
        name=row["name"],
        expires_at=when(row["expires_at"]),
        revoked_at=when(row["revoked_at"]),
        last_used_at=when(row["last_used_at"]),
    )


def _org(values: dict[str, Any]) -> Organisation:
    return Organisation(
        id=values["id"],
        name=values["name"],
        kind=OrgKind(values["kind"]),
        country=values["country"],
        uuid=values["uuid"],
        created_at=from_micros(values["created_at"]),
    )


def _check_name(name: str, field: str) -> str:
    clean = name.strip()
    if not _NAME.match(clean):
        raise InvalidInput(
            "must be 1-200 characters: letters, digits, spaces and .,&'()@+/- "
            "(starting with a letter or digit)",
            field=field,
        )
    return clean


def _choice(enum: Any, value: str, field: str) -> Any:
    try:
        return enum(value.strip().lower())
    except ValueError:
        valid = ", ".join(member.value for member in enum)
        raise InvalidInput(
            f"unknown {field} {value!r}; expected one of: {valid}", field=field
        ) from None


def set_redaction(
    conn: Connection,
    db: Database,
    *,
    org: Organisation,
    internal_domains: list[str],
    internal_host_prefixes: list[str],
    now: datetime,
    actor: str = "cli",
) -> RedactionRules:
    """Set the organisation's internal names that redaction removes from its free text."""
    rules = RedactionRules(
        internal_domains=frozenset(internal_domains),
        internal_host_prefixes=frozenset(internal_host_prefixes),
    )
    conn.execute(
        update(organisations)
        .where(organisations.c.id == org.id)
        .values(
            internal_domains=orjson.dumps(sorted(rules.internal_domains)).decode(),
            internal_host_prefixes=orjson.dumps(sorted(rules.internal_host_prefixes)).decode(),
        )
    )
    record(
        conn,
        db,
        action="org.redaction",
        at=to_micros(now),
        actor=actor,
        subject=f"org:{org.id}",
        details={
            "internal_domains": sorted(rules.internal_domains),
            "internal_host_prefixes": sorted(rules.internal_host_prefixes),
        },
    )
    return rules


def redaction_rules(conn: Connection, org_id: int, names: tuple[str, ...]) -> RedactionRules:
    """Return the redaction rules for an organisation's contributions."""
    row = conn.execute(
        select(organisations.c.internal_domains, organisations.c.internal_host_prefixes).where(
            organisations.c.id == org_id
        )
    ).one()
    return RedactionRules(
        personal_names=frozenset(names),
        internal_domains=frozenset(orjson.loads(row.internal_domains)),
        internal_host_prefixes=frozenset(orjson.loads(row.internal_host_prefixes)),
    )
