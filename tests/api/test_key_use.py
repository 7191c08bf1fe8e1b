"""API keys' last-used times: noted by requests, written in the background (each engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from phalanx.api import key_use
from phalanx.api.key_use import KeyUse
from phalanx.app import create_app
from phalanx.hub import Hub
from phalanx.members import secrets
from phalanx.store.tables import api_keys


def last_used(hub: Hub, token: str) -> int | None:
    key_id, _ = secrets.parse_token(token) or ("", "")
    with hub.db.read() as conn:
        value = conn.execute(
            select(api_keys.c.last_used_at).where(api_keys.c.key_id == key_id)
        ).scalar_one()
    return None if value is None else int(value)


def key_db_id(hub: Hub, token: str) -> int:
    key_id, _ = secrets.parse_token(token) or ("", "")
    with hub.db.read() as conn:
        return int(
            conn.execute(select(api_keys.c.id).where(api_keys.c.key_id == key_id)).scalar_one()
        )


def test_a_request_notes_the_time_and_the_app_writes_it(hub: Hub, member: Any) -> None:
    reader = member("Reader", role="reader")
    assert last_used(hub, reader.token) is None
    with TestClient(create_app(hub=hub)) as client:
        assert client.get("/api/v1/observables", headers=reader.auth).status_code == 200
        # A read stays a read: the time is written by the background thread, not the request.
        assert client.app.state.key_use.flush() == 1  # type: ignore[attr-defined]
        assert last_used(hub, reader.token) is not None
        written = last_used(hub, reader.token)
        assert client.get("/api/v1/observables", headers=reader.auth).status_code == 200
        assert client.app.state.key_use.flush() == 0  # type: ignore[attr-defined]
    assert last_used(hub, reader.token) == written  # once a minute per key is enough


def test_times_noted_before_the_app_stops_are_written_on_stop(hub: Hub, member: Any) -> None:
    reader = member("Reader", role="reader")
    with TestClient(create_app(hub=hub)) as client:
        assert client.get("/taxii2/", headers=reader.auth).status_code == 200
    assert last_used(hub, reader.token) is not None


def test_each_key_is_noted_at_most_once_a_minute(hub: Hub, member: Any) -> None:
    first, second = member("First"), member("Second")
    use = KeyUse()
    use.start(hub)
    try:
        moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
        use.used(key_db_id(hub, first.token), moment)
        use.used(key_db_id(hub, first.token), moment + timedelta(seconds=1))
        use.used(key_db_id(hub, second.token), moment)
        assert use.flush() == 2
        assert last_used(hub, first.token) == last_used(hub, second.token)
    finally:
        use.stop()
    assert use.flush() == 0


def test_a_failed_write_keeps_the_times_for_the_next_turn(
    hub: Hub, member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = member("Reader")
    use = KeyUse()
    use.used(key_db_id(hub, reader.token), datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    assert use.flush() == 0  # not started: no store to write to yet, nothing lost
    use.start(hub)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(key_use, "touch_key", _unreachable)
            assert use.flush() == 0
        assert last_used(hub, reader.token) is None
    finally:
        use.stop()  # the last turn writes what the failed one kept
    assert last_used(hub, reader.token) is not None


def _unreachable(*_: Any, **__: Any) -> None:
    raise OSError("the store is unreachable")
