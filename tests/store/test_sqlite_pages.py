"""A new SQLite store uses large pages; an existing one keeps the size it was made with."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from phalanx.hub import Hub
from phalanx.settings import Settings
from phalanx.store.db import PAGE_SIZE


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA page_size").fetchone()[0])


def test_a_new_store_is_made_with_large_pages_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Hub.open(Settings(database_url=f"sqlite:///{path}")).close()
    assert _page_size(path) == PAGE_SIZE == 16_384
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_existing_store_keeps_its_page_size_and_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:  # made by an earlier release, with SQLite's default
        raw.execute("PRAGMA page_size=4096")
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE kept (a)")
        raw.execute("INSERT INTO kept VALUES (1)")
    hub = Hub.open(Settings(database_url=f"sqlite:///{path}"))
    try:
        with hub.db.read() as conn:
            assert conn.exec_driver_sql("SELECT a FROM kept").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 4096
    finally:
        hub.close()
