"""Data-exchange agreements: parties, kinds, labels, purposes, jurisdictions, retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput, NotFound
from phalanx.members.model import PURPOSES
from phalanx.members.service import get_org, get_org_by_id
from phalanx.observables.kinds import expand_kinds
from phalanx.policy.labels import normalize_labels
from phalanx.policy.model import Agreement
from phalanx.store import world as world_store
from phalanx.store.db import Database
from phalanx.store.tables import agreements


def create(
    conn: Connection,
    db: Database,
    *,
    parties: list[str],
    purposes: list[str],
    now: datetime,
    name: str | None = None,
    kinds: list[str] | None = None,
    labels: list[str] | None = None,
    jurisdictions: list[str] | None = None,
    own_victims_only: bool = False,
    personal_data: bool = False,
    retention_days: int | None = None,
    onward: bool = False,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> Agreement:
    """Register an agreement between two or more organisations."""
    party_ids = sorted({get_org(conn, p).id for p in parties})
    if len(party_ids) < 2:
        raise InvalidInput("an agreement needs at least two distinct parties", field="parties")
    clean_purposes = sorted({p.strip().lower() for p in purposes})
    if not clean_purposes or set(clean_purposes) - set(PURPOSES):
        raise InvalidInput(f"purposes must be some of {', '.join(PURPOSES)}", field="purposes")
    try:
        kind_values = sorted(k.value for k in expand_kinds(kinds or []))
    except ValueError as error:
        raise InvalidInput(str(error), field="kinds") from None
    countries = sorted({c.strip().upper() for c in jurisdictions or []})
    if any(len(c) != 2 or not c.isalpha() for c in countries):
        raise InvalidInput("jurisdictions are ISO 3166-1 alpha-2 codes", field="jurisdictions")
    if retention_days is not None and retention_days < 1:
        raise InvalidInput("must be a positive number of days", field="retention_days")
    start = _utc(valid_from or now)
    valid_until = None if valid_until is None else _utc(valid_until)
    if valid_until is not None and valid_until <= start:
        raise InvalidInput("must be after valid_from", field="valid_until")
    values = {
        "name": (name or "").strip() or f"agreement of {len(party_ids)} parties",
        "parties": orjson.dumps(party_ids).decode(),
        "kinds": orjson.dumps(kind_values).decode(),
        "labels": orjson.dumps(list(normalize_labels(labels))).decode(),
        "purposes": orjson.dumps(clean_purposes).decode(),
        "jurisdictions": orjson.dumps(countries).decode(),
        "own_victims_only": own_victims_only,
        "personal_data": personal_data,
        "retention_days": retention_days,
        "onward": onward,
        "valid_from": to_micros(start),
        "valid_until": None if valid_until is None else to_micros(valid_until),
        "created_at": to_micros(now),
    }
    agreement_id = conn.execute(insert(agreements).values(**values)).inserted_primary_key[0]
    world_store.bump(conn)
    record(
        conn,
        db,
        action="agreement.create",
        at=values["created_at"],
        actor=actor,
        actor_org_id=actor_org_id,
        subject=f"agreement:{agreement_id}",
        details={k: v for k, v in values.items() if k != "created_at"},
    )
    return get(conn, agreement_id)


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a timestamp without an offset is UTC (as everywhere in Phalanx)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def revoke(
    conn: Connection,
    db: Database,
    *,
    agreement_id: int,
    now: datetime,
    actor: str = "cli",
    actor_org_id: int | None = None,
) -> Agreement:
    """Revoke an agreement: its reports become invisible to the other parties at once."""
    found = get(conn, agreement_id)
    if found.revoked_at is None:
        conn.execute(
            update(agreements)
            .where(agreements.c.id == agreement_id)
            .values(revoked_at=to_micros(now))
        )
        world_store.bump(conn)
        record(
            conn,
            db,
            action="agreement.revoke",
            at=to_micros(now),
            actor=actor,
            actor_org_id=actor_org_id,
            subject=f"agreement:{agreement_id}",
            details={},
        )
    return get(conn, agreement_id)


def get(conn: Connection, agreement_id: int) -> Agreement:
    """Return an agreement; raise NotFound."""
    row = conn.execute(select(agreements).where(agreements.c.id == agreement_id)).first()
    if row is None:
        raise NotFound(f"no agreement {agreement_id}", field="agreement")
    return world_store.agreement_from_row(row._mapping)


def list_all(conn: Connection, *, party: int | None = None) -> list[Agreement]:
    """Return agreements (all, or those an organisation is party to), oldest first."""
    rows = conn.execute(select(agreements).order_by(agreements.c.id)).all()
    found = [world_store.agreement_from_row(row._mapping) for row in rows]
    return [a for a in found if party is None or party in a.parties]


def to_json(conn: Connection, agreement: Agreement) -> dict[str, Any]:
    """Return the API form, naming parties."""
    return {
        "id": agreement.id,
        "name": agreement.name,
        "parties": sorted(get_org_by_id(conn, p).name for p in agreement.parties),
        "kinds": sorted(k.value for k in agreement.kinds),
        "labels": sorted(agreement.labels),
        "purposes": sorted(agreement.purposes),
        "jurisdictions": sorted(agreement.jurisdictions),
        "own_victims_only": agreement.own_victims_only,
        "personal_data": agreement.personal_data,
        "retention_days": agreement.retention_days,
        "onward": agreement.onward,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_until": None if agreement.valid_until is None else agreement.valid_until.isoformat(),
        "revoked_at": None if agreement.revoked_at is None else agreement.revoked_at.isoformat(),
    }
