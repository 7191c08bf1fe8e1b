"""A serving worker reads one TAXII page at start-up, so that no client's first page pays for it.

A worker's first page compiles every statement it runs (the key lookup, the collections, the
page query) and runs the policy and paging code for the first time: 10-15 ms more than the
pages after it on this machine, and the TAXII benchmark's full poll starts on a fresh
connection that may land on a worker that has not served a page yet. Reading a page here, as
a reader of no organisation, leaves only what is the member's own: the visibility condition
is rendered per viewer (store/visibility.py), so its first page still compiles that.

Nothing is written: no key is used and no audit entry is made.
"""

from __future__ import annotations

from contextlib import suppress

from phalanx.errors import Unauthorized
from phalanx.hub import Hub
from phalanx.members.model import PURPOSES, Principal, Role
from phalanx.members.service import authenticate
from phalanx.store import stix_objects as object_store
from phalanx.taxii import collections
from phalanx.taxii.query import ObjectQuery

WARM_KEY_ID = "warm-up"  # no key has this id: generated ids are hexadecimal
NOBODY = Principal(
    key_db_id=0,
    key_id=WARM_KEY_ID,
    org_id=0,
    org_name="",
    org_country="ZZ",
    role=Role.READER,
    purpose=PURPOSES[0],
)


def warm_reads(hub: Hub) -> int:
    """Run each step of a TAXII page read once; return how many objects the page held."""
    with hub.db.read() as conn:
        with suppress(Unauthorized):  # compiles the key lookup; the unknown key is refused
            authenticate(conn, key_id=WARM_KEY_ID, secret="", now=hub.clock())
        # The list runs the community and defined-collection queries; its first is ``shared``,
        # which selects by policy alone (it needs no scopes).
        shared = collections.list_for(conn, hub.settings.hub_name, NOBODY)[0]
        plan = hub.plan(conn, hub.viewer(NOBODY))
        rows, _ = object_store.read_page(
            conn, plan, query=ObjectQuery(limit=1), selection=shared.selection({})
        )
    return len(rows)
