"""Policy property tests: hypothesis profiles (see profiles.py) and the store and app the
storage, service and REST property tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phalanx.app import create_app
from phalanx.hub import Hub
from phalanx.settings import Settings
from phalanx.store.db import Database

from .profiles import register

register()


@pytest.fixture
def store(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def app(store: Database) -> Iterator[tuple[FastAPI, TestClient]]:
    application = create_app(hub=Hub(settings=Settings(database_url=store.url), db=store))
    with TestClient(application) as client:
        yield application, client
