"""Validate contribution items and merge per-contribution defaults. PURE.

An item is ``{"type"?, "value", "tlp"?, "pap"?, "share_with"?, "labels"?, "confidence"?,
"valid_until"?, "comment"?, "anonymous"?}``; defaults carry the same fields except ``value``
and ``type``. Unknown fields are refused rather than ignored: a mistyped ``shar_with`` must
not silently change who receives an item, and fields such as ``org`` cannot be assigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from phalanx.clock import parse_timestamp
from phalanx.errors import InvalidInput
from phalanx.observables.ids import observable_key
from phalanx.observables.model import Observable
from phalanx.policy.labels import normalize_labels
from phalanx.policy.markings import PAP, TLP, parse_pap, parse_tlp
from phalanx.policy.model import Agreement
from phalanx.redaction import Redaction, RedactionRules, redact

DEFAULT_FIELDS = frozenset(
    {
        "tlp",
        "pap",
        "share_with",
        "labels",
        "confidence",
        "valid_until",
        "comment",
        "anonymous",
        "communities",
        "agreement",
        "embargo_until",
        "early_access",
        "victim_country",
    }
)
ITEM_FIELDS = DEFAULT_FIELDS | {"type", "value", "stix_id"}

Normalizer = Callable[[str, str | None], Observable]
_MARKING_CACHE = 4_096


@dataclass(frozen=True, slots=True)
class Marking:
    """The sharing-relevant settings of an item once defaults are merged."""

    tlp: TLP
    pap: PAP
    share_with: frozenset[int]
    labels: tuple[str, ...]
    confidence: int | None
    valid_until: datetime | None
    comment: str | None
    anonymous: bool
    communities: frozenset[int] = frozenset()
    agreement: Agreement | None = None
    embargo_until: datetime | None = None
    early_access: frozenset[int] = frozenset()
    victim_country: str | None = None
    redacted: tuple[Redaction, ...] = ()


# Not frozen: one per item, and frozen __init__ costs several times more.
@dataclass(slots=True)
class PreparedItem:
    """An accepted item: where it came from, what it is and how it is marked."""

    index: int
    input: str
    observable: Observable
    marking: Marking
    key: int  # the observable's storage key (observables.ids.observable_key)


# Not frozen: one per item, and frozen __init__ costs several times more.
@dataclass(slots=True)
class RejectedItem:
    """An item that cannot be accepted, and why."""

    index: int
    input: str
    reason: str


@dataclass(frozen=True, slots=True)
class Directory:
    """What the pure code may resolve for one contributor: names, memberships, agreements."""

    orgs: Mapping[str, int]  # organisation name (casefolded) -> id
    org_id: int = 0  # the contributor
    communities: Mapping[str, int] = field(default_factory=dict)  # name -> id
    member_of: frozenset[int] = frozenset()  # communities the contributor belongs to
    agreements: Mapping[int, Agreement] = field(default_factory=dict)
    redaction: RedactionRules = field(default_factory=RedactionRules)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-item limits."""

    max_comment_chars: int = 4_096


