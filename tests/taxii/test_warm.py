"""A worker reads a TAXII page at start-up: a member's first page compiles only its own query."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine.interfaces import CacheStats

from phalanx import app as app_module
from phalanx.app import create_app
from phalanx.hub import Hub
from phalanx.store.tables import audit_events, stix_objects
from phalanx.taxii.warm import warm_reads

from .test_protocol import OBJECTS, add, headers
from .test_taxii2_client import indicator

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def test_a_first_page_compiles_nothing_but_the_members_page_query(hub: Hub, member: Any) -> None:
    reader = member("Reader", role="reader")
    compiled: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if context is not None and context.cache_hit is CacheStats.CACHE_MISS:
            compiled.append(statement)

    event.listen(hub.db.engine, "before_cursor_execute", note)
    try:
        with TestClient(create_app(hub=hub)) as client:  # start-up warms the reads
            compiled.clear()
            answer = client.get(OBJECTS, headers=headers(reader))
            first_page = list(compiled)  # not the key-use write at shutdown
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", note)
    assert answer.status_code == 200
    # The page query carries the member's own visibility condition (PostgreSQL runs it on the
    # driver's cursor, unseen here); the key lookup, policy and collections are compiled.
    assert [sql for sql in first_page if "FROM stix_objects" not in sql] == []


def test_the_warm_up_reads_what_nobody_in_particular_may_see_and_writes_nothing(
    hub: Hub, member: Any
) -> None:
    writer = member("Writer", role="contributor")
    with TestClient(create_app(hub=hub)) as client:
        add(client, writer, [{**indicator(1), "object_marking_refs": [TLP_RED]}])
        assert warm_reads(hub) == 0  # a TLP:RED object is not for a reader of no organisation
        add(client, writer, [{**indicator(2), "object_marking_refs": [TLP_CLEAR]}])
    before = _counts(hub)
    assert warm_reads(hub) == 1  # the TLP:CLEAR one is
    assert _counts(hub) == before


def _counts(hub: Hub) -> list[int]:
    with hub.db.read() as conn:
        return [
            int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
            for table in (audit_events, stix_objects)
        ]


def test_the_start_up_read_runs_in_the_thread_pool_as_endpoints_do(
    hub: Hub, monkeypatch: Any
) -> None:
    on_a_loop: list[bool] = []

    def note(hub: Hub) -> int:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread of the pool has no event loop
            on_a_loop.append(False)
        else:
            on_a_loop.append(True)
        return 0

    monkeypatch.setattr(app_module, "warm_reads", note)
    with TestClient(app_module.create_app(hub=hub)):
        pass
    # Off the event loop: a process's first dispatch to the pool is slow, and now it is done.
    assert on_a_loop == [False]
