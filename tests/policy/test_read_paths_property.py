"""Every read path returns, counts or hints at exactly what ``decide()`` allows.

Each example is a random world (organisations with countries, users, communities, agreements
with parties, purposes, kinds, labels, jurisdictions, victim-country limits, retention and
validity windows, revocations; scopes with TLP, named organisations and users, communities,
agreements and early access; reports with labels, ages, embargoes, victim countries,
anonymity and revocation; viewers with purposes, users, admin roles and plans cached at an
earlier moment) in a real store of each engine. For every viewer, ``decide()`` over the
world's policy objects gives the expected reports, and every path must agree exactly:

* storage (the SQL every read runs): ``visible_keys``, ``for_keys``, ``by_ids``,
  ``iter_visible`` (both orders, keyset batches, random filters), ``page_keys`` (keyset
  pages), ``counts``: on the most worlds;
* services: single lookup (for a hidden value, the very NotFound of a never-seen one), bulk
  lookup, the paged listing, single report, statistics, export as CSV, text and STIX (the
  anonymity rule in ``org`` and ``created_by_ref``), the operator's ``explain``, and the
  contribution outcome (``known`` only when the contributor may see a report of the value).

The REST API on top is checked by ``test_api_property.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from hypothesis import given
from sqlalchemy import Connection

from phalanx.errors import NotFound
from phalanx.export.service import start_export
from phalanx.export.stix import hub_uuid, indicator_uuid
from phalanx.formats.items_json import records_of
from phalanx.formats.stix21.identities import identity_id
from phalanx.hub import Hub
from phalanx.ingest.pipeline import Request, contribute
from phalanx.intel.merge import view_json
from phalanx.intel.model import ObservableView
from phalanx.lookup import service as lookup
from phalanx.observables.model import Observable
from phalanx.policy.decide import decide
from phalanx.policy.model import Viewer
from phalanx.settings import Settings
from phalanx.sharing.explain import explain
from phalanx.store import reports as report_store
from phalanx.store.db import Database
from phalanx.store.reports import ReportFilter

from .expect import Expected
from .profiles import policy_settings
from .store import OneConnection, Stored, org_uuid, rolled_back, store_world
from .worlds import (
    NEVER,
    NOW,
    WorldSpec,
    key_of,
    policy_world,
    report_facts,
    report_filters,
    worlds,
)

HUB_NAME = "Phalanx"
NO_FILTER = ReportFilter()


class Clock:
    """The hub's clock: NOW, except while a plan is compiled ahead of time."""

    def __init__(self) -> None:
        self.moment = NOW

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class Stage:
    """One stored world and a hub on it."""

    spec: WorldSpec
    stored: Stored
    hub: Hub
    conn: Connection
    clock: Clock


def test_visibility_sql_selects_exactly_what_decide_allows(engine: str, store: Database) -> None:
    """The SQL every read path filters with, for every viewer: the most worlds."""

    @policy_settings(f"sql-{engine}")
    @given(spec=worlds(), filters=report_filters())
    def check(spec: WorldSpec, filters: ReportFilter) -> None:
        in_world(store, spec, lambda stage: for_viewers(stage, filters, ViewerCheck.visibility))

    check()


def test_store_reads_return_exactly_what_decide_allows(engine: str, store: Database) -> None:
    """Every storage read, with keyset batches and pages small enough to turn."""

    @policy_settings(f"store-{engine}")
    @given(spec=worlds(), filters=report_filters())
    def check(spec: WorldSpec, filters: ReportFilter) -> None:
        in_world(store, spec, lambda stage: for_viewers(stage, filters, ViewerCheck.store_reads))

    check()


def test_service_reads_return_exactly_what_decide_allows(engine: str, store: Database) -> None:
    """Lookups, listing, reports, statistics, exports, explain and contribution outcomes."""

    @policy_settings(f"services-{engine}")
    @given(spec=worlds(), filters=report_filters())
    def check(spec: WorldSpec, filters: ReportFilter) -> None:
        in_world(store, spec, lambda stage: check_services(stage, filters))

    check()


def in_world(
    db: Database,
    spec: WorldSpec,
    check: Callable[[Stage], None],
    *,
    before: Callable[[Connection, Stored], None] | None = None,
    **settings_: Any,
) -> None:
    """Store ``spec`` (then ``before``), run ``check`` with a hub on it, roll everything back."""
    with rolled_back(db) as conn:
        stored = store_world(conn, spec)
        if before is not None:
            before(conn, stored)
        settings = Settings(
            database_url=db.url,
            hub_name=HUB_NAME,
            admins_see_anonymous=spec.admins_see_anonymous,
            **settings_,
        )
        clock = Clock()
        hub = Hub(settings=settings, db=OneConnection(db, conn), clock=clock)
        check(Stage(spec, stored, hub, conn, clock))


def for_viewers(stage: Stage, filters: ReportFilter, check: Callable[[ViewerCheck], None]) -> None:
    for index in range(len(stage.spec.viewers)):
        check(ViewerCheck(stage, index, filters))


