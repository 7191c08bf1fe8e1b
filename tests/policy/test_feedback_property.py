"""Sightings, opinions, confidence and impact show exactly what ``decide()`` allows.

The random worlds of ``worlds.py`` in a real store of each engine, plus a few sightings by
the world's viewers (random observable, kind, count, time and anonymity). A plain reference
written here says what each path must answer:

* recording: ``recorded`` exactly when the sighter may see a report of the observable, and
  then it attaches to exactly those reports; otherwise ``unknown`` with the very reason a
  never-seen value gets (nothing about the hidden observable leaks, nothing is stored);
* ``GET /observables/{type}/{value}/sightings`` per viewer: 404 exactly like a never-seen
  value when it may see no report; else the totals, per-organisation entries (only its own
  organisation and sighters who chose to be named), the pooled opinion of distinct
  organisations and the confidence computed from the visible reports and the evidence
  attached to them only;
* ``GET /sightings/impact``: the feedback on the viewer's own live reports;
* ``GET /reputation``: the viewer's organisation's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from phalanx.clock import format_timestamp, from_micros, to_micros
from phalanx.feedback import service
from phalanx.feedback.confidence import ReportInput, confidence
from phalanx.feedback.evidence import OrgEvidence, Stance
from phalanx.feedback.model import SightingItem, SightingKind
from phalanx.feedback.opinion import verdict
from phalanx.feedback.reputation import reputation_score
from phalanx.hub import Hub
from phalanx.settings import Settings
from phalanx.store.db import Database

from .profiles import NIGHTLY, NIGHTLY_SCALE
from .store import OneConnection, Stored, rolled_back, store_world
from .worlds import NEVER, NOW, WorldSpec, allowed, viewer, worlds

EXAMPLES = {"sqlite": 25, "postgres": 8}
KINDS = tuple(SightingKind)


@dataclass(frozen=True)
class SightingSpec:
    viewer: int  # index into the world's viewers: the sighter
    observable: int
    kind: SightingKind
    count: int
    hours_ago: int
    anonymous: bool


sightings_lists = st.lists(
    st.builds(
        SightingSpec,
        viewer=st.integers(0, 3),
        observable=st.integers(0, 6),
        kind=st.sampled_from(KINDS),
        count=st.integers(1, 5),
        hours_ago=st.integers(0, 3),
        anonymous=st.booleans(),
    ),
    max_size=8,
)


@dataclass
class Recorded:
    """A sighting the reference expects stored: who, what, and the reports it attached to."""

    org: int
    observable: int
    kind: SightingKind
    count: int
    last: int
    anonymous: bool
    attached: frozenset[int]  # report indexes


def test_feedback_paths_show_exactly_what_decide_allows(
    engine: str, store: Database, app: tuple[FastAPI, TestClient]
) -> None:
    application, client = app
    scale = NIGHTLY_SCALE if settings.get_current_profile_name() == NIGHTLY else 1

    @settings(
        max_examples=EXAMPLES[engine] * scale,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(spec=worlds(), drawn=sightings_lists)
    def check(spec: WorldSpec, drawn: list[SightingSpec]) -> None:
        with rolled_back(store) as conn:
            check_world(application, client, store, conn, spec, drawn)

    check()


def check_world(
    application: FastAPI,
    client: TestClient,
    store: Database,
    conn: Connection,
    spec: WorldSpec,
    drawn: list[SightingSpec],
) -> None:
    stored = store_world(conn, spec)
    hub = Hub(
        settings=Settings(database_url=store.url),
        db=OneConnection(store, conn),
        clock=lambda: NOW,
    )
    application.state.hub = hub
    # Every viewer states something about every observable, then the drawn sightings follow:
    # sighters and viewers see overlapping but different reports, the case that matters.
    everyone = [
        SightingSpec(v, o, KINDS[(v + o) % 3], v + 1, (v * o) % 4, (v + o) % 2 == 0)
        for v in range(len(spec.viewers))
        for o in range(len(spec.observables))
    ]
    statements = (record(hub, conn, spec, stored, s) for s in everyone + drawn)
    recorded = [r for r in statements if r is not None]
    unknown_via_api(client, spec, stored)
    for index in range(len(spec.viewers)):
        auth = {"Authorization": f"Bearer {stored.tokens[index]}"}
        reference = Reference(spec, stored, index, recorded)
        never = client.get(
            f"/api/v1/observables/{NEVER.type.value}/{NEVER.value}/sightings", headers=auth
        )
        assert never.status_code == 404
        for o, obs in enumerate(spec.observables):
            response = client.get(
                f"/api/v1/observables/{obs.type.value}/{obs.value}/sightings", headers=auth
            )
            expected = reference.feedback(o)
            if expected is None:
                assert response.status_code == 404, f"{obs} must not exist for this viewer"
                assert response.json()["detail"] == never.json()["detail"].replace(
                    str(NEVER), str(obs)
                )
                continue
            assert response.status_code == 200, response.text
            body = response.json()
            assert body.pop("as_of") == format_timestamp(NOW)
            assert body == expected
        impact = client.get("/api/v1/sightings/impact", headers=auth).json()
        assert impact["items"] == reference.impact()
        mine = client.get("/api/v1/reputation", headers=auth).json()
        good, bad = reference.reputation(spec.viewers[index].org)
        assert (mine["confirmed"], mine["false_positives"]) == (good, bad)


def record(
    hub: Hub, conn: Connection, spec: WorldSpec, stored: Stored, s: SightingSpec
) -> Recorded | None:
    """Record one drawn sighting through the service; check its outcome against decide()."""
    v = s.viewer % len(spec.viewers)
    o = s.observable % len(spec.observables)
    obs = spec.observables[o]
    principal = stored.principals[v]
    last = NOW - timedelta(hours=s.hours_ago)
    item = SightingItem(0, obs.value, obs, s.kind, s.count, last, last, anonymous=s.anonymous)
    answer = service.record_sightings(
        hub,
        conn,
        principal=principal,
        viewer=hub.viewer(principal),
        request=service.SightingRequest([item], "json"),
    )
    outcome = orjson.loads(answer.body)["items"][0]
    visible = {
        r for r in allowed(spec, stored.ids, viewer(spec, stored.ids, v))
        if spec.reports[r].observable == o
    }  # fmt: skip
    if not visible:
        assert outcome["outcome"] == "unknown" and answer.events == []
        assert outcome["reason"] == f"no observable {obs}"
        return None
    assert outcome["outcome"] == "recorded", outcome
    attached = {e.report_ids for e in answer.events if hasattr(e, "report_ids")}
    assert attached == {tuple(sorted(stored.reports[r] for r in visible))}
    org = spec.viewers[v].org
    return Recorded(org, o, s.kind, s.count, to_micros(last), s.anonymous, frozenset(visible))


def unknown_via_api(client: TestClient, spec: WorldSpec, stored: Stored) -> None:
    """Over HTTP, a hidden observable and a never-seen one get the same answer."""
    auth = {"Authorization": f"Bearer {stored.tokens[0]}", "Content-Type": "application/json"}
    who = viewer(spec, stored.ids, 0)
    seen = {spec.reports[r].observable for r in allowed(spec, stored.ids, who)}
    never = post_one(client, auth, NEVER)
    for o, obs in enumerate(spec.observables):
        if o not in seen:
            assert post_one(client, auth, obs) == never


def post_one(client: TestClient, auth: dict[str, str], obs: Any) -> dict[str, Any]:
    """The answer to one sighting of ``obs``, with the value itself masked."""
    body = orjson.dumps([{"type": obs.type.value, "value": obs.value}])
    response = client.post("/api/v1/sightings", content=body, headers=auth)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["counts"] == {"recorded": 0, "duplicate": 0, "unknown": 1, "rejected": 0}
    (item,) = answer["items"]
    masked = {k: v for k, v in item.items() if k not in ("input", "type", "value")}
    return masked | {"reason": item["reason"].replace(str(obs), "X")}


class Reference:
    """What one viewer should see, computed plainly from the world and the recorded sightings."""

    def __init__(self, spec: WorldSpec, stored: Stored, index: int, recorded: list[Recorded]):
        self.spec, self.stored, self.recorded = spec, stored, recorded
        self.org = spec.viewers[index].org
        self.visible = allowed(spec, stored.ids, viewer(spec, stored.ids, index))

    def feedback(self, o: int) -> dict[str, Any] | None:
        vis = {r for r in self.visible if self.spec.reports[r].observable == o}
        if not vis:
            return None
        evidence = self.evidence(
            [s for s in self.recorded if s.observable == o and s.attached & vis]
        )
        contributors = {self.spec.reports[r].org for r in vis}
        negative = {org for org, e in evidence.items() if e.stance is Stance.FALSE_POSITIVE}
        positive = (
            contributors | {org for org, e in evidence.items() if e.stance is Stance.SEEN}
        ) - negative
        ids = self.stored.ids.orgs
        reports = [self.report_input(r) for r in sorted(vis)]
        reps = {ids[c]: reputation_score(*self.reputation(c)) for c in contributors}
        result = confidence(
            self.spec.observables[o].type, reports, {ids[org]: e for org, e in evidence.items()},
            reps, viewer_org=ids[self.org], now=NOW,
        )  # fmt: skip
        obs = self.spec.observables[o]
        return {
            "type": obs.type.value,
            "value": obs.value,
            "sightings": totals(evidence),
            "organisations": self.named(evidence),
            "opinion": {
                "verdict": verdict(len(positive), len(negative)).value,
                "positive": len(positive),
                "negative": len(negative),
            },
            "confidence": {
                "score": result.score,
                "initial": result.initial,
                "half_life_days": result.half_life_days,
                "expired": result.expired,
            },
        }

    def report_input(self, r: int) -> ReportInput:
        report = self.spec.reports[r]
        updated = to_micros(NOW + report.updated)
        return ReportInput(self.stored.ids.orgs[report.org], report.confidence, updated, None)

    def evidence(self, sightings: list[Recorded]) -> dict[int, OrgEvidence]:
        """Each organisation's statements, in the order they were made."""
        # Statement by statement, as stated: a ``seen`` at or after the standing ``expired``
        # clears it. A surviving ``expired`` is then later than every ``seen`` at its time,
        # which the statement numbers (positions here) tell OrgEvidence.expired.
        found: dict[int, OrgEvidence] = {}
        for number, s in enumerate(sightings, start=1):
            e = found.get(s.org)
            if e is None:
                e = found[s.org] = OrgEvidence(named=not s.anonymous)
            e.named = e.named and not s.anonymous
            if s.kind is SightingKind.SEEN:
                e.seen += s.count
                e.seen_first = s.last if e.seen_first is None else min(e.seen_first, s.last)
                if e.seen_last is None or s.last >= e.seen_last:
                    e.seen_last, e.seen_number = s.last, number
                if e.expired_at is not None and s.last >= e.expired_at:
                    e.expired_at = None
            elif s.kind is SightingKind.FALSE_POSITIVE:
                e.false_positives += 1
                e.fp_last = s.last if e.fp_last is None else max(e.fp_last, s.last)
            else:
                if e.expired_at is None or s.last >= e.expired_at:
                    e.expired_at, e.expired_number = s.last, number
                continue
            if e.stance_at is None or s.last >= e.stance_at:
                e.stance = Stance.SEEN if s.kind is SightingKind.SEEN else Stance.FALSE_POSITIVE
                e.stance_at, e.stance_number = s.last, number
        return found

    def named(self, evidence: dict[int, OrgEvidence]) -> list[dict[str, Any]]:
        names = self.stored.org_names
        shown = [(names[org], e) for org, e in evidence.items() if org == self.org or e.named]
        return [entry(name, e) for name, e in sorted(shown, key=lambda item: item[0])]

    def reputation(self, org: int) -> tuple[int, int]:
        """(confirmed, false positives) of an organisation's reports, by other organisations."""
        good = bad = 0
        for r, report in enumerate(self.spec.reports):
            if report.org != org:
                continue
            on_report = [s for s in self.recorded if r in s.attached and s.org != org]
            for e in self.evidence(on_report).values():
                good += e.stance is Stance.SEEN
                bad += e.stance is Stance.FALSE_POSITIVE
        return good, bad

    def impact(self) -> list[dict[str, Any]]:
        items = []
        for r, report in enumerate(self.spec.reports):
            if report.org != self.org or report.revoked:
                continue
            evidence = self.evidence([s for s in self.recorded if r in s.attached])
            if not evidence:
                continue
            obs = self.spec.observables[report.observable]
            items.append(
                (
                    self.stored.reports[r],
                    {
                        "report_id": self.stored.reports[r],
                        "type": obs.type.value,
                        "value": obs.value,
                        "sightings": totals(evidence),
                        "organisations": self.named(evidence),
                    },
                )
            )
        return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def totals(evidence: dict[int, OrgEvidence]) -> dict[str, Any]:
    firsts = [e.seen_first for e in evidence.values() if e.seen_first is not None]
    lasts = [e.seen_last for e in evidence.values() if e.seen_last is not None]
    return {
        "seen": sum(e.seen for e in evidence.values()),
        "seen_organisations": sum(1 for e in evidence.values() if e.seen),
        "false_positive_organisations": sum(
            1 for e in evidence.values() if e.stance is Stance.FALSE_POSITIVE
        ),
        "expired_organisations": sum(1 for e in evidence.values() if e.expired),
        "first_seen": _time(min(firsts) if firsts else None),
        "last_seen": _time(max(lasts) if lasts else None),
    }


def entry(name: str, e: OrgEvidence) -> dict[str, Any]:
    stance = {Stance.NONE: None, Stance.SEEN: "seen", Stance.FALSE_POSITIVE: "false-positive"}
    return {
        "org": name, "seen": e.seen, "first_seen": _time(e.seen_first),
        "last_seen": _time(e.seen_last), "false_positives": e.false_positives,
        "stance": stance[e.stance], "expired": e.expired,
    }  # fmt: skip


def _time(micros: int | None) -> str | None:
    return None if micros is None else format_timestamp(from_micros(micros))
