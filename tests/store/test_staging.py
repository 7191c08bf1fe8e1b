"""Rows staged before the write transaction (SQLite) store exactly what an unstaged write does.

Two SQLite stores run one sequence of contributions under one clock: one stages each
contribution's rows (as the REST API does), the other writes them the plain way (as on
PostgreSQL). The sequence re-reports values, reports values others reported (credit units
with history), repeats values within a batch, overrides markings, uses a new scope, and
holds a key collision; both stores must end up with the same rows and the same answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection

from phalanx.formats.items_json import records_of
from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.ingest import staged as staged_rows
from phalanx.members import service
from phalanx.members.model import Principal
from phalanx.observables.ids import observable_key
from phalanx.observables.normalize import normalize
from phalanx.settings import Settings
from phalanx.store import staging
from phalanx.store import world as world_store

POOL = [
    "alpha-gaming.net",
    "a.alpha-gaming.net",
    "http://alpha-gaming.net/x.php",
    "http://c.alpha-gaming.net/y",
    "beta-c2.org",
    "198.51.100.7",
    "http://198.51.100.7/p",
    "198.51.100.8",
    "9e107d9d372bb6826bd81d3542a419d6a1f4c8b2e3d5f60718293a4b5c6d7e8f",
    "d41d8cd98f00b204e9800998ecf8427e",
    "2a0e:97c0:3e3:17::1",
    "2a0e:97c0:3e3:17::2",
    "www.google.com",
    "8.8.8.8",
]
ORGS = (("Vendor A", "vendor", "DE"), ("CERT B", "cert", "FR"), ("ISAC C", "isac", "NL"))
COLLIDING = "collide.example"  # its key is taken by another value before it is contributed


class Store:
    """One SQLite hub under a clock the test moves."""

    def __init__(self, path: Path, staged: bool) -> None:
        self.at = datetime(2026, 11, 30, 12, tzinfo=UTC)
        self.hub = Hub.open(Settings(database_url=f"sqlite:///{path}"), clock=lambda: self.at)
        self.staged, self.stagings = staged, 0
        with self.hub.db.transaction() as conn:
            self.principals = [_member(self.hub, conn, *org) for org in ORGS]
            # A different value under the colliding value's key: 64-bit keys make this
            # astronomically rare, so the test forges it.
            key = observable_key(normalize(COLLIDING, None))
            conn.exec_driver_sql(
                "INSERT INTO observables (id, type, value) VALUES (?, 'domain', 'other.example')",
                (key,),
            )

    def contribute(
        self,
        org: int,
        items: list[dict[str, Any]],
        defaults: dict[str, Any],
        before_write: Callable[[Connection, staged_rows.Staged | None], None] | None = None,
    ) -> Any:
        """Run one contribution the way the REST API does; return its answer.

        ``before_write`` runs between staging and the write transaction, with the connection
        the rows are staged on.
        """
        self.at += timedelta(minutes=1)
        hub, principal = self.hub, self.principals[org]
        request = pipeline.Request(list(records_of(items)), defaults, "json")
        with hub.db.connection() as pinned:
            with hub.db.read(on=pinned) as conn:
                prepared = pipeline.prepare(hub, conn, principal=principal, request=request)
                staged = (
                    staged_rows.stage(hub, conn, principal=principal, prepared=prepared)
                    if self.staged
                    else None
                )
            self.stagings += staged is not None
            if before_write is not None:
                before_write(pinned, staged)
            with hub.db.transaction(on=pinned, foreign_keys=staged is None) as conn:
                result = pipeline.run(
                    hub,
                    conn,
                    principal=principal,
                    request=request,
                    prepared=prepared,
                    staged=staged,
                )
            with hub.db.read(on=pinned) as conn:
                staging.clear(conn)
                assert not _temp_tables(conn)
        answer = result.to_json()
        # The staged write renders the answer ahead (ingest/outcomes.py): the same bytes.
        assert result.response() == orjson.dumps(answer)
        answer.pop("contribution_id")
        return answer

    def rows(self) -> dict[str, list[Any]]:
        """Every row an ingest writes, in an order that does not depend on insert order."""
        queries = {
            "observables": "SELECT id, type, value FROM observables ORDER BY id",
            # By id: the staged write inserts reports in key order, as the plain one does.
            "reports": "SELECT id, observable_id, org_id, contribution_id, scope_id, kind, tlp,"
            " pap, labels, confidence, valid_from, valid_until, comment, anonymous,"
            " embargo_until, victim_country, created_at, updated_at, revoked_at FROM reports"
            " ORDER BY id",
            "ledger": "SELECT org_id, at, kind, centipoints, reason, shown_class, true_class,"
            " observable_id, contribution_id, report_id, credit_unit, by_org_id"
            # Each unit's rows in item order (its earning row first); rows re-scored in
            # the write transaction follow the staged ones, so units may interleave apart.
            " FROM alliance_ledger ORDER BY contribution_id, credit_unit, id",
            "scopes": "SELECT id, digest FROM scopes ORDER BY id",
            "contributions": "SELECT id, org_id, item_count, new_count, known_count,"
            " rejected_count FROM contributions ORDER BY id",
            # Each contribution's audit entry: its counts, points and the outcomes' digest.
            "audit": "SELECT action, details FROM audit_events"
            " WHERE action = 'contribution.create' ORDER BY seq",
        }
        with self.hub.db.read() as conn:
            return {name: list(conn.exec_driver_sql(sql).all()) for name, sql in queries.items()}

    def dangling(self) -> list[Any]:
        """Rows naming a row that does not exist (the staged write skips SQLite's checks)."""
        with self.hub.db.read() as conn:
            return list(conn.exec_driver_sql("PRAGMA foreign_key_check").all())


def _member(hub: Hub, conn: Connection, name: str, kind: str, country: str) -> Principal:
    org = service.create_org(conn, hub.db, name=name, kind=kind, country=country, now=hub.clock())
    key, _token = service.create_key(conn, hub.db, org=org, role="contributor", now=hub.clock())
    return service.principal_of_key(conn, key.id)


def _temp_tables(conn: Connection) -> list[str]:
    return list(conn.exec_driver_sql("SELECT name FROM sqlite_temp_master").scalars())


def _sequence(rng: random.Random) -> list[tuple[int, list[dict[str, Any]], dict[str, Any]]]:
    contributions = []
    for number in range(8):
        items: list[dict[str, Any]] = []
        for value in rng.sample(POOL, 9) + [f"fresh{number}-{i}.example" for i in range(5)]:
            item: dict[str, Any] = {"value": value}
            if rng.random() < 0.3:
                item["labels"] = [rng.choice(["c2", "phishing"]), "malware:emotet"]
            if rng.random() < 0.2:
                item["tlp"] = rng.choice(["clear", "amber"])
            items.append(item)
        items.append(dict(items[0]))  # a repeat within the batch
        if number == 5:
            items.append({"value": COLLIDING})
        defaults: dict[str, Any] = {"tlp": "green", "confidence": rng.choice([50, 70, 90])}
        if number == 3:  # a scope nobody used before: created before staging
            defaults = {"tlp": "amber", "share_with": ["CERT B"]}
        contributions.append((rng.randrange(len(ORGS)), items, defaults))
    return contributions


@pytest.mark.parametrize("seed", range(4))
def test_staged_writes_store_what_plain_writes_store(tmp_path: Path, seed: int) -> None:
    plain, staged = Store(tmp_path / "plain.db", False), Store(tmp_path / "staged.db", True)
    answers = []
    for org, items, defaults in _sequence(random.Random(seed)):
        answers.append(staged.contribute(org, items, defaults))
        assert answers[-1] == plain.contribute(org, items, defaults)
    assert staged.rows() == plain.rows()
    assert staged.dangling() == plain.dangling() == []
    # Every contribution was staged (the new scope's too), and the comparison covered each
    # kind of item: new, known, repeated within a batch, and refused for a collision.
    assert staged.stagings == 8
    outcomes = {(i["outcome"], i.get("reason", "")[:17]) for a in answers for i in a["items"]}
    assert {("new", ""), ("known", ""), ("known", "repeats item 0")} <= outcomes
    assert ("rejected", "internal key coll") in outcomes


def test_staged_rows_are_ignored_when_policy_changed_after_preparing(tmp_path: Path) -> None:
    store = Store(tmp_path / "staged.db", True)
    store.contribute(0, [{"value": "8.8.8.8"}], {})

    def change_policy(pinned: Connection, staged: staged_rows.Staged | None) -> None:
        assert staged is not None
        with store.hub.db.transaction() as conn:
            world_store.bump(conn)
        with store.hub.db.read(on=pinned) as conn:
            # Stale staged rows would put the report in the wrong place: spoil them.
            conn.exec_driver_sql("UPDATE temp.staged_report_slots SET tlp = 'red'")

    answer = store.contribute(0, [{"value": "198.51.100.7"}], {}, change_policy)
    assert answer["counts"] == {"new": 1, "known": 0, "rejected": 0}
    assert "red" not in {row[6] for row in store.rows()["reports"]}


def test_a_scope_made_for_staging_and_gone_before_the_write_is_made_again(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "staged.db", True)

    def drop_scopes(_pinned: Connection, staged: staged_rows.Staged | None) -> None:
        assert staged is not None and len(staged.created) == 1  # a new hub: no scope yet
        with store.hub.db.transaction() as conn:  # as a restore of an earlier copy would
            conn.exec_driver_sql("DELETE FROM scopes")

    answer = store.contribute(0, [{"value": "198.51.100.9"}], {}, drop_scopes)
    assert answer["counts"] == {"new": 1, "known": 0, "rejected": 0}
    rows = store.rows()
    assert len(rows["scopes"]) == 1 and len(rows["reports"]) == 1
    assert rows["reports"][0][4] == rows["scopes"][0][0]  # the report names the new scope
    assert store.dangling() == []


def test_units_credited_between_staging_and_writing_earn_nothing_again(tmp_path: Path) -> None:
    # The first contribution credits the unit alpha-gaming.net; the second names it again.
    first = [{"value": "http://alpha-gaming.net/x.php"}]
    later = [{"value": "a.alpha-gaming.net"}, {"value": "beta-c2.org"}]
    plain = Store(tmp_path / "plain.db", False)
    plain.contribute(0, first, {})
    expected = plain.contribute(0, later, {})
    assert [item["points"] > 0 for item in expected["items"]] == [False, True]

    store = Store(tmp_path / "staged.db", True)

    def write_first(_pinned: Connection, staged: staged_rows.Staged | None) -> None:
        assert staged is not None and not staged.credited  # nothing credited when staged
        store.contribute(0, first, {})  # the same organisation's earlier write lands first

    assert store.contribute(0, later, {}, write_first) == expected
    assert store.dangling() == []
