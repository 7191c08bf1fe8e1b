"""Deployment keys (Ed25519 public keys per organisation) and deployment receipts."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from phalanx.clock import from_micros, to_micros
from phalanx.store.tables import deployment_keys, deployment_receipts


@dataclass(frozen=True, slots=True)
class DeploymentKey:
    """A registered public key."""

    id: int
    org_id: int
    fingerprint: str
    public_key: bytes
    name: str | None
    created_at: datetime
    revoked_at: datetime | None

    def to_json(self) -> dict[str, object]:
        """The key as the API shows it (the public key in base64)."""
        return {
            "key_id": self.fingerprint,
            "public_key": base64.b64encode(self.public_key).decode(),
            "name": self.name,
            "created": self.created_at.isoformat(),
            "revoked": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """A verified, stored receipt."""

    id: int
    channel_id: int
    org_id: int
    version: int
    content_digest: str
    deployed_at: datetime
    control: str
    key_fingerprint: str
    received_at: datetime

    def to_json(self) -> dict[str, object]:
        """The receipt as the API shows it."""
        return {
            "id": self.id,
            "channel": self.channel_id,
            "version": self.version,
            "digest": self.content_digest,
            "deployed_at": self.deployed_at.isoformat(),
            "control": self.control,
            "key_id": self.key_fingerprint,
            "received": self.received_at.isoformat(),
        }


def add_key(
    conn: Connection, *, org_id: int, fingerprint: str, raw: bytes, name: str | None, now: datetime
) -> None:
    """Register a public key."""
    conn.execute(
        insert(deployment_keys).values(
            org_id=org_id,
            fingerprint=fingerprint,
            public_key=raw,
            name=name,
            created_at=to_micros(now),
        )
    )


def find_key(conn: Connection, fingerprint: str) -> DeploymentKey | None:
    """The key with this fingerprint (any organisation, revoked or not), or None."""
    row = conn.execute(
        select(deployment_keys).where(deployment_keys.c.fingerprint == fingerprint)
    ).first()
    return None if row is None else _key(row._mapping)


def list_keys(conn: Connection, org_id: int | None) -> list[DeploymentKey]:
    """Keys of one organisation (or all), oldest first."""
    query = select(deployment_keys).order_by(deployment_keys.c.id)
    if org_id is not None:
        query = query.where(deployment_keys.c.org_id == org_id)
    return [_key(row._mapping) for row in conn.execute(query)]


def revoke_key(conn: Connection, key_id: int, *, now: datetime) -> None:
    """Revoke a key: later receipts signed with it are refused."""
    conn.execute(
        update(deployment_keys)
        .where(deployment_keys.c.id == key_id)
        .values(revoked_at=to_micros(now))
    )


def _key(row: Mapping[str, object]) -> DeploymentKey:
    revoked = row["revoked_at"]
    return DeploymentKey(
        id=int(str(row["id"])),
        org_id=int(str(row["org_id"])),
        fingerprint=str(row["fingerprint"]),
        public_key=bytes(row["public_key"]),  # type: ignore[arg-type]
        name=None if row["name"] is None else str(row["name"]),
        created_at=from_micros(int(str(row["created_at"]))),
        revoked_at=None if revoked is None else from_micros(int(str(revoked))),
    )


def find_receipt(conn: Connection, channel_id: int, version: int, control: str) -> Receipt | None:
    """The receipt for (channel, version, control), or None."""
    row = conn.execute(
        select(deployment_receipts).where(
            deployment_receipts.c.channel_id == channel_id,
            deployment_receipts.c.version == version,
            deployment_receipts.c.control == control,
        )
    ).first()
    return None if row is None else _receipt(row._mapping)


def add_receipt(conn: Connection, values: Mapping[str, object]) -> Receipt:
    """Store a verified receipt and return it."""
    result = conn.execute(insert(deployment_receipts).values(**values))
    row = conn.execute(
        select(deployment_receipts).where(
            deployment_receipts.c.id == result.inserted_primary_key[0]
        )
    ).one()
    return _receipt(row._mapping)


def receipts_for(conn: Connection, channel_ids: Iterable[int]) -> list[Receipt]:
    """Receipts of these channels, oldest first."""
    ids = list(channel_ids)
    if not ids:
        return []
    query = (
        select(deployment_receipts)
        .where(deployment_receipts.c.channel_id.in_(ids))
        .order_by(deployment_receipts.c.id)
    )
    return [_receipt(row._mapping) for row in conn.execute(query)]


def _receipt(row: Mapping[str, object]) -> Receipt:
    return Receipt(
        id=int(str(row["id"])),
        channel_id=int(str(row["channel_id"])),
        org_id=int(str(row["org_id"])),
        version=int(str(row["version"])),
        content_digest=str(row["content_digest"]),
        deployed_at=from_micros(int(str(row["deployed_at"]))),
        control=str(row["control"]),
        key_fingerprint=str(row["key_fingerprint"]),
        received_at=from_micros(int(str(row["received_at"]))),
    )
