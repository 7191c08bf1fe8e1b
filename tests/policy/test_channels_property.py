"""Deployment channels contain exactly what ``decide()`` lets their organisation see.

The random worlds of ``worlds.py``, stored as in the other property tests. For every
organisation that views the world, a CSV and a STIX channel that keep everything (no
filter, PAP:RED and benign values included) are built through the feed service
(``deployment/feeds.current``: the visibility SQL, the merge, the format): the observables
they carry must be exactly those of the reports ``decide`` allows the organisation for
the purpose ``network-defense`` (never as a hub admin), and each CSV row's merged markings,
labels and confidence must come from those reports only.
"""

from __future__ import annotations

import csv
import io

import orjson
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Connection

from phalanx.channels.model import ChannelFilter
from phalanx.deployment import feeds
from phalanx.hub import Hub
from phalanx.policy.model import Viewer
from phalanx.settings import Settings
from phalanx.store import channels as channel_store
from phalanx.store.db import Database

from .profiles import NIGHTLY, NIGHTLY_SCALE
from .store import OneConnection, Stored, rolled_back, store_world
from .worlds import NOW, WorldSpec, allowed, worlds

EXAMPLES = {"sqlite": 30, "postgres": 8}
KEEP_ALL = ChannelFilter(exclude_pap_red=False, exclude_benign=False)


def channel_settings(engine: str) -> settings:
    scale = NIGHTLY_SCALE if settings.get_current_profile_name() == NIGHTLY else 1
    return settings(
        max_examples=EXAMPLES[engine] * scale,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def test_channels_carry_exactly_what_decide_allows(engine: str, store: Database) -> None:
    @channel_settings(engine)
    @given(spec=worlds())
    def check(spec: WorldSpec) -> None:
        with rolled_back(store) as conn:
            stored = store_world(conn, spec)
            hub = Hub(
                settings=Settings(database_url=store.url),
                db=OneConnection(store, conn),
                clock=lambda: NOW,
            )
            for org in sorted({v.org for v in spec.viewers}):
                check_org(hub, conn, spec, stored, org)

    check()


def expected(spec: WorldSpec, stored: Stored, org: int) -> dict[tuple[str, str], dict]:
    """Per visible observable: the markings, labels and confidence merged from its reports."""
    who = Viewer(
        org_id=stored.ids.orgs[org], country=spec.countries[org], purpose="network-defense"
    )
    merged: dict[tuple[str, str], dict] = {}
    for r in allowed(spec, stored.ids, who):
        report = spec.reports[r]
        obs = spec.observables[report.observable]
        tlp = spec.scopes[report.scope].tlp
        row = merged.setdefault(
            (obs.type.value, obs.value), {"tlp": tlp, "pap": report.pap, "labels": set(), "c": []}
        )
        row["tlp"] = max(row["tlp"], tlp, key=lambda t: t.rank)
        row["pap"] = max(row["pap"], report.pap, key=lambda p: p.rank)
        row["labels"] |= report.labels
        if report.confidence is not None:
            row["c"].append(report.confidence)
    return merged


def check_org(hub: Hub, conn: Connection, spec: WorldSpec, stored: Stored, org: int) -> None:
    want = expected(spec, stored, org)
    org_id = stored.ids.orgs[org]
    made = {}
    for fmt in ("csv", "stix"):
        channel_id = channel_store.add(
            conn, org_id=org_id, name=f"{fmt} {org}", fmt=fmt, channel_filter=KEEP_ALL, now=NOW
        )
        channel = channel_store.get(conn, channel_id)
        content = feeds.current(hub, channel, force=True).content
        assert content is not None
        made[fmt] = content
    rows = list(csv.DictReader(io.StringIO(made["csv"].decode(), newline="")))
    got = {(row["type"], row["value"]): row for row in rows}
    assert set(got) == set(want)
    for key, row in got.items():
        merged = want[key]
        assert row["tlp"] == merged["tlp"].value and row["pap"] == merged["pap"].value
        assert set(filter(None, row["labels"].split(";"))) == merged["labels"]
        assert row["confidence"] == (str(max(merged["c"])) if merged["c"] else "")
    bundle = orjson.loads(made["stix"])
    indicators = [o for o in bundle.get("objects", ()) if o["type"] == "indicator"]
    assert len(indicators) == len(want)
    for value in {value for _, value in want}:
        assert any(value in o["pattern"] for o in indicators)
