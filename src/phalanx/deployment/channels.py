"""Channel definitions: create, read, update, delete; members manage their own, admins all.

A channel of another organisation answers NotFound to a member, exactly like a channel that
does not exist (channel ids are no oracle either).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from phalanx.audit.record import record
from phalanx.channels.definition import (
    Channel,
    check_format,
    check_name,
    filter_from_json,
    filter_to_json,
)
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput, NotFound
from phalanx.members.model import Principal
from phalanx.members.service import get_org
from phalanx.store import channels as channel_store
from phalanx.store.db import Database


def visible_channel(conn: Connection, caller: Principal | None, channel_id: int) -> Channel:
    """The channel if the caller may manage it (its organisation, or an admin); else NotFound."""
    found = channel_store.find(conn, channel_id)
    if found is None or (
        caller is not None and not caller.is_admin and found.org_id != caller.org_id
    ):
        raise NotFound(f"no channel {channel_id}")
    return found


def owned_channel(conn: Connection, caller: Principal, channel_id: int) -> Channel:
    """The channel if it belongs to the caller's organisation (feeds, receipts); else NotFound."""
    found = channel_store.find(conn, channel_id)
    if found is None or found.org_id != caller.org_id:
        raise NotFound(f"no channel {channel_id}")
    return found


def create(
    conn: Connection,
    db: Database,
    *,
    org: str | None,
    name: str | None,
    fmt: str,
    filter_json: Mapping[str, Any],
    now: datetime,
    caller: Principal | None = None,
) -> Channel:
    """Create a channel for ``org`` (members: only their own organisation)."""
    fmt = check_format(fmt)
    channel_filter = filter_from_json(filter_json)
    if caller is not None and not caller.is_admin:
        if org is not None and org != caller.org_name:
            raise NotFound(f"no organisation {org!r} you may manage channels of")
        org = caller.org_name
    if org is None:
        raise InvalidInput("name the organisation the channel is for", field="org")
    owner = get_org(conn, org)
    label = check_name(name if name is not None else f"{owner.name} {fmt}")
    channel_id = channel_store.add(
        conn, org_id=owner.id, name=label, fmt=fmt, channel_filter=channel_filter, now=now
    )
    audit_change(
        conn, db, "channel.create", f"channel:{channel_id}", owner.id, caller, now, format=fmt
    )
    return channel_store.get(conn, channel_id)


def update(
    conn: Connection,
    db: Database,
    channel_id: int,
    *,
    changes: Mapping[str, Any],
    now: datetime,
    caller: Principal | None = None,
) -> Channel:
    """Change name, format and/or filter (a partial filter keeps the other fields)."""
    found = visible_channel(conn, caller, channel_id)
    name = check_name(changes["name"]) if changes.get("name") is not None else found.name
    fmt = check_format(changes["format"]) if changes.get("format") is not None else found.format
    channel_filter = found.filter
    if changes.get("filter") is not None:
        channel_filter = filter_from_json({**filter_to_json(found.filter), **changes["filter"]})
    channel_store.update_definition(
        conn, channel_id, name=name, fmt=fmt, channel_filter=channel_filter, now=now
    )
    audit_change(
        conn, db, "channel.update", f"channel:{channel_id}", found.org_id, caller, now, format=fmt
    )
    return channel_store.get(conn, channel_id)


def delete(
    conn: Connection,
    db: Database,
    channel_id: int,
    *,
    now: datetime,
    caller: Principal | None = None,
) -> Channel:
    """Retire a channel (versions and receipts stay for the compliance record)."""
    found = visible_channel(conn, caller, channel_id)
    channel_store.delete_channel(conn, channel_id, now=now)
    audit_change(conn, db, "channel.delete", f"channel:{channel_id}", found.org_id, caller, now)
    return found


def list_for(
    conn: Connection, caller: Principal | None, *, org: str | None = None
) -> list[Channel]:
    """Channels the caller may manage (an admin may narrow to one organisation)."""
    if caller is not None and not caller.is_admin:
        return channel_store.list_(conn, org_id=caller.org_id)
    return channel_store.list_(conn, org_id=None if org is None else get_org(conn, org).id)


def audit_change(
    conn: Connection,
    db: Database,
    action: str,
    subject: str,
    org_id: int,
    caller: Principal | None,
    now: datetime,
    **details: Any,
) -> None:
    """Record a change to a member's deployment set-up (channels, keys, receipts)."""
    record(
        conn,
        db,
        action=action,
        at=to_micros(now),
        actor_org_id=caller.org_id if caller else None,
        actor=caller.key_id if caller else "cli",
        subject=subject,
        details={"org_id": org_id, **details},
    )
