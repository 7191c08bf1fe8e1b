"""Give-to-get standing on a real store: every read path agrees with ``decide()``.

``test_plan_property.py`` checks, without a store, that plans compiled for worlds with
organisations out of good standing admit what ``decide`` allows. Here the same random worlds
(``worlds(restricted=True)``) are stored with the standing expressed the ways a hub stores
it — an administrator's ``restricted`` override, a restriction moment already reached (at
exactly now, or earlier), and, for organisations in good standing, a restriction moment just
after now, no row at all (a new member still in grace), or a past restriction lifted by a
``good`` override — and the hub derives ``World.restricted`` from those rows at its clock's
moment. Storage reads, the service read paths and contribution outcomes must then show
exactly what ``decide`` allows; plans compiled (and cached) a day or two before ``now``,
when nobody was restricted yet, must not survive the restriction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection

from phalanx.clock import to_micros
from phalanx.store.db import Database
from phalanx.store.reports import ReportFilter
from phalanx.store.tables import alliance_standing

from .profiles import policy_settings
from .store import Stored
from .test_read_paths_property import (
    Stage,
    ViewerCheck,
    check_services,
    for_viewers,
    in_world,
)
from .worlds import NOW, WorldSpec, report_filters, worlds

_US = timedelta(microseconds=1)
# A contribution must never lift a restriction in the middle of a check.
RULE = {"standing_min_points_per_day": 1_000.0, "standing_grace_days": 1}
# How each organisation's standing is stored: ways below RESTRICTED_WAYS restrict it.
RESTRICTED_WAYS, WAYS = 3, 6
Ways = tuple[int, ...]


@st.composite
def standing_worlds(draw: st.DrawFn) -> tuple[WorldSpec, Ways]:
    """A random world, and for each organisation one way of storing its standing.

    About half the organisations are out of good standing (``worlds(restricted=True)``
    restricts a sparse few, too few for the standing rule to decide often).
    """
    spec = draw(worlds())
    ways = tuple(draw(st.integers(0, WAYS - 1)) for _ in spec.orgs)
    restricted = frozenset(org for org in spec.orgs if ways[org] < RESTRICTED_WAYS)
    return dataclasses.replace(spec, restricted=restricted), ways


def test_store_reads_respect_standing(engine: str, store: Database) -> None:
    """The visibility SQL and every storage read, for every viewer."""

    @policy_settings(f"store-{engine}")
    @given(world=standing_worlds(), filters=report_filters())
    def check(world: tuple[WorldSpec, Ways], filters: ReportFilter) -> None:
        def reads(view: ViewerCheck) -> None:
            view.visibility()
            view.store_reads()

        in_standing_world(store, *world, lambda stage: for_viewers(stage, filters, reads))

    check()


def test_service_reads_respect_standing(engine: str, store: Database) -> None:
    """Lookups, listing, reports, statistics, exports, explain and contribution outcomes."""

    @policy_settings(f"services-{engine}")
    @given(world=standing_worlds(), filters=report_filters())
    def check(world: tuple[WorldSpec, Ways], filters: ReportFilter) -> None:
        in_standing_world(store, *world, lambda stage: check_services(stage, filters))

    check()


def in_standing_world(
    db: Database, spec: WorldSpec, ways: Ways, check: Callable[[Stage], None]
) -> None:
    """Store ``spec`` with its standings, run ``check`` with a hub on it, roll back."""
    in_world(
        db,
        spec,
        check,
        before=lambda conn, stored: store_standing(conn, spec, ways, stored),
        **RULE,
    )


def store_standing(conn: Connection, spec: WorldSpec, ways: Ways, stored: Stored) -> None:
    """Store each organisation's standing its drawn way."""
    rows = []
    for org in spec.orgs:
        row: dict[str, object] = {"org_id": stored.ids.orgs[org], "evaluated_at": to_micros(NOW)}
        way = ways[org]
        if way == 0:  # an administrator restricted it
            row |= override("restricted", NOW - timedelta(days=10))
        elif way in (1, 2):  # its grace period ended exactly now, or a day ago
            row["restricted_from"] = to_micros(NOW if way == 1 else NOW - timedelta(days=1))
        elif way == 3:
            continue  # no row: it joined now and is in grace until tomorrow
        elif way == 4:  # its grace period ends a microsecond from now
            row["restricted_from"] = to_micros(NOW + _US)
        else:  # restricted days ago, but an override keeps it in until just after now
            row["restricted_from"] = to_micros(NOW - timedelta(days=5))
            row |= override("good", NOW - timedelta(days=6), until=NOW + _US)
        rows.append(row)
    for row in rows:
        conn.execute(alliance_standing.insert().values(**row))


def override(status: str, at: object, until: object = None) -> dict[str, object]:
    """The override columns of a stored standing."""
    return {
        "override_status": status,
        "override_reason": "property test",
        "override_at": to_micros(at),  # type: ignore[arg-type]
        "override_until": None if until is None else to_micros(until),  # type: ignore[arg-type]
    }
