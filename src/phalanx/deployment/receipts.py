"""Deployment keys and receipts: register keys, verify and store signed receipts.

A receipt is accepted only when every check passes, in this order, each failure naming its
field: the channel is the caller's (else the same NotFound as an unknown channel); the
fields are well formed; ``key_id`` names an active key of the caller's organisation (a key of
another organisation gets the very answer an unknown key gets); ``version`` exists;
``digest`` is that version's content digest; ``deployed_at`` is not before the version was
minted nor more than :data:`CLOCK_SKEW` in the future; the signature verifies over the
canonical bytes (``channels/receipts.py``). Posting the same receipt again answers the stored
one; a different receipt for the same (channel, version, control) is a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from phalanx.channels import receipts as signing
from phalanx.clock import format_timestamp, to_micros
from phalanx.deployment.channels import audit_change, owned_channel
from phalanx.errors import Conflict, InvalidInput, NotFound
from phalanx.members.model import Principal
from phalanx.members.service import get_org
from phalanx.store import channels as channel_store
from phalanx.store import receipts as receipt_store
from phalanx.store.db import Database
from phalanx.store.receipts import DeploymentKey, Receipt

CLOCK_SKEW = timedelta(minutes=5)


def register_key(
    conn: Connection,
    db: Database,
    *,
    org: str,
    public_key: str,
    name: str | None,
    now: datetime,
    caller: Principal | None = None,
) -> DeploymentKey:
    """Register an Ed25519 public key for an organisation (members: their own)."""
    if caller is not None and not caller.is_admin and org != caller.org_name:
        raise NotFound(f"no organisation {org!r} you may register keys for")
    owner = get_org(conn, org)
    raw = signing.load_public_key(public_key)
    fingerprint = signing.fingerprint(raw)
    if receipt_store.find_key(conn, fingerprint) is not None:
        raise Conflict(f"key {fingerprint} is already registered", field="public_key")
    receipt_store.add_key(
        conn, org_id=owner.id, fingerprint=fingerprint, raw=raw, name=name, now=now
    )
    audit_change(conn, db, "deployment-key.add", fingerprint, owner.id, caller, now)
    found = receipt_store.find_key(conn, fingerprint)
    assert found is not None
    return found


def list_keys(conn: Connection, caller: Principal | None) -> list[DeploymentKey]:
    """Keys of the caller's organisation (admins and the CLI: every key)."""
    org_id = None if caller is None or caller.is_admin else caller.org_id
    return receipt_store.list_keys(conn, org_id)


def revoke_key(
    conn: Connection, db: Database, fingerprint: str, *, now: datetime, caller: Principal | None
) -> DeploymentKey:
    """Revoke a key of the caller's organisation (admins: any)."""
    found = receipt_store.find_key(conn, fingerprint)
    if found is None or (
        caller is not None and not caller.is_admin and found.org_id != caller.org_id
    ):
        raise NotFound(f"no deployment key {fingerprint}")
    if found.revoked_at is None:
        receipt_store.revoke_key(conn, found.id, now=now)
        audit_change(conn, db, "deployment-key.revoke", fingerprint, found.org_id, caller, now)
    result = receipt_store.find_key(conn, fingerprint)
    assert result is not None
    return result


def submit_receipt(
    conn: Connection,
    db: Database,
    *,
    channel_id: int,
    body: Mapping[str, Any],
    caller: Principal,
    now: datetime,
) -> tuple[Receipt, bool]:
    """Verify and store a receipt; return it and whether it is new."""
    channel = owned_channel(conn, caller, channel_id)
    claim = signing.parse_claim(
        channel_id=channel.id,
        version=body.get("version"),
        digest=body.get("digest"),
        deployed_at=body.get("deployed_at"),
        control=body.get("control"),
    )
    signature = signing.decode_signature(body.get("signature"))
    key = _signing_key(conn, body.get("key_id"), caller, now)
    _check_version(conn, claim, now)
    signing.verify(key.public_key, claim, signature)
    existing = receipt_store.find_receipt(conn, channel.id, claim.version, claim.control)
    if existing is not None:
        same = (existing.content_digest, existing.deployed_at) == (claim.digest, claim.deployed_at)
        if not same:
            raise Conflict(
                f"control {claim.control!r} already has a receipt for version {claim.version}",
                field="control",
            )
        return existing, False
    stored = receipt_store.add_receipt(
        conn,
        {
            "channel_id": channel.id,
            "org_id": caller.org_id,
            "version": claim.version,
            "content_digest": claim.digest,
            "deployed_at": to_micros(claim.deployed_at),
            "control": claim.control,
            "key_fingerprint": key.fingerprint,
            "signature": signature,
            "received_at": to_micros(now),
        },
    )
    audit_change(
        conn,
        db,
        "deployment.receipt",
        f"channel:{channel.id}",
        caller.org_id,
        caller,
        now,
        version=claim.version,
        control=claim.control,
        key_id=key.fingerprint,
    )
    return stored, True


def _signing_key(
    conn: Connection, key_id: object, caller: Principal, now: datetime
) -> DeploymentKey:
    if not isinstance(key_id, str) or not key_id.strip():
        raise InvalidInput("name the deployment key that signed the receipt", field="key_id")
    found = receipt_store.find_key(conn, key_id.strip().lower())
    if found is None or found.org_id != caller.org_id:
        raise InvalidInput(
            f"{key_id!r} is not a deployment key of {caller.org_name}", field="key_id"
        )
    if found.revoked_at is not None and found.revoked_at <= now:
        raise InvalidInput(f"deployment key {found.fingerprint} is revoked", field="key_id")
    return found


def _check_version(conn: Connection, claim: signing.ReceiptClaim, now: datetime) -> None:
    version = channel_store.find_version(conn, claim.channel_id, claim.version)
    if version is None:
        latest = channel_store.latest_version(conn, claim.channel_id)
        newest = "it has no version yet" if latest is None else f"its latest is {latest.version}"
        raise InvalidInput(
            f"channel {claim.channel_id} has no version {claim.version}; {newest}",
            field="version",
        )
    if claim.digest != version.content_digest:
        raise InvalidInput(
            f"is not the content digest of version {claim.version} "
            f"(expected {version.content_digest})",
            field="digest",
        )
    if claim.deployed_at < version.created_at:
        raise InvalidInput(
            f"is before version {claim.version} existed ({format_timestamp(version.created_at)})",
            field="deployed_at",
        )
    if claim.deployed_at > now + CLOCK_SKEW:
        raise InvalidInput("is in the future", field="deployed_at")
