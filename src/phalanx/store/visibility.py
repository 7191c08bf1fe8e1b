"""Render a policy plan (policy/plan.py) as a SQL condition on the reports table.

A compiled plan decides every scope once and puts it in exactly one clause; a clause adds
report-level conditions (embargo, kinds, labels, victim country, retention). Rendered clause
by clause, a viewer in many communities and agreements gets hundreds of ``scope_id IN (...)``
terms OR-ed together, which the database evaluates for every row it looks at, and which is
costly to build and compile on every request.

Because the clauses partition the scopes, the condition factorises exactly:

    own report  OR  (scope_id IN <every clause's scopes>
                     AND <embargo terms> AND <kinds terms> AND <labels terms>
                     AND <victim-country terms> AND <retention terms>)

with one term per distinct condition of each kind, e.g. ``(kind IN K1 OR scope_id NOT IN
<scopes whose clause asks for K1>)``. A report in scope ``s`` of clause ``c`` passes every
term exactly when it meets ``c``'s conditions (the terms of other values exclude ``s``), so
the result is the per-clause disjunction. The cheap column test comes first, so a report
meeting it never probes the set; a report the viewer cannot see costs one probe. Plans whose
clauses overlap (not made by ``compile_plan``) are rendered clause by clause.

Reads of a few observables (single lookups) pay more for the database building those sets
on every execution than for the rows they fetch; ``allows`` is the same condition evaluated
in Python on rows already fetched, for those. Both are checked against ``decide()`` by the
property tests.

The SQL is rendered once per plan and cached, with every value inlined (ids as integers,
kinds, countries and label patterns as quoted literals) except the moment, the one parameter
(embargo and retention cut-offs are computed from it), bound at each use. One parameter keeps
the statement cheap to key and bind; inlined LIKE patterns also matter on SQLite, which
re-prepares a statement whenever a LIKE pattern parameter is bound again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, TextClause, and_, text

from phalanx.clock import to_micros
from phalanx.policy.labels import LIKE_ESCAPE, decode_labels, label_pattern
from phalanx.policy.plan import Clause, Embargo, VisibilityPlan
from phalanx.store.tables import reports

_CACHE_SIZE = 1_024  # rendered plans (a large one is ~25 kB of SQL and takes ~7 ms)
# (the clause's value of one condition, the value that means "no condition", its SQL)
_Dimension = tuple[Callable[[Clause], Hashable], Hashable, Callable[..., str]]
_TABLE = reports.name
_DAY_MICROS = 86_400_000_000
_SCOPE = f"{_TABLE}.scope_id"


def visible(plan: VisibilityPlan) -> ColumnElement[bool]:
    """Return the WHERE condition that selects exactly the live reports the plan allows."""
    return and_(_LIVE, _rendered(plan).bind(plan.now))


def condition(plan: VisibilityPlan) -> TextClause:
    """The plan's condition alone, on columns named ``reports.<column>``.

    For other tables that carry the reports table's policy columns (the STIX object store):
    the caller selects from its table aliased as ``reports`` and adds its own liveness test.
    """
    return _rendered(plan).bind(plan.now)


def allows(plan: VisibilityPlan, row: Mapping[str, Any]) -> bool:
    """True when the plan allows this stored report row: ``visible(plan)``, in Python."""
    if row["revoked_at"] is not None:
        return False
    if row["org_id"] == plan.org_id:
        return True
    clauses = _rendered(plan).by_scope.get(row["scope_id"], ())
    return any(_admits(clause, row, to_micros(plan.now)) for clause in clauses)


def _admits(clause: Clause, row: Mapping[str, Any], moment: int) -> bool:
    embargo = row["embargo_until"]
    if clause.embargo is Embargo.LIFTED and not (embargo is None or embargo <= moment):
        return False
    if clause.embargo is Embargo.ACTIVE and not (embargo is not None and embargo > moment):
        return False
    if clause.kinds and row["kind"] not in clause.kinds:
        return False
    if clause.labels and clause.labels.isdisjoint(decode_labels(row["labels"])):
        return False
    if clause.victim_country is not None and (
        not clause.victim_country or row["victim_country"] != clause.victim_country
    ):
        return False
    days = clause.retention_days
    return days is None or row["created_at"] > moment - days * _DAY_MICROS


_LIVE = reports.c.revoked_at.is_(None)


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A plan's condition as SQL text; the moment is its one parameter (if it needs one)."""

    clauses: tuple[Clause, ...]  # what was rendered (kept so its id stays unique)
    clause: TextClause
    uses_now: bool  # ``:vis_now`` appears
    by_scope: dict[int, tuple[Clause, ...]]  # for ``allows``

    def bind(self, now: datetime) -> TextClause:
        return self.clause.bindparams(vis_now=to_micros(now)) if self.uses_now else self.clause


# Plans are restamped with each moment but keep their clauses, so the cache goes by identity.
_cache: dict[tuple[int, int], _Rendered] = {}
_lock = threading.Lock()


