"""Fixtures shared by the whole suite: sample data, pinned clocks, stores on every engine.

Storage tests take the ``hub`` fixture, which is parametrised over ``--db`` (default
``sqlite,postgres``). PostgreSQL runs at 127.0.0.1:5432 here; when it is unreachable its
tests are skipped with the reason, unless ``CI`` is set, in which case they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from phalanx.app import create_app
from phalanx.hub import Hub
from phalanx.members import service
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.migrate import upgrade
from phalanx.store.tables import metadata

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "PHALANX_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# Registered here, not in tests/policy: hypothesis reads --hypothesis-profile before pytest
# collects sub-directory conftests, so `pytest --hypothesis-profile=nightly` needs it now.
# No per-example deadline by default: CI shares its two cores, and a first example that warms
# a cache (IDNA tables, compiled patterns) can take longer than 200 ms there.
hypothesis_settings.register_profile("phalanx", deadline=None)
hypothesis_settings.load_profile("phalanx")
hypothesis_settings.register_profile(
    "nightly",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="sqlite,postgres",
        help="comma-separated store engines for storage tests: sqlite, postgres",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        engines = [e.strip() for e in metafunc.config.getoption("--db").split(",") if e.strip()]
        metafunc.parametrize("engine", engines, scope="session")


def find_shared_data() -> Path | None:
    """Locate ../shared/data (the read-only third-party samples) next to this checkout."""
    candidates = [
        os.environ.get("PHALANX_SHARED_DATA"),
        REPO.parent / "shared" / "data",
        Path("/work/shared/data"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "README.md").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared third-party data folder (STIX, MISP, warninglists, ATT&CK)."""
    found = find_shared_data()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("shared test data not found; set PHALANX_SHARED_DATA")
        pytest.skip("shared test data (../shared/data) not found; set PHALANX_SHARED_DATA")
    return found


@pytest.fixture
def pinned_now() -> datetime:
    """A fixed 'now' for pure code under test."""
    return datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock tests can read and move."""

    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def clock() -> FakeClock:
    """A movable clock, starting 2026-11-23T12:00Z."""
    return FakeClock()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def store_template(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty store per engine: a template file (SQLite) or database (PostgreSQL)."""
    if engine == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        yield str(path)
    elif engine == "postgres":
        url = _postgres_database()
        yield url
        _drop_database(url.rsplit("/", 1)[1])
    else:
        raise pytest.UsageError(f"unknown --db engine {engine!r}")


def _drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(*statements: str) -> None:
    """Run statements on the PostgreSQL admin database, outside any transaction."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def _postgres_database() -> str:
    # One database per run and worker: runs in parallel (two checkouts) never collide.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"{os.getpid()}")[:8]
    name = f"phalanx_test_{run}_{_worker()}"
    try:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    except Exception as error:  # any connection failure means "unreachable"
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {error.__class__.__name__}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so PostgreSQL tests must run)")
        pytest.skip(reason)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def database_url(engine: str, store_template: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty store for one test."""
    if engine == "sqlite":
        path = tmp_path / "phalanx.db"
        shutil.copyfile(store_template, path)
        return f"sqlite:///{path}"
    db = Database(store_template)
    with db.transaction() as conn:
        # hub_meta holds rows the migrations write: reset them rather than delete them.
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != "hub_meta")
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE hub_meta SET value = '1' WHERE key = 'policy_version'"))
    db.dispose()
    return store_template


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test hub on a fresh store."""
    # TAXII POSTs derive their reports before answering, so tests can read them at once;
    # tests/taxii/test_derivation.py covers the background worker.
    return Settings(database_url=database_url, taxii_derivation="inline")


@pytest.fixture
def hub(settings: Settings, clock: FakeClock) -> Iterator[Hub]:
    """A hub on a fresh store of each engine, with a movable clock."""
    opened = Hub.open(settings, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    """An HTTP client for the API of ``hub``."""
    with TestClient(create_app(hub=hub)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Member:
    """A test organisation with one API key."""

    name: str
    org_id: int
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """Authorization header for this member's key."""
        return {"Authorization": f"Bearer {self.token}"}


def add_member(
    hub: Hub,
    name: str,
    *,
    kind: str = "vendor",
    country: str = "DE",
    role: str = "analyst",
    **key: Any,
) -> Member:
    """Create an organisation and a key for it; return both."""
    with hub.db.transaction() as conn:
        org = service.find_org(conn, name) or service.create_org(
            conn, hub.db, name=name, kind=kind, country=country, now=hub.clock()
        )
        _key, token = service.create_key(conn, hub.db, org=org, role=role, now=hub.clock(), **key)
    return Member(name, org.id, token)


@pytest.fixture
def member(hub: Hub) -> Any:
    """A factory: ``member("Acme", kind=..., country=..., role=...)``."""

    def make(name: str, **kwargs: Any) -> Member:
        return add_member(hub, name, **kwargs)

    return make
