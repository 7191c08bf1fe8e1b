"""The alliance compliance table: every member's deployment figures (rules in
``channels/compliance.py``). Members see their own row; hub admins and auditors see all.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from phalanx.channels import compliance
from phalanx.channels.compliance import (
    Consequence,
    MemberCompliance,
    Policy,
    ReceiptFact,
    VersionFact,
)
from phalanx.clock import format_timestamp
from phalanx.errors import InvalidInput
from phalanx.members.model import Organisation, Principal, Role
from phalanx.members.service import list_orgs
from phalanx.settings import Settings
from phalanx.store import channels as channel_store
from phalanx.store import receipts as receipt_store

DEFAULT_WINDOW = timedelta(days=7)


def policy_from(settings: Settings, *, sla_hours: float | None = None) -> Policy:
    """The hub's compliance policy, optionally with another SLA for one query."""
    hours = settings.compliance_sla_hours if sla_hours is None else sla_hours
    if not 0 < hours <= 24 * 365:
        raise InvalidInput(
            "must be a number of hours above 0 and at most a year", field="sla_hours"
        )
    return Policy(
        sla=timedelta(hours=hours),
        min_share=settings.compliance_min_share_percent / 100,
        consequence=compliance.parse_consequence(settings.compliance_consequence),
    )


def sees_everyone(caller: Principal | None) -> bool:
    """Hub admins, auditors and the CLI see every member's row."""
    return caller is None or caller.is_admin or caller.role is Role.AUDITOR


def table(
    conn: Connection,
    *,
    policy: Policy,
    start: datetime,
    end: datetime,
    now: datetime,
    caller: Principal | None,
) -> dict[str, Any]:
    """The compliance table as JSON: the rules applied, then one row per member."""
    if not start < end:
        raise InvalidInput("must be before 'to'", field="from")
    orgs = list_orgs(conn)
    if not sees_everyone(caller):
        assert caller is not None
        orgs = [org for org in orgs if org.id == caller.org_id]
    rows = [
        compliance.row_to_json(row, policy)
        for row in member_rows(conn, orgs, policy=policy, start=start, end=end, now=now)
    ]
    return {
        "sla_hours": policy.sla.total_seconds() / 3600,
        "min_share": policy.min_share,
        "consequence": policy.consequence.value,
        "from": format_timestamp(start),
        "to": format_timestamp(end),
        "evaluated_at": format_timestamp(now),
        "members": rows,
    }


def member_rows(
    conn: Connection,
    orgs: Sequence[Organisation],
    *,
    policy: Policy,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[MemberCompliance]:
    """Each organisation's compliance figures over ``[start, end)``."""
    every = channel_store.every_channel(conn, [org.id for org in orgs])
    versions = channel_store.versions_of(conn, [cid for cid, *_ in every])
    receipts = receipt_store.receipts_for(conn, [cid for cid, *_ in every])
    by_org: dict[int, list[tuple[int, int, str, bool]]] = defaultdict(list)
    for row in every:
        by_org[row[1]].append(row)
    owner = {cid: org for cid, org, _, _ in every}
    version_facts: dict[int, list[VersionFact]] = defaultdict(list)
    for v in versions:
        version_facts[owner[v.channel_id]].append(
            VersionFact(v.channel_id, v.version, v.created_at, v.added)
        )
    receipt_facts: dict[int, list[ReceiptFact]] = defaultdict(list)
    for r in receipts:
        receipt_facts[owner[r.channel_id]].append(
            ReceiptFact(r.channel_id, r.version, r.deployed_at)
        )
    return [
        compliance.evaluate_member(
            org.name,
            channels={cid: name for cid, _, name, alive in by_org[org.id] if alive},
            versions=version_facts[org.id],
            receipts=receipt_facts[org.id],
            start=start,
            end=end,
            now=now,
            sla=policy.sla,
        )
        for org in orgs
    ]


def downgraded(conn: Connection, org: Organisation, *, policy: Policy, now: datetime) -> bool:
    """True when ``org``'s deployment record over the last week counts as a tier downgrade."""
    if policy.consequence is not Consequence.DOWNGRADE:
        return False
    (row,) = member_rows(conn, [org], policy=policy, start=now - DEFAULT_WINDOW, end=now, now=now)
    return compliance.downgrades_tier(row, policy)


def to_csv(document: dict[str, Any]) -> str:
    """The table's member rows as RFC 4180 CSV with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(compliance.CSV_COLUMNS)
    for row in document["members"]:
        writer.writerow(compliance.row_to_csv(row))
    return buffer.getvalue()