class ItemPreparer:
    """Validates items against one contribution's defaults, caching shared parsing work."""

    def __init__(
        self,
        defaults: Mapping[str, Any],
        *,
        directory: Directory,
        normalize: Normalizer,
        now: datetime,
        fallback_tlp: TLP = TLP.AMBER,
        fallback_pap: PAP = PAP.GREEN,
        limits: Limits | None = None,
    ) -> None:
        self._directory = directory
        self._normalize = normalize
        self._now = now
        self._limits = limits or Limits()
        unknown = sorted(set(defaults) - DEFAULT_FIELDS)
        if unknown:
            raise InvalidInput(
                f"unknown default field(s) {', '.join(unknown)}; allowed: "
                + ", ".join(sorted(DEFAULT_FIELDS)),
                field="defaults",
            )
        self._markings: dict[tuple[Any, ...], Marking] = {}
        self._defaults = {"tlp": fallback_tlp.value, "pap": fallback_pap.value, **defaults}
        try:
            self._default = self._build_marking(self._defaults)
        except InvalidInput as error:
            raise InvalidInput(error.reason, field=f"defaults.{error.field}") from None

    def prepare(self, index: int, record: Mapping[str, Any]) -> PreparedItem | RejectedItem:
        """Validate one item record; never raises for bad input, returns a rejection."""
        raw_input = record.get("_input")
        value = record.get("value")
        shown = str(raw_input if raw_input is not None else value if value is not None else "")
        try:
            return self._prepare(index, record, value, shown)
        except InvalidInput as error:
            return RejectedItem(index, shown, _reason(error))

    def _prepare(
        self, index: int, record: Mapping[str, Any], value: Any, shown: str
    ) -> PreparedItem:
        unknown = [key for key in record if key not in ITEM_FIELDS and not key.startswith("_")]
        if unknown:
            raise InvalidInput(
                f"unknown field(s) {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
            )
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("is required and must be a non-empty string", field="value")
        kind = record.get("type")
        if kind is not None and not isinstance(kind, str):
            raise InvalidInput("must be a string", field="type")
        observable = self._normalize(value, None if kind in (None, "", "auto") else kind)
        overrides = {key: record[key] for key in record if key in DEFAULT_FIELDS}
        marking = self._default if not overrides else self._marking(overrides)
        if marking.agreement is not None:
            check_agreement_covers(marking.agreement, observable, marking.labels)
        return PreparedItem(index, shown, observable, marking, observable_key(observable))

    def _marking(self, overrides: Mapping[str, Any]) -> Marking:
        # Large contributions repeat a handful of override combinations: build each once.
        # Every item shares the defaults, so its overrides alone tell its marking.
        key = _freeze(overrides)
        cached = self._markings.get(key) if key is not None else None
        if cached is None:
            cached = self._build_marking({**self._defaults, **overrides})
            if key is not None and len(self._markings) < _MARKING_CACHE:
                self._markings[key] = cached
        return cached

    def _build_marking(self, fields: Mapping[str, Any]) -> Marking:
        tlp = _parse(parse_tlp, fields.get("tlp"), "tlp")
        pap = _parse(parse_pap, fields.get("pap"), "pap")
        agreement = self._agreement(fields.get("agreement"))
        embargo_until = self._future(fields.get("embargo_until"), "embargo_until")
        early_access = self._recipients(fields.get("early_access"), "early_access")
        if early_access and embargo_until is None:
            raise InvalidInput(
                "needs embargo_until: early access is access before it", field="early_access"
            )
        comment, redacted = self._redacted(
            self._comment(fields.get("comment")),
            personal_data=agreement is not None and agreement.personal_data,
        )
        return Marking(
            tlp=tlp,
            pap=pap,
            share_with=self._recipients(fields.get("share_with"), "share_with"),
            labels=normalize_labels(_list_or_none(fields.get("labels"), "labels")),
            confidence=_confidence(fields.get("confidence")),
            valid_until=self._future(fields.get("valid_until"), "valid_until"),
            comment=comment,
            anonymous=_boolean(fields.get("anonymous", False), "anonymous"),
            communities=self._communities(fields.get("communities")),
            agreement=agreement,
            embargo_until=embargo_until,
            early_access=early_access,
            victim_country=_country(fields.get("victim_country")),
            redacted=redacted,
        )

    def _communities(self, names: Any) -> frozenset[int]:
        ids = set()
        for name in _list_or_none(names, "communities") or ():
            if not isinstance(name, str):
                raise InvalidInput("must list community names", field="communities")
            community_id = self._directory.communities.get(name.strip().casefold())
            # Unknown and not-a-member get one answer: community names are not an oracle.
            if community_id is None or community_id not in self._directory.member_of:
                raise InvalidInput(
                    f"you are not a member of a community named {name!r}", field="communities"
                )
            ids.add(community_id)
        return frozenset(ids)

    def _agreement(self, raw: Any) -> Agreement | None:
        if raw in (None, ""):
            return None
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidInput("must be an agreement id (an integer)", field="agreement")
        agreement = self._directory.agreements.get(raw)
        # Agreements the contributor is not party to are reported exactly like missing ones.
        if agreement is None or self._directory.org_id not in agreement.parties:
            raise InvalidInput(f"you are not a party to an agreement {raw}", field="agreement")
        if not agreement.active(self._now):
            raise InvalidInput(f"agreement {raw} is not in force", field="agreement")
        return agreement

    def _redacted(
        self, comment: str | None, *, personal_data: bool
    ) -> tuple[str | None, tuple[Redaction, ...]]:
        if comment is None or personal_data:
            return comment, ()
        result = redact(comment, self._directory.redaction)
        return result.text, result.redactions

    def _recipients(self, names: Any, field: str) -> frozenset[int]:
        ids = set()
        for name in _list_or_none(names, field) or ():
            if not isinstance(name, str):
                raise InvalidInput("must list organisation names", field=field)
            org_id = self._directory.orgs.get(name.strip().casefold())
            if org_id is None:
                raise InvalidInput(f"unknown organisation {name!r}", field=field)
            ids.add(org_id)
        return frozenset(ids)

    def _future(self, raw: Any, field: str) -> datetime | None:
        if raw in (None, ""):
            return None
        if not isinstance(raw, str):
            raise InvalidInput("must be an RFC 3339 timestamp string", field=field)
        try:
            moment = parse_timestamp(raw)
        except ValueError:
            raise InvalidInput(f"{raw!r} is not an RFC 3339 timestamp", field=field) from None
        if moment <= self._now:
            raise InvalidInput(f"{raw} is already in the past", field=field)
        return moment

    def _comment(self, raw: Any) -> str | None:
        if raw in (None, ""):
            return None
        if not isinstance(raw, str):
            raise InvalidInput("must be a string", field="comment")
        if len(raw) > self._limits.max_comment_chars:
            raise InvalidInput(
                f"is {len(raw)} characters; the limit is {self._limits.max_comment_chars}",
                field="comment",
            )
        return raw


