"""Random sharing worlds for the policy property tests, and what ``decide()`` makes of them.

A :class:`WorldSpec` is storage-free: organisations, users, communities, agreements, scopes,
observables and reports refer to each other by list index. :class:`Ids` maps those indexes to
database ids (or to made-up ids for the pure tests), and :func:`policy_world` /
:func:`report_facts` build the policy objects ``decide`` reads. Moments are offsets from
:data:`NOW` drawn from boundary values (exactly now, one microsecond either side, exactly a
retention period ago...) so that off-by-one errors between Python and SQL show up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import strategies as st

from phalanx.clock import to_micros
from phalanx.members.model import PURPOSES
from phalanx.observables.ids import observable_key
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import Observable
from phalanx.observables.normalize import normalize
from phalanx.policy.decide import decide
from phalanx.policy.markings import PAP, TLP
from phalanx.policy.model import Agreement, ReportFacts, Scope, Viewer, World
from phalanx.store.reports import ReportFilter

T = TypeVar("T")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
COUNTRIES = ("DE", "FR", "NL")
JURISDICTIONS = (*COUNTRIES, "US")
KINDS = (ObservableType.IPV4, ObservableType.DOMAIN, ObservableType.URL, ObservableType.SHA256)
# Real roles, families and techniques, plus near-misses that only differ where a SQL LIKE
# pattern could blur them ('_' is LIKE's one-character wildcard, and a prefix is not a label).
LABELS = (
    "c2",
    "compromised-site",
    "phishing",
    "c-2",
    "c_2",
    "cx2",
    "c2x",
    "malware:emotet",
    "malware:emotet2",
    "attack:T1071",
    "attack:T1071.001",
)
LABEL_FILTERS = ("c2", "c_2", "c-2", "malware:*", "malware:emotet", "attack:T1071", "c*")
RETENTION_DAYS = (1, 30)
_US = timedelta(microseconds=1)
_DAY = timedelta(days=1)
# Moments around NOW: exact boundaries for embargo, validity and (1- and 30-day) retention.
OFFSETS = tuple(
    sorted(
        {
            -45 * _DAY,
            -30 * _DAY - _US,
            -30 * _DAY,
            -30 * _DAY + _US,
            -2 * _DAY,
            -_DAY - _US,
            -_DAY,
            -_DAY + _US,
            -_US,
            timedelta(0),
            _US,
            _DAY,
            30 * _DAY,
        }
    )
)
PAST_OFFSETS = tuple(o for o in OFFSETS if o <= timedelta(0))
# Report ages, with the exact retention boundaries (1 and 30 days) twice as likely.
AGES = (*PAST_OFFSETS, -_DAY, -30 * _DAY)
# Earlier moments a viewer's plan may have been compiled (and cached) at (None: not cached).
WARM_OFFSETS = (None, None, None, -2 * _DAY, -_DAY, -_US, timedelta(0))

OBSERVABLE_POOL = tuple(
    normalize(value, kind.value)
    for kind, value in (
        (ObservableType.IPV4, "198.51.100.7"),
        (ObservableType.IPV4, "203.0.113.9"),
        (ObservableType.DOMAIN, "c2.evil.example"),
        (ObservableType.DOMAIN, "shop.compromised.example"),
        (ObservableType.URL, "https://c2.evil.example/gate.php"),
        (ObservableType.SHA256, "ab" * 32),
        (ObservableType.SHA256, "cd" * 32),
    )
)
NEVER = normalize("192.0.2.250", "ipv4")  # an observable no world ever holds


@dataclass(frozen=True)
class AgreementSpec:
    parties: frozenset[int]
    purposes: frozenset[str]
    kinds: frozenset[ObservableType]
    labels: frozenset[str]
    jurisdictions: frozenset[str]
    own_victims_only: bool
    retention_days: int | None
    valid_from: timedelta
    valid_until: timedelta | None
    revoked_at: timedelta | None
    onward: bool


@dataclass(frozen=True)
class ScopeSpec:
    tlp: TLP
    orgs: frozenset[int]
    users: frozenset[int]
    communities: frozenset[int]
    agreement: int | None
    early_access: frozenset[int]


@dataclass(frozen=True)
class ReportSpec:
    org: int
    scope: int
    observable: int
    labels: frozenset[str]
    created: timedelta
    updated: timedelta
    embargo_until: timedelta | None
    victim_country: str | None
    anonymous: bool
    revoked: bool
    pap: PAP
    confidence: int | None


@dataclass(frozen=True)
class ViewerSpec:
    org: int
    purpose: str
    user: int | None  # index into WorldSpec.users (a user of this organisation)
    admin: bool
    warm: timedelta | None  # the viewer's plan was compiled at NOW + warm and cached


@dataclass(frozen=True)
class WorldSpec:
    countries: tuple[str, ...]  # one per organisation
    users: tuple[int, ...]  # the organisation of each user
    communities: tuple[frozenset[int], ...]
    agreements: tuple[AgreementSpec, ...]
    scopes: tuple[ScopeSpec, ...]
    observables: tuple[Observable, ...]
    reports: tuple[ReportSpec, ...]
    viewers: tuple[ViewerSpec, ...]
    restricted: frozenset[int]  # organisations out of good standing (pure tests only)
    admins_see_anonymous: bool

    @property
    def orgs(self) -> range:
        return range(len(self.countries))


@dataclass(frozen=True)
class Ids:
    """Ids of a world's objects by index (database ids, or made up for pure tests)."""

    orgs: Sequence[int]
    users: Sequence[int]
    communities: Sequence[int]
    agreements: Sequence[int]
    scopes: Sequence[int]

    @classmethod
    def made_up(cls, spec: WorldSpec, base: int = 0) -> Ids:
        """Distinct, non-contiguous ids, so an index mistaken for an id does not pass.

        Identical scopes share one id, as they share one row in a store.
        """
        first: dict[ScopeSpec, int] = {}
        for index, s in enumerate(spec.scopes):
            first.setdefault(s, base + 1701 + 13 * index)
        return cls(
            orgs=[base + 101 + 7 * i for i in spec.orgs],
            users=[base + 501 + 3 * i for i in range(len(spec.users))],
            communities=[base + 901 + 5 * i for i in range(len(spec.communities))],
            agreements=[base + 1301 + 11 * i for i in range(len(spec.agreements))],
            scopes=[first[s] for s in spec.scopes],
        )


