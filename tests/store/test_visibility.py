"""``allows`` (the plan evaluated in Python, for small reads) admits exactly what the SQL does.

The SQL (``visible``) is checked against ``decide()`` by the policy property tests; this test
ties its Python twin to it, row by row, on both engines: random plans (partitioned like
``compile_plan`` makes them, or overlapping) over a handful of scopes, and random reports at
the boundaries of embargo and retention, with labels that only a careless LIKE would confuse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, insert, select

from phalanx.clock import to_micros
from phalanx.members import service
from phalanx.policy.labels import encode_labels
from phalanx.policy.plan import Clause, Embargo, VisibilityPlan
from phalanx.store.tables import contributions, observables, reports, scopes
from phalanx.store.visibility import allows, visible

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SCOPES = range(1, 9)
KINDS = ("ipv4", "domain", "url")
LABELS = ("c2", "c_2", "c-2", "c2x", "malware:emotet", "attack:T1071")
_US = timedelta(microseconds=1)
# Report ages around the 1- and 30-day retention cut-offs; embargo ends around NOW.
CREATED = tuple(
    NOW - offset
    for offset in (
        timedelta(days=31),
        timedelta(days=30) + _US,
        timedelta(days=30),
        timedelta(days=30) - _US,
        timedelta(days=1) + _US,
        timedelta(days=1),
        timedelta(days=1) - _US,
        timedelta(0),
    )
)
EMBARGOES = (None, NOW - timedelta(days=1), NOW - _US, NOW, NOW + _US, NOW + timedelta(days=2))

clauses = st.builds(
    Clause,
    scopes=st.frozensets(st.sampled_from(SCOPES), min_size=1, max_size=4),
    embargo=st.sampled_from(Embargo),
    kinds=st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(KINDS), max_size=2)),
    labels=st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(LABELS), max_size=2)),
    victim_country=st.sampled_from((None, None, None, "", "DE", "FR")),
    retention_days=st.sampled_from((None, None, 1, 30)),
)

rows = st.fixed_dictionaries(
    {
        "org_id": st.sampled_from((1, 2, 2, 2)),  # 1 is the viewer's own
        "scope_id": st.sampled_from(SCOPES),
        "kind": st.sampled_from(KINDS),
        "labels": st.frozensets(st.sampled_from(LABELS), max_size=2),
        "embargo_until": st.sampled_from(EMBARGOES),
        "victim_country": st.sampled_from((None, "DE", "FR")),
        "created_at": st.sampled_from(CREATED),
        "revoked": st.booleans(),
    }
)


@st.composite
def plans(draw: st.DrawFn) -> VisibilityPlan:
    """A plan whose clauses partition their scopes (as compiled), or overlap (hand-made)."""
    drawn = draw(st.lists(clauses, max_size=5))
    if draw(st.booleans()):
        seen: set[int] = set()
        partitioned = []
        for clause in drawn:
            own = clause.scopes - seen
            seen |= own
            if own:
                partitioned.append(
                    Clause(
                        own,
                        clause.embargo,
                        clause.kinds,
                        clause.labels,
                        clause.victim_country,
                        clause.retention_days,
                    )
                )
        drawn = partitioned
    return VisibilityPlan(org_id=1, clauses=tuple(drawn), now=NOW)


def test_allows_admits_exactly_what_the_sql_selects(hub):
    _fixtures(hub)
    examples = 1_000 if hub.db.is_sqlite else 150

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plan=plans(), drawn=st.lists(rows, min_size=1, max_size=12))
    def check(plan: VisibilityPlan, drawn: list[dict[str, object]]) -> None:
        with hub.db.engine.connect() as conn:
            transaction = conn.begin()
            try:
                _store(conn, drawn)
                stored = [row._mapping for row in conn.execute(select(reports))]
                selected = set(conn.execute(select(reports.c.id).where(visible(plan))).scalars())
                assert {row["id"] for row in stored if allows(plan, row)} == selected, plan
            finally:
                transaction.rollback()

    check()


def _fixtures(hub) -> None:
    with hub.db.transaction() as conn:
        for name in ("Viewer", "Other"):
            org = service.create_org(conn, hub.db, name=name, kind="vendor", country="DE", now=NOW)
            conn.execute(
                insert(contributions).values(
                    public_id=f"contribution-{org.id}",
                    org_id=org.id,
                    format="json",
                    created_at=to_micros(NOW),
                    item_count=0,
                    new_count=0,
                    known_count=0,
                    rejected_count=0,
                )
            )
        for scope_id in SCOPES:
            conn.execute(
                insert(scopes).values(
                    id=scope_id,
                    digest=f"scope-{scope_id}",
                    tlp="amber",
                    orgs="[]",
                    users="[]",
                    communities="[]",
                    agreement_id=None,
                    early_access="[]",
                )
            )
        conn.execute(insert(observables).values(id=1, type="ipv4", value="198.51.100.1"))


def _store(conn: Connection, drawn: list[dict[str, object]]) -> None:
    contribution = dict(conn.execute(select(contributions.c.org_id, contributions.c.id)).all())
    for row in drawn:
        embargo = row["embargo_until"]
        conn.execute(
            insert(reports).values(
                observable_id=1,
                org_id=row["org_id"],
                contribution_id=contribution[row["org_id"]],
                scope_id=row["scope_id"],
                kind=row["kind"],
                tlp="amber",
                pap="green",
                labels=encode_labels(row["labels"]),  # type: ignore[arg-type]
                anonymous=False,
                embargo_until=None if embargo is None else to_micros(embargo),  # type: ignore[arg-type]
                victim_country=row["victim_country"],
                created_at=to_micros(row["created_at"]),  # type: ignore[arg-type]
                updated_at=to_micros(row["created_at"]),  # type: ignore[arg-type]
                revoked_at=to_micros(NOW) if row["revoked"] else None,
            )
        )