def check_services(stage: Stage, filters: ReportFilter) -> None:
    for index in range(len(stage.spec.viewers)):
        check = ViewerCheck(stage, index, filters)
        check.lookups()
        check.listing()
        check.reports_and_statistics()
        check.exports()
    check_explain(stage)
    check_contribution_outcomes(stage, len(stage.spec.viewers) - 1)


class ViewerCheck:
    """The read paths, for one viewer of one stored world."""

    def __init__(self, stage: Stage, index: int, filters: ReportFilter) -> None:
        self.stage, self.hub, self.conn = stage, stage.hub, stage.conn
        self.filters = filters
        self.expected = Expected(stage.spec, stage.stored, index, filters)
        self.principal = stage.stored.principals[index]
        self.who = self.hub.viewer(self.principal)
        assert self.who == self.expected.who
        warm = stage.spec.viewers[index].warm
        if warm is not None:  # compile and cache the plan earlier: reads now reuse it
            stage.clock.moment = NOW + warm
            self.hub.plan(self.conn, self.who)
            stage.clock.moment = NOW

    def visibility(self) -> None:
        """The plan's SQL selects exactly the allowed reports, with and without filters."""
        conn, plan, e = self.conn, self.hub.plan(self.conn, self.who), self.expected
        stored = self.stage.stored
        rows = report_store.by_ids(conn, plan, stored.reports)
        assert [row["id"] for row in rows] == e.report_ids(e.visible)
        keys = report_store.page_keys(conn, plan, self.filters, after=None, limit=100)
        assert keys == e.keys(e.matching), self.filters

    def store_reads(self) -> None:
        """Every storage read, with keyset batches and pages small enough to turn."""
        conn, plan, e = self.conn, self.hub.plan(self.conn, self.who), self.expected
        stored = self.stage.stored
        everything = [*stored.keys, key_of(NEVER)]
        assert sorted(report_store.visible_keys(conn, plan, everything)) == e.keys(e.visible)
        rows = report_store.for_keys(conn, plan, everything)
        assert [row["id"] for row in rows] == e.report_ids(e.visible)
        rows = report_store.by_ids(conn, plan, [*stored.reports, max(stored.reports) + 1])
        assert [row["id"] for row in rows] == e.report_ids(e.visible)
        by_observable = e.index % 2 == 1  # both orders, alternately
        batches = report_store.iter_visible(
            conn, plan, NO_FILTER, batch=4, by_observable=by_observable
        )
        got = [(row["observable_id"], row["id"]) for batch in batches for row in batch]
        pairs = [(stored.keys[e.spec.reports[r].observable], stored.reports[r]) for r in e.visible]
        assert got == sorted(pairs, key=None if by_observable else (lambda pair: pair[1]))
        batches = report_store.iter_visible(conn, plan, self.filters, batch=3)
        ids = [row["id"] for batch in batches for row in batch]
        assert ids == e.report_ids(e.matching), self.filters
        pages: list[int] = []
        after = None
        while True:
            page = report_store.page_keys(conn, plan, self.filters, after=after, limit=3)
            pages.extend(page)
            if len(page) < 3:
                break
            after = page[-1]
        assert pages == e.keys(e.matching), self.filters
        assert report_store.counts(conn, plan) == e.counts()

    def check_view(self, view: ObservableView) -> None:
        """A merged view is built from the visible reports of its observable, no others."""
        data = view_json(view)
        data["reports"] = [(r["id"], r["org"]) for r in data["reports"]]
        o = self.expected.observable_index(view.type.value, view.value)
        assert data == self.expected.view(o)

    def lookups(self) -> None:
        hub, conn, who, e = self.hub, self.conn, self.who, self.expected
        never = _not_found(lambda: lookup.get_observable(hub, conn, who, NEVER))
        assert never is not None
        for o, obs in enumerate(e.spec.observables):
            if e.of_observable(o):
                self.check_view(lookup.get_observable(hub, conn, who, obs))
                continue
            hidden = _not_found(lambda obs=obs: lookup.get_observable(hub, conn, who, obs))
            assert hidden is not None, f"{obs} must not exist for this viewer"
            assert hidden.to_dict() == _as_if(never.to_dict(), NEVER, obs)
        wanted = [*e.spec.observables, NEVER, *reversed(e.spec.observables)]
        views = lookup.lookup_many(hub, conn, who, wanted)
        shown = [o for o in range(len(e.spec.observables)) if e.of_observable(o)]
        assert [(v.type, v.value) for v in views] == [
            (e.spec.observables[o].type, e.spec.observables[o].value) for o in shown
        ]
        for view in views:
            self.check_view(view)

    def listing(self) -> None:
        listed: list[ObservableView] = []
        after = None
        while True:
            views, after = lookup.page(
                self.hub, self.conn, self.who, self.filters, after=after, limit=2
            )
            listed.extend(views)
            if after is None:
                break
        keys = [key_of(Observable(view.type, view.value)) for view in listed]
        assert keys == self.expected.keys(self.expected.matching), self.filters
        for view in listed:
            self.check_view(view)

    def reports_and_statistics(self) -> None:
        hub, conn, who, e = self.hub, self.conn, self.who, self.expected
        absent = max(e.stored.reports) + 1
        for r, report_id in enumerate([*e.stored.reports, absent]):
            if r in e.visible:
                shown = lookup.visible_report(hub, conn, who, report_id)
                assert (shown.id, shown.org) == (report_id, e.org(report_id))
                continue
            error = _not_found(lambda rid=report_id: lookup.visible_report(hub, conn, who, rid))
            assert error is not None, f"report {r} must not exist for this viewer"
            assert error.to_dict() == {"title": "Not found", "detail": f"no report {report_id}"}
        assert lookup.statistics(hub, conn, who) == e.statistics()

    def export(self, fmt: str) -> bytes:
        stream = start_export(
            self.hub, principal=self.principal, viewer=self.who, fmt=fmt, filters=self.filters
        )
        return b"".join(stream)

    def exports(self) -> None:
        e = self.expected
        check_csv(self.export("csv"), e)
        assert sorted(self.export("text").decode().splitlines()) == e.values(e.matching)
        check_stix(self.export("stix"), e)


