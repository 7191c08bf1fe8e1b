"""Withdrawing what a member's STIX objects reported: revoked indicators, deleted objects.

An indicator or SCO a member adds over TAXII becomes that organisation's report of each value
it stands for (taxii/derive.py). When the organisation revokes the indicator (a version with
``"revoked": true``, STIX 2.1 §3.2: the creator no longer considers it valid), replaces it
with a version whose pattern stands for other values, or deletes the object's versions, the
values its latest remaining version no longer stands for are withdrawn: the organisation's
live reports of them are revoked (store/reports.py), so no lookup, export or channel serves
them again, and a channel's next version lists them as removed.

A withdrawal is about the value, as every report is (ingest/withdraw.py): the
organisation's latest statement about it wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection

from phalanx.errors import InvalidInput
from phalanx.formats.stix21.reader import claimed_pairs
from phalanx.hub import Hub
from phalanx.ingest.withdraw import withdraw
from phalanx.observables import normalize
from phalanx.observables.ids import observable_key
from phalanx.store.stix_objects import Deletion


def is_revoked(obj: Mapping[str, Any]) -> bool:
    """True for a revoked object (its claims are withdrawn rather than reported)."""
    return obj.get("revoked") is True


def claimed_keys(objects: Iterable[Mapping[str, Any]]) -> set[int]:
    """The observable keys the objects stand for (revoked or not); unreadable values skipped."""
    keys: set[int] = set()
    for obj in objects:
        for kind, value in claimed_pairs(obj):
            try:
                keys.add(observable_key(normalize(value, kind)))
            except (InvalidInput, ValueError):
                continue  # never reported, so nothing to withdraw
    return keys


def after_delete(
    hub: Hub,
    conn: Connection,
    deletion: Deletion,
    *,
    object_id: str,
    at: int,
    actor_org_id: int,
    actor: str,
) -> int:
    """Withdraw what deleted versions stood for and the newest version left does not."""
    withdrawn = 0
    for owner, removed in deletion.removed.items():
        gone = claimed_keys(orjson.loads(content) for content in removed)
        left = deletion.latest.get(owner)
        if left is not None:
            latest = orjson.loads(left)
            if not is_revoked(latest):
                gone -= claimed_keys([latest])
        withdrawn += withdraw(
            hub,
            conn,
            org_id=owner,
            keys=gone,
            at=at,
            actor_org_id=actor_org_id,
            actor=actor,
            subject=object_id,
            why="deleted",
        )
    return withdrawn