# Drawing is the main cost of a small world, so each object is decoded from one 16-byte draw
# read as an integer (mixed radix): about twenty draws per world instead of a few hundred,
# and shrinking still works (smaller bytes, simpler object: digits tend to zero). Bytes, not
# st.integers: hypothesis draws big integers from small bit sizes seven times in eight.
_WORD = st.binary(min_size=16, max_size=16)
_VALID_FROM = tuple(o for o in OFFSETS if o <= _DAY)


class _Digits:
    """Reads choices off one drawn integer."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.value = int.from_bytes(draw(_WORD), "little")

    def index(self, n: int) -> int:
        self.value, digit = divmod(self.value, n)
        return digit

    def flag(self) -> bool:
        return bool(self.index(2))

    def choice(self, items: Sequence[T]) -> T:
        return items[self.index(len(items))]

    def odds(self, k: int, n: int) -> bool:
        """True with probability k/n."""
        return self.index(n) < k

    def maybe(self, items: Sequence[T], none: tuple[int, int] | None = None) -> T | None:
        """An item or None (None as often as one item, or with the odds ``none``)."""
        if none is not None:
            return None if self.odds(*none) else self.choice(items)
        digit = self.index(len(items) + 1)
        return None if digit == 0 else items[digit - 1]

    def count(self, low: int, high: int) -> int:
        return low + self.index(high - low + 1)

    def pick(self, items: Sequence[T], *, sparse: bool = False) -> frozenset[T]:
        """A random subset of ``items`` (sparse: about a quarter of them)."""
        mask = self.index(2 ** len(items))
        if sparse:
            mask &= self.index(2 ** len(items))
        return frozenset(item for bit, item in enumerate(items) if mask >> bit & 1)


@st.composite
def worlds(draw: st.DrawFn, *, restricted: bool = False) -> WorldSpec:
    """Draw a small random world with every policy feature in play."""
    head = _Digits(draw)
    orgs = list(range(head.count(2, 5)))
    n_users, n_communities = head.count(0, 3), head.count(0, 3)
    n_agreements, n_scopes = head.count(0, 3), head.count(1, 4)
    n_reports, n_viewers = head.count(1, 9), head.count(1, 4)
    countries = tuple(head.choice(COUNTRIES) for _ in orgs)
    users = tuple(head.index(len(orgs)) for _ in range(n_users))
    chosen = sorted(head.pick(range(len(OBSERVABLE_POOL)))) or [head.index(len(OBSERVABLE_POOL))]
    observables = tuple(OBSERVABLE_POOL[i] for i in chosen)
    restricted_orgs = head.pick(orgs, sparse=True) if restricted else frozenset()
    admins_see_anonymous = head.flag()
    communities = tuple(_Digits(draw).pick(orgs) for _ in range(n_communities))
    agreements = tuple(_agreement(_Digits(draw), orgs) for _ in range(n_agreements))
    scopes = tuple(
        _scope(_Digits(draw), orgs, n_users, n_communities, n_agreements) for _ in range(n_scopes)
    )
    reports = tuple(
        _report(_Digits(draw), orgs, n_scopes, len(observables)) for _ in range(n_reports)
    )
    viewers = tuple(_viewer(_Digits(draw), orgs, users) for _ in range(n_viewers))
    return WorldSpec(
        countries=countries,
        users=users,
        communities=communities,
        agreements=agreements,
        scopes=scopes,
        observables=observables,
        reports=reports,
        viewers=viewers,
        restricted=restricted_orgs,
        admins_see_anonymous=admins_see_anonymous,
    )


# Odds are tilted so that every rule of decide() decides often: most agreements are in force
# and loose enough that a restriction (kind, label, jurisdiction, victim country, retention)
# is what decides, rather than an agreement nobody may use.
_HALF, _QUARTER = (1, 2), (1, 4)


def _agreement(d: _Digits, orgs: list[int]) -> AgreementSpec:
    return AgreementSpec(
        parties=d.pick(orgs) or frozenset({d.index(len(orgs))}),
        purposes=frozenset(PURPOSES) if d.flag() else d.pick(PURPOSES),
        kinds=frozenset() if d.flag() else d.pick(KINDS, sparse=True),
        labels=frozenset() if d.flag() else frozenset({d.choice(LABELS), d.choice(LABELS)}),
        jurisdictions=frozenset() if d.odds(3, 5) else d.pick(JURISDICTIONS, sparse=True),
        own_victims_only=d.odds(*_QUARTER),
        retention_days=d.maybe(RETENTION_DAYS),
        valid_from=d.choice(_VALID_FROM),
        valid_until=d.maybe(OFFSETS, none=(2, 3)),
        revoked_at=d.maybe(OFFSETS, none=(7, 8)),
        onward=d.flag(),
    )


def _scope(
    d: _Digits, orgs: list[int], n_users: int, n_communities: int, n_agreements: int
) -> ScopeSpec:
    return ScopeSpec(
        tlp=d.choice(tuple(TLP)),
        orgs=d.pick(orgs, sparse=True),
        users=d.pick(range(n_users)),
        communities=d.pick(range(n_communities)),
        agreement=d.index(n_agreements) if n_agreements and d.flag() else None,
        early_access=d.pick(orgs, sparse=True),
    )


def _report(d: _Digits, orgs: list[int], n_scopes: int, n_observables: int) -> ReportSpec:
    created = d.choice(AGES)
    return ReportSpec(
        org=d.index(len(orgs)),
        scope=d.index(n_scopes),
        observable=d.index(n_observables),
        labels=d.pick(LABELS, sparse=True),
        created=created,
        updated=max(created, d.choice(PAST_OFFSETS)),
        embargo_until=d.maybe(OFFSETS, none=_HALF),
        victim_country=d.maybe(JURISDICTIONS),
        anonymous=d.flag(),
        revoked=d.odds(1, 8),
        pap=d.choice(tuple(PAP)),
        confidence=d.maybe(range(101)),
    )


def _viewer(d: _Digits, orgs: list[int], users: tuple[int, ...]) -> ViewerSpec:
    org = d.index(len(orgs))
    own_users = [index for index, owner in enumerate(users) if owner == org]
    return ViewerSpec(
        org=org,
        purpose=d.choice(PURPOSES),
        user=d.maybe(own_users) if own_users else None,
        admin=d.flag(),
        warm=d.choice(WARM_OFFSETS),
    )


# --- the policy objects decide() reads ----------------------------------------------------


def policy_world(spec: WorldSpec, ids: Ids) -> World:
    """The World of a spec, with the given ids."""
    return World(
        communities={
            ids.communities[c]: frozenset(ids.orgs[o] for o in members)
            for c, members in enumerate(spec.communities)
            if members
        },
        agreements={
            ids.agreements[a]: agreement(spec, ids, a) for a in range(len(spec.agreements))
        },
        restricted=frozenset(ids.orgs[o] for o in spec.restricted),
    )


def agreement(spec: WorldSpec, ids: Ids, index: int) -> Agreement:
    """The policy object of one agreement."""
    a = spec.agreements[index]
    return Agreement(
        id=ids.agreements[index],
        name=f"agreement {index}",
        parties=frozenset(ids.orgs[o] for o in a.parties),
        purposes=a.purposes,
        valid_from=NOW + a.valid_from,
        valid_until=None if a.valid_until is None else NOW + a.valid_until,
        kinds=a.kinds,
        labels=a.labels,
        jurisdictions=a.jurisdictions,
        own_victims_only=a.own_victims_only,
        retention_days=a.retention_days,
        onward=a.onward,
        revoked_at=None if a.revoked_at is None else NOW + a.revoked_at,
    )


def scope(spec: WorldSpec, ids: Ids, index: int) -> Scope:
    """The policy object of one scope."""
    s = spec.scopes[index]
    return Scope(
        tlp=s.tlp,
        orgs=frozenset(ids.orgs[o] for o in s.orgs),
        users=frozenset(ids.users[u] for u in s.users),
        communities=frozenset(ids.communities[c] for c in s.communities),
        agreement_id=None if s.agreement is None else ids.agreements[s.agreement],
        early_access=frozenset(ids.orgs[o] for o in s.early_access),
    )


def report_facts(spec: WorldSpec, ids: Ids, index: int) -> ReportFacts:
    """The policy facts of one report."""
    r = spec.reports[index]
    return ReportFacts(
        org_id=ids.orgs[r.org],
        scope=scope(spec, ids, r.scope),
        kind=spec.observables[r.observable].type,
        created=NOW + r.created,
        labels=r.labels,
        embargo_until=None if r.embargo_until is None else NOW + r.embargo_until,
        victim_country=r.victim_country,
    )


def viewer(spec: WorldSpec, ids: Ids, index: int, *, with_user: bool = True) -> Viewer:
    """The policy viewer of one viewer spec."""
    v = spec.viewers[index]
    return Viewer(
        org_id=ids.orgs[v.org],
        country=spec.countries[v.org],
        user_id=None if v.user is None or not with_user else ids.users[v.user],
        purpose=v.purpose,
        hub_admin=v.admin,
    )


def allowed(
    spec: WorldSpec, ids: Ids, who: Viewer, *, now: datetime = NOW, live_only: bool = True
) -> set[int]:
    """Indexes of the reports ``decide`` lets ``who`` see (revoked reports are never live)."""
    world = policy_world(spec, ids)
    return {
        index
        for index, report in enumerate(spec.reports)
        if not (live_only and report.revoked)
        and decide(who, report_facts(spec, ids, index), now=now, world=world)
    }


def key_of(obs: Observable) -> int:
    """The storage key of an observable."""
    return observable_key(obs)


@st.composite
def report_filters(draw: st.DrawFn) -> ReportFilter:
    """Draw the filters a reader may put on a listing or an export."""
    d = _Digits(draw)
    since = d.maybe(PAST_OFFSETS)
    return ReportFilter(
        type=None if (kind := d.maybe(KINDS)) is None else kind.value,
        label=d.maybe(LABEL_FILTERS),
        tlp=None if (tlp := d.maybe(tuple(TLP))) is None else tlp.value,
        since=None if since is None else to_micros(NOW + since),
    )


def matches(spec: WorldSpec, index: int, filters: ReportFilter) -> bool:
    """True when report ``index`` passes ``filters`` (the meaning the API documents)."""
    report = spec.reports[index]
    if filters.type and spec.observables[report.observable].type.value != filters.type:
        return False
    if filters.tlp and spec.scopes[report.scope].tlp.value != filters.tlp:
        return False
    if filters.label:
        if filters.label.endswith("*"):
            prefix = filters.label[:-1]
            if not any(label.startswith(prefix) for label in report.labels):
                return False
        elif filters.label not in report.labels:
            return False
    return filters.since is None or to_micros(NOW + report.updated) >= filters.since


def reveals(spec: WorldSpec, viewer_index: int, report_index: int) -> bool:
    """True when the viewer may learn who contributed the report (anonymity rule)."""
    who, report = spec.viewers[viewer_index], spec.reports[report_index]
    if not report.anonymous or report.org == who.org:
        return True
    return who.admin and spec.admins_see_anonymous
