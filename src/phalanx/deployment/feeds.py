"""Channel feeds: current versions from what the owner may see, deltas, and the fetch audit.

**What a channel holds.** The reports the channel's organisation may see, read through the
same visibility SQL as every other read (``store/reports.iter_visible`` with the
organisation's plan, purpose ``network-defense``, never as a hub admin), merged per
observable (``model.merge_duplicates``: the most careful reading), marked benign by the
hub's :class:`~phalanx.channels.benign.BenignIndex`, filtered by the channel's filter and the
format's deployment rule, and collected into the format's items.

**How versions advance.** The content is recomputed when a feed is asked for and the last
computation is older than ``channel_refresh_seconds``, or the policy world, the scopes, the
newest report or the viewer's plan changed since (re-reports, purges and time-driven
changes such as retention wait for the interval; ``phalanx channel refresh`` forces it).
A new version is minted exactly when the *item set* differs from the latest version's
(compared by digest); it is stored with its change log (items added and removed), so
``?since=V`` is the net change from V to the latest version, and applying it to V's items
assembles the latest feed byte for byte. Version 0 is the empty set: ``?since=0`` lists every item.

**Identifiers of a version.** ``etag`` (strong, RFC 9110 §8.8.3) and ``content_digest``
(``sha256:<hex>`` of the body) are computed once, when the version is minted.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from phalanx.alliance.assess import warninglist_index
from phalanx.alliance.warninglists import WarninglistIndex
from phalanx.audit.record import record
from phalanx.channels import delta as channel_delta
from phalanx.channels.benign import NOTHING_BENIGN, RESERVED, BenignIndex, CombinedIndex
from phalanx.channels.benign import reasons as benign_reasons
from phalanx.channels.definition import Channel
from phalanx.channels.formats import registry
from phalanx.channels.formats.base import ChannelFormat, etag
from phalanx.channels.model import DeliveryEntry, Use, merge_duplicates
from phalanx.channels.receipts import content_digest
from phalanx.clock import format_timestamp, from_micros, to_micros
from phalanx.errors import InvalidInput
from phalanx.feedback import delivery as feedback_delivery
from phalanx.feedback import service as feedback_service
from phalanx.feedback import store as feedback_store
from phalanx.hub import Hub
from phalanx.members.model import Principal
from phalanx.members.service import get_org_by_id
from phalanx.observables.kinds import ObservableType
from phalanx.policy.labels import decode_labels
from phalanx.policy.markings import PAP, TLP
from phalanx.policy.model import Viewer
from phalanx.policy.plan import VisibilityPlan
from phalanx.store import channels as channel_store
from phalanx.store import reports as report_store
from phalanx.store.channels import Version

PURPOSE = "network-defense"  # what a deployment channel is for
_benign: list[BenignIndex] = [RESERVED]


def set_benign_index(index: BenignIndex) -> None:
    """Make ``index`` the hub-wide benign index (e.g. a warninglist index, at start-up).

    The API and ``phalanx channel refresh`` both use it, so a channel's versions never flap
    between two opinions of what is benign; ``app.state.benign_index`` still overrides it
    per app (tests).
    """
    _benign[0] = index


def benign_index(hub: Hub | None = None) -> BenignIndex:
    """The benign index: one installed with ``set_benign_index``, else (given a hub) the
    never-block table and the hub's warninglists (``PHALANX_WARNINGLISTS``), else the
    never-block table alone (``channels/benign``)."""
    installed = _benign[0]
    if installed is not RESERVED or hub is None:
        return installed
    return CombinedIndex(RESERVED, WarninglistBenign(warninglist_index(hub)))


class WarninglistBenign:
    """The alliance's warninglist index as a channel benign index."""

    def __init__(self, index: WarninglistIndex) -> None:
        self.index = index

    def reason(self, kind: ObservableType, value: str) -> str | None:
        """``warninglist:<name>`` for a listed value, else None."""
        name = self.index.match(kind, value)
        return None if name is None else f"warninglist:{name}"

    def reasons(self, kind: ObservableType, values: Sequence[str]) -> list[str | None]:
        """``reason`` for many values of one kind (the index's bulk check)."""
        return [
            None if name is None else f"warninglist:{name}"
            for name in self.index.match_kind(kind, values)
        ]


@dataclass(frozen=True, slots=True)
class Current:
    """The latest version of a channel, with its body when it was at hand."""

    version: Version
    content: bytes | None = None