def check_csv(body: bytes, e: Expected) -> None:
    """One row per visible report passing the filters, contributor named only if allowed."""
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted(int(row["report_id"]) for row in rows) == e.report_ids(e.matching), e.filters
    for row in rows:
        assert (row["org"] or None) == e.org(int(row["report_id"]))


def check_stix(body: bytes, e: Expected) -> None:
    """One indicator per visible report passing the filters; anonymous ones by the hub."""
    bundle = orjson.loads(body)
    indicators = [o for o in bundle.get("objects", []) if o["type"] == "indicator"]
    ids = {f"indicator--{indicator_uuid(HUB_NAME, rid)}": rid for rid in e.report_ids(e.matching)}
    assert sorted(o["id"] for o in indicators) == sorted(ids), e.filters
    for indicator in indicators:
        org = e.org(ids[indicator["id"]])
        creator = (
            identity_id(hub_uuid(HUB_NAME))
            if org is None
            else identity_id(org_uuid(e.stored.org_names.index(org)))
        )
        assert indicator["created_by_ref"] == creator
    identities = {o["name"] for o in bundle.get("objects", []) if o["type"] == "identity"}
    named = {e.org(rid) for rid in e.report_ids(e.matching)} - {None}
    assert identities == {HUB_NAME, *named}  # no identity of a hidden contributor


def check_explain(stage: Stage) -> None:
    """The operator's explanation is decide() over the stored facts (first viewer's org).

    An anonymous report's contributor is not singled out to an operator who may not learn
    it: the question is then answered as if no organisation had contributed the report.
    """
    spec, stored, hub, conn = stage.spec, stage.stored, stage.hub, stage.conn
    who = spec.viewers[0]
    org_viewer = Viewer(
        org_id=stored.ids.orgs[who.org], country=spec.countries[who.org], purpose=who.purpose
    )
    world = policy_world(spec, stored.ids)
    name = stored.org_names[who.org]
    for r, report_id in enumerate(stored.reports):
        if spec.reports[r].revoked:
            assert _not_found(lambda rid=report_id: explain(hub, conn, org=name, report_id=rid))
            continue
        answer = explain(hub, conn, org=name, report_id=report_id, purpose=who.purpose)
        facts = report_facts(spec, stored.ids, r)
        if spec.reports[r].anonymous and not spec.admins_see_anonymous:
            facts = dataclasses.replace(facts, org_id=-1)
        decision = decide(org_viewer, facts, now=NOW, world=world)
        assert (answer["allowed"], answer["rule"]) == (decision.allowed, decision.rule)


def check_contribution_outcomes(stage: Stage, index: int) -> None:
    """Contributing values answers ``known`` exactly for those with a report it may see."""
    spec, hub = stage.spec, stage.hub
    e = Expected(spec, stage.stored, index, NO_FILTER)
    items = [{"type": o.type.value, "value": o.value} for o in (*spec.observables, NEVER)]
    # A hub of its own: caches must not keep rows the rolled-back contribution wrote.
    fresh = Hub(settings=hub.settings, db=hub.db, clock=hub.clock)
    with hub.db.transaction() as conn:
        body, replayed = contribute(
            fresh,
            conn,
            principal=stage.stored.principals[index],
            request=Request(records=records_of(items), defaults={}, format="json"),
        )
    outcomes = [item["outcome"] for item in orjson.loads(body)["items"]]
    expected = ["known" if e.of_observable(o) else "new" for o in range(len(spec.observables))]
    assert (outcomes, replayed) == ([*expected, "new"], False)


def _not_found(call: Callable[[], Any]) -> NotFound | None:
    try:
        call()
    except NotFound as error:
        return error
    return None


def _as_if(answer: dict[str, Any], never: Observable, obs: Observable) -> dict[str, Any]:
    """The never-seen answer with the never-seen value replaced by ``obs``."""
    detail = str(answer["detail"]).replace(
        f"{never.type.value}:{never.value}", f"{obs.type.value}:{obs.value}"
    )
    return {**answer, "detail": detail}