def _freeze(fields: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A hashable key for a set of marking fields, or None when a value cannot be one."""
    frozen = []
    for name in sorted(fields):
        value = fields[name]
        if isinstance(value, list):
            value = tuple(value)
        try:
            hash(value)
        except TypeError:
            return None
        # bool is an int subclass: keep True and 1 apart, they validate differently.
        frozen.append((name, type(value).__name__, value))
    return tuple(frozen)


def _parse(parser: Callable[[str], Any], raw: Any, field: str) -> Any:
    if not isinstance(raw, str):
        raise InvalidInput("must be a string", field=field)
    try:
        return parser(raw)
    except ValueError as error:
        raise InvalidInput(str(error), field=field) from None


def check_agreement_covers(
    agreement: Agreement, observable: Observable, labels: tuple[str, ...]
) -> None:
    """Refuse an item its agreement does not cover (it would be invisible to every party)."""
    if agreement.kinds and observable.type not in agreement.kinds:
        kinds = ", ".join(sorted(k.value for k in agreement.kinds))
        raise InvalidInput(
            f"agreement {agreement.id} covers only {kinds}, not {observable.type.value}",
            field="agreement",
        )
    if agreement.labels and not agreement.labels & set(labels):
        wanted = ", ".join(sorted(agreement.labels))
        raise InvalidInput(
            f"agreement {agreement.id} needs one of the labels {wanted}", field="labels"
        )


def _country(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw.strip()) != 2 or not raw.strip().isalpha():
        raise InvalidInput("must be an ISO 3166-1 alpha-2 code", field="victim_country")
    return raw.strip().upper()


def _confidence(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 100:
        raise InvalidInput("must be an integer from 0 to 100 (STIX confidence)", field="confidence")
    return raw


def _boolean(raw: Any, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return raw.strip().lower() in ("true", "1", "yes")
    raise InvalidInput("must be true or false", field=field)


def _list_or_none(raw: Any, field: str) -> Iterable[Any] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        return [part for part in raw.replace(";", ",").split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return raw
    raise InvalidInput("must be a list (or a comma-separated string)", field=field)


def _reason(error: InvalidInput) -> str:
    return f"{error.field}: {error.reason}" if error.field else error.reason