class FeedCache:
    """The bodies of recent versions, so a poll of an unchanged feed costs no rebuild."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._bodies: OrderedDict[tuple[int, int, str], bytes] = OrderedDict()
        self._size = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, version: Version) -> bytes | None:
        """The cached body of a version, or None."""
        key = (version.channel_id, version.version, version.content_digest)
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, version: Version, body: bytes) -> None:
        """Remember a body, evicting the least recently used beyond the size limit."""
        if len(body) > self._max:
            return
        key = (version.channel_id, version.version, version.content_digest)
        with self._lock:
            if key in self._bodies:
                return
            self._bodies[key] = body
            self._size += len(body)
            while self._size > self._max:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)


def channel_viewer(conn: Connection, channel: Channel) -> Viewer:
    """The policy viewer a channel renders for: its organisation, never a hub admin."""
    org = get_org_by_id(conn, channel.org_id)
    return Viewer(org_id=org.id, country=org.country, purpose=PURPOSE)


def delivery_entries(
    rows: Iterable[Sequence[Any]],
    benign: BenignIndex,
    keys: dict[tuple[ObservableType, str], int] | None = None,
    wanted: frozenset[int] = frozenset(),
) -> list[DeliveryEntry]:
    """One entry per observable from ``deliverable_rows`` tuples (its reports merged).

    Rows are grouped by observable id (most observables have one report: one dict insertion,
    no list), the benign index is asked once per kind for all values together, and the
    observable key of each value in ``wanted`` (those with feedback) is noted in ``keys``.
    A million rows pass through here, so parsed labels, markings and times are memoised:
    most reports share them.
    """
    first: dict[int, Sequence[Any]] = {}
    more: dict[int, list[Sequence[Any]]] = {}
    setdefault = first.setdefault
    for row in rows:
        found = setdefault(row[9], row)
        if found is not row:
            run = more.get(row[9])
            if run is None:
                more[row[9]] = [found, row]
            else:
                run.append(row)
    unique = list(first.values())
    flags = _benign_flags(unique, benign)
    make = _EntryMaker()
    entries = make.entries(unique, flags)
    if more:
        for position, row in enumerate(unique):
            run = more.get(row[9])
            if run is not None:
                copies = make.entries(run, [flags[position]] * len(run))
                entries[position] = merge_duplicates(copies)[0]
    if keys is not None and wanted:
        for row in unique:
            if row[9] in wanted:
                keys[(_KINDS[row[0]], row[1])] = row[9]
    return entries


_KINDS = {kind.value: kind for kind in ObservableType}
_TLPS = {tlp.value: tlp for tlp in TLP}
_PAPS = {pap.value: pap for pap in PAP}


def _benign_flags(rows: list[Sequence[Any]], benign: BenignIndex) -> list[bool]:
    """Whether each row's value is benign, the index asked in bulk per kind."""
    positions: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        positions.setdefault(row[0], []).append(position)
    flags = [False] * len(rows)
    for kind_name, where in positions.items():
        answers = benign_reasons(benign, _KINDS[kind_name], [rows[i][1] for i in where])
        for position, reason in zip(where, answers, strict=True):
            if reason is not None:
                flags[position] = True
    return flags


class _EntryMaker:
    """Builds entries from rows, memoising the parsed labels and times most rows share."""

    def __init__(self) -> None:
        self.labels: dict[str, tuple[str, ...]] = {}
        self.times: dict[int, datetime] = {}

    def entries(self, rows: list[Sequence[Any]], flags: list[bool]) -> list[DeliveryEntry]:
        """The entries of ``rows``, ``flags`` saying which values are benign."""
        labels, times = self.labels, self.times
        for encoded in {row[2] for row in rows} - labels.keys():
            labels[encoded] = tuple(sorted(decode_labels(encoded)))
        for created in {row[6] for row in rows} - times.keys():
            times[created] = from_micros(created)
        # One comprehension, no call per row: at a million rows each call costs a tenth of a
        # second.
        entry, kinds, tlps, paps = DeliveryEntry, _KINDS, _TLPS, _PAPS
        return [
            entry(
                kinds[kind],
                value,
                labels[encoded],
                confidence,
                tlps[tlp],
                paps[pap],
                f"report-{report_id}",
                times[created],
                benign,
                None,
                False,
                None if until is None else from_micros(until),
            )
            for (
                kind,
                value,
                encoded,
                confidence,
                tlp,
                pap,
                created,
                report_id,
                until,
                _,
            ), benign in zip(rows, flags, strict=True)
        ]