def _rendered(plan: VisibilityPlan) -> _Rendered:
    key = (plan.org_id, id(plan.clauses))
    found = _cache.get(key)
    if found is None or found.clauses is not plan.clauses:
        found = _Renderer(plan.org_id).render(plan.clauses)
        with _lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[key] = found
    return found


class _Renderer:
    """Builds the SQL text of one plan."""

    def __init__(self, org_id: int) -> None:
        self.org_id = int(org_id)
        self.uses_now = False

    def render(self, clauses: tuple[Clause, ...]) -> _Rendered:
        # A clause requiring an empty victim country matches nothing (the viewer has none).
        live = [c for c in clauses if c.victim_country != "" and c.scopes]
        every: set[int] = set()
        for clause in live:
            every |= clause.scopes
        if sum(len(c.scopes) for c in live) == len(every):
            shown = self._factorised(live, every)
        else:
            shown = " OR ".join(f"({self._conditions(c, _in(c.scopes))})" for c in live)
        sql = f"({_TABLE}.org_id = {self.org_id}" + (f" OR ({shown})" if shown else "") + ")"
        by_scope: dict[int, tuple[Clause, ...]] = {}
        for clause in live:
            for scope_id in clause.scopes:
                by_scope[scope_id] = (*by_scope.get(scope_id, ()), clause)
        return _Rendered(clauses, text(sql), self.uses_now, by_scope)

    def _factorised(self, clauses: list[Clause], every: set[int]) -> str:
        if not every:
            return ""
        terms = [_in(every)]
        dimensions: tuple[_Dimension, ...] = (
            (lambda c: c.embargo, Embargo.ANY, self._embargo),
            (lambda c: c.kinds, frozenset(), self._kinds),
            (lambda c: c.labels, frozenset(), self._labels),
            (lambda c: c.victim_country, None, self._victim),
            (lambda c: c.retention_days, None, self._retention),
        )
        for value_of, free_value, condition in dimensions:
            groups: dict[Hashable, set[int]] = {}
            for clause in clauses:
                groups.setdefault(value_of(clause), set()).update(clause.scopes)
            for value, ids in sorted(
                groups.items(), key=lambda item: (-len(item[1]), min(item[1]))
            ):
                if value == free_value:
                    continue
                if len(ids) == len(every):  # every scope asks for it
                    terms.append(condition(value))
                else:
                    terms.append(f"({condition(value)} OR {_outside(ids, every)})")
        return " AND ".join(terms)

    def _conditions(self, clause: Clause, scopes_sql: str) -> str:
        parts = [scopes_sql]
        if clause.embargo is not Embargo.ANY:
            parts.append(self._embargo(clause.embargo))
        if clause.kinds:
            parts.append(self._kinds(clause.kinds))
        if clause.labels:
            parts.append(self._labels(clause.labels))
        if clause.victim_country is not None:
            parts.append(self._victim(clause.victim_country))
        if clause.retention_days is not None:
            parts.append(self._retention(clause.retention_days))
        return " AND ".join(parts)

    def _embargo(self, embargo: Embargo) -> str:
        self.uses_now = True
        if embargo is Embargo.LIFTED:
            return f"({_TABLE}.embargo_until IS NULL OR {_TABLE}.embargo_until <= :vis_now)"
        return f"{_TABLE}.embargo_until > :vis_now"

    def _kinds(self, kinds: frozenset[str]) -> str:
        return f"{_TABLE}.kind IN ({', '.join(_literal(kind) for kind in sorted(kinds))})"

    def _labels(self, labels: frozenset[str]) -> str:
        patterns = [_literal(label_pattern(label)) for label in sorted(labels)]
        like = f"{_TABLE}.labels LIKE {{}} ESCAPE {_literal(LIKE_ESCAPE)}"
        return "(" + " OR ".join(like.format(p) for p in patterns) + ")"

    def _victim(self, country: str) -> str:
        return f"{_TABLE}.victim_country = {_literal(country)}"

    def _retention(self, days: int) -> str:
        # The cut-off ``now - days`` in microseconds, computed by the database from the one
        # parameter (whole days are exact in UTC microseconds).
        self.uses_now = True
        return f"{_TABLE}.created_at > :vis_now - {int(days) * _DAY_MICROS}"


def _outside(ids: set[int], every: set[int]) -> str:
    """``scope_id`` is not in ``ids``, for a report whose scope is in ``every``."""
    rest = every - ids
    return _in(rest) if len(rest) < len(ids) else _in(ids, negate=True)


def _literal(value: str) -> str:
    """A SQL string literal for ``text()``: quotes doubled, colons escaped (not parameters)."""
    return "'" + value.replace("'", "''").replace(":", "\\:") + "'"


def _in(ids: Iterable[int], *, negate: bool = False) -> str:
    listed = ", ".join(str(int(i)) for i in sorted(ids))
    return f"{_SCOPE} {'NOT IN' if negate else 'IN'} ({listed})"