def compute_items(
    hub: Hub, conn: Connection, channel: Channel, benign: BenignIndex
) -> frozenset[str]:
    """The channel's item set now, from the reports its organisation may see."""
    spec = registry.get(channel.format)
    plan = hub.plan(conn, channel_viewer(conn, channel))
    kinds = spec.kinds if channel.filter.kinds is None else spec.kinds & channel.filter.kinds
    wanted = None if kinds == frozenset(ObservableType) else [kind.value for kind in kinds]
    if spec.use is Use.BLOCK:
        # Block formats check the never-block table at their boundary: asking it first too
        # would only double the cost per entry.
        benign = _without_reserved(benign)
    with _collector_paused():
        rows = channel_store.deliverable_rows(conn, plan, wanted)
        with_feedback = feedback_store.keys_with_feedback(conn)
        keys: dict[tuple[ObservableType, str], int] = {}
        entries = delivery_entries(rows, benign, keys, with_feedback)
        if keys:
            entries = _with_feedback(hub, conn, channel, plan, entries, keys)
        selected = spec.select(entries, channel.filter, now=hub.clock())
        return spec.collect(selected, channel_name=channel.name).items


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a feed's entries are built.

    A million short-lived entries set off collection after collection (about a fifth of the
    build's CPU time) although they hold no reference cycles; reference counting frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _with_feedback(
    hub: Hub,
    conn: Connection,
    channel: Channel,
    plan: VisibilityPlan,
    entries: list[DeliveryEntry],
    keys: dict[tuple[ObservableType, str], int],
) -> list[DeliveryEntry]:
    """Entries with the owner's feedback-adjusted confidence and expiry (feedback/delivery).

    Only observables with sightings, false positives or expiry statements are assessed; the
    others keep their reported confidence.
    """
    viewer = channel_viewer(conn, channel)
    assessed = feedback_service.assess_keys(hub, conn, viewer, plan, sorted(set(keys.values())))
    return [
        feedback_delivery.with_feedback(
            entry, assessed.get(keys.get((entry.type, entry.value), -1))
        )
        for entry in entries
    ]


def _without_reserved(benign: BenignIndex) -> BenignIndex:
    if benign is RESERVED:
        return NOTHING_BENIGN
    if isinstance(benign, CombinedIndex) and benign.indexes[:1] == (RESERVED,):
        rest = benign.indexes[1:]
        return rest[0] if len(rest) == 1 else CombinedIndex(*rest)
    return benign


def items_digest(ordered: Sequence[str]) -> str:
    """A digest of an item set, given its items in sorted order (as an unambiguous JSON list)."""
    return hashlib.sha256(orjson.dumps(list(ordered))).hexdigest()


def store_mark(hub: Hub, conn: Connection, channel: Channel) -> str:
    """What the store looked like for this channel: any change means recompute now."""
    world = hub.world(conn)
    scopes = hub.scopes.all(conn)
    plan = hub.plan(conn, channel_viewer(conn, channel))
    top = channel_store.store_mark(conn)
    withdrawn = report_store.withdrawals(conn)
    feedback = feedback_store.last_change(conn)
    until = "" if plan.stable_until is None else str(to_micros(plan.stable_until))
    return f"{world.version}/{len(scopes)}/{top}/{withdrawn}/{feedback}/{until}"


def current(
    hub: Hub,
    channel: Channel,
    *,
    benign: BenignIndex | None = None,
    cache: FeedCache | None = None,
    force: bool = False,
) -> Current:
    """The latest version of the channel, minting a new one when its content changed."""
    now = hub.clock()
    refresh = timedelta(seconds=hub.settings.channel_refresh_seconds)
    with hub.db.read() as conn:
        latest = channel_store.latest_version(conn, channel.id)
        checked = channel_store.checked(conn, channel.id)
        mark = store_mark(hub, conn, channel)
        fresh = (
            latest is not None
            and checked.at is not None
            and checked.mark == mark
            and now - checked.at < refresh
        )
        if fresh and not force and latest is not None:
            return Current(latest)
        items = compute_items(hub, conn, channel, benign or benign_index(hub))
    found = mint(hub, channel, items, mark=mark, now=now)
    if cache is not None and found.content is not None:
        cache.put(found.version, found.content)
    return found


def mint(hub: Hub, channel: Channel, items: frozenset[str], *, mark: str, now: datetime) -> Current:
    """Store ``items`` as a new version unless the latest version already holds them."""
    spec = registry.get(channel.format)
    # Sorted once: the digest, the body and the stored set all want this order, and sorting
    # an already sorted list again (in the formats) is a linear pass.
    ordered = sorted(items)
    digest = items_digest(ordered)
    with hub.db.transaction() as conn:
        channel_store.lock(conn, hub.db, channel.id)
        latest = channel_store.latest_version(conn, channel.id)
        channel_store.mark_checked(conn, channel.id, at=now, mark=mark)
        if latest is not None and latest.items_digest == digest:
            return Current(latest, _assemble(spec, channel, ordered, latest))
        stored = channel_store.current_items(conn, channel.id)
        previous = frozenset(stored[1]) if stored is not None else frozenset()
        number = 1 if latest is None else latest.version + 1
        moment = from_micros(to_micros(now))
        content = spec.assemble(
            ordered, channel_name=channel.name, version=number, generated=moment
        )
        added, removed = items - previous, previous - items
        version = Version(
            channel_id=channel.id,
            version=number,
            items_digest=digest,
            content_digest=content_digest(content),
            etag=etag(content),
            item_count=len(items),
            added=len(added),
            removed=len(removed),
            created_at=moment,
        )
        channel_store.add_version(
            conn, hub.db, version, items=ordered, added=added, removed=removed
        )
    return Current(version, content)


def _assemble(spec: ChannelFormat, channel: Channel, items: Iterable[str], at: Version) -> bytes:
    return spec.assemble(
        items, channel_name=channel.name, version=at.version, generated=at.created_at
    )


def body_of(hub: Hub, channel: Channel, found: Current, cache: FeedCache | None) -> Current:
    """The latest version with its body (from the cache, or assembled from stored items)."""
    if found.content is not None:
        return found
    body = cache.get(found.version) if cache is not None else None
    if body is not None:
        return Current(found.version, body)
    with hub.db.read() as conn:
        stored = channel_store.current_items(conn, channel.id)
    assert stored is not None  # a channel that had a version keeps it
    latest, items = stored
    body = _assemble(registry.get(channel.format), channel, items, latest)
    if cache is not None:
        cache.put(latest, body)
    return Current(latest, body)


def parse_since(text: str | None) -> int | None:
    """The ``since`` query parameter as a version number; raise InvalidInput if malformed."""
    if text is None:
        return None
    if not text.strip().isdigit():
        raise InvalidInput("must be a version number (0 for everything)", field="since")
    return int(text.strip())


def delta_document(hub: Hub, channel: Channel, version: Version, since: int) -> dict[str, Any]:
    """The net change from version ``since`` to ``version`` (see the module docstring)."""
    if since > version.version:
        raise InvalidInput(
            f"channel {channel.id} has no version {since}; its latest version is {version.version}",
            field="since",
        )
    with hub.db.read() as conn:
        if since == 0:  # everything: the latest item set, whole
            stored = channel_store.current_items(conn, channel.id)
            assert stored is not None
            version, items = stored
            change = channel_delta.Delta(frozenset(items), frozenset())
        else:
            rows = channel_store.changes_after(conn, channel.id, since, until=version.version)
            change = channel_delta.compact_changes(rows, since)
    return {
        "channel": channel.id,
        "format": channel.format,
        "from": since,
        "to": version.version,
        "digest": version.content_digest,
        "etag": version.etag,
        "generated": format_timestamp(version.created_at),
        "added": sorted(change.added),
        "removed": sorted(change.removed),
    }


def audit_fetch(
    hub: Hub, caller: Principal, channel: Channel, version: Version, *, mode: str, since: int | None
) -> None:
    """Record a feed fetch in the audit chain."""
    with hub.db.transaction() as conn:
        record(
            conn,
            hub.db,
            action="channel.fetch",
            at=to_micros(hub.clock()),
            actor_org_id=caller.org_id,
            actor=caller.key_id,
            subject=f"channel:{channel.id}",
            details={
                "version": version.version,
                "mode": mode,
                "since": since,
                "format": channel.format,
            },
        )
