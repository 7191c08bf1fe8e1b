"""Channel feeds through the store: a 1,000,000-entry channel and a 1,000-change delta.

One command (``python bench/channel_feed.py``). It fills a fresh store (SQLite by default,
``--database-url`` for PostgreSQL) with one member's 1,000,000 TLP:GREEN/PAP:GREEN IPv4
reports, written straight to the tables (ingest has its own benchmark), then times:

* ``build``: the first version of an EDL (IP) and of a Suricata channel, end to end through
  ``deployment/feeds.current``: visibility SQL over every report, entries, filter, items,
  body, and storing the version (1,000,000 change-log rows and the current item set);
* ``pure``: the format's share of that (entries in memory -> items -> body), as in
  ``bench/channels.py``;
* ``delta``: after 500 reports are added and 500 purged and the new version minted,
  ``GET /api/v1/channels/{id}/feed?since=1`` over HTTP (FastAPI test client, audit included),
  median and max of 20 requests.

Prints a table, then one JSON line, with wall-clock and CPU times (the CPU figure is what an
unloaded machine would show; on a shared one, wall time is mostly waiting for a core).
Targets: build < 10 s, delta < 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from phalanx.app import create_app  # noqa: E402
from phalanx.channels.formats import registry  # noqa: E402
from phalanx.deployment import channels as channel_service  # noqa: E402
from phalanx.deployment import feeds  # noqa: E402
from phalanx.hub import Hub  # noqa: E402
from phalanx.members import service as members  # noqa: E402
from phalanx.observables.ids import observable_key  # noqa: E402
from phalanx.observables.kinds import ObservableType  # noqa: E402
from phalanx.observables.model import Observable  # noqa: E402
from phalanx.policy.markings import TLP  # noqa: E402
from phalanx.policy.model import Scope  # noqa: E402
from phalanx.settings import Settings  # noqa: E402
from phalanx.store import channels as channel_store  # noqa: E402
from phalanx.store import reports as report_store  # noqa: E402
from phalanx.store import scopes as scope_store  # noqa: E402
from phalanx.store.tables import contributions, reports  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BUILD_TARGET_S = 10.0
DELTA_TARGET_MS = 100.0
# First octets with no never-block range inside them (spec-notes §6.5).
OCTETS = [n for n in range(1, 224) if n not in {10, 100, 127, 169, 172, 192, 198, 203}]


class Clock:
    """A settable clock (versions are minted at distinct moments)."""

    def __init__(self) -> None:
        self.moment = NOW

    def __call__(self) -> datetime:
        return self.moment


def ip(n: int) -> str:
    """The n-th public-looking address (distinct for n < 200 * 2**24)."""
    return f"{OCTETS[n % len(OCTETS)]}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def fill(hub: Hub, count: int) -> tuple[int, int, int]:
    """One member and ``count`` reports; return (org id, contribution id, scope id)."""
    with hub.db.transaction() as conn:
        org = members.create_org(conn, hub.db, name="Acme", kind="vendor", country="DE", now=NOW)
        scope_id = scope_store.get_or_create(conn, hub.db, Scope(tlp=TLP.GREEN))
        result = conn.execute(
            insert(contributions).values(
                public_id="bench",
                org_id=org.id,
                format="json",
                created_at=0,
                item_count=count,
                new_count=count,
                known_count=0,
                rejected_count=0,
            )
        )
        contribution = int(result.inserted_primary_key[0])
    add_reports(hub, org.id, contribution, scope_id, range(count))
    return org.id, contribution, scope_id


def add_reports(hub: Hub, org_id: int, contribution: int, scope_id: int, numbers: range) -> None:
    """Insert IPv4 observables and one report each, in chunks."""
    micros = int(NOW.timestamp() * 1_000_000)
    for start in range(numbers.start, numbers.stop, 100_000):
        chunk = range(start, min(start + 100_000, numbers.stop))
        values = [ip(n) for n in chunk]
        keys = [observable_key(Observable(ObservableType.IPV4, v)) for v in values]
        with hub.db.transaction() as conn:
            hub.db.bulk_insert(
                conn,
                "observables",
                ("id", "type", "value"),
                [(k, "ipv4", v) for k, v in zip(keys, values, strict=True)],
            )
            tail = (None, None, None, False, None, None, micros, micros)
            rows = [
                (k, org_id, contribution, scope_id, "ipv4", "green", "green", "|c2|", 80, *tail)
                for k in keys
            ]
            hub.db.bulk_insert(
                conn,
                "reports",
                report_store.INSERT_COLUMNS,
                sorted(rows),
            )


def time_build(hub: Hub, clock: Clock, fmt: str) -> dict[str, Any]:
    """Create a channel and time its first version, end to end and the pure part alone."""
    with hub.db.transaction() as conn:
        channel = channel_service.create(
            conn, hub.db, org="Acme", name=f"bench {fmt}", fmt=fmt, filter_json={}, now=NOW
        )
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    found = feeds.current(hub, channel, force=True)
    build_s, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    spec = registry.get(fmt)
    with hub.db.read() as conn:
        plan = hub.plan(conn, feeds.channel_viewer(conn, channel))
        rows = channel_store.deliverable_rows(conn, plan, None)
        entries = feeds.delivery_entries(rows, feeds.benign_index())
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    built = spec.build(entries, channel_name=channel.name, version=1, generated=NOW)
    pure_s, pure_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "format": fmt,
        "channel": channel.id,
        "entries": len(entries),
        "items": found.version.item_count,
        "bytes": len(built.content),
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu, 2),
        "pure_s": round(pure_s, 2),
        "pure_cpu_s": round(pure_cpu, 2),
    }


def time_delta(
    hub: Hub, clock: Clock, ids: tuple[int, int, int], channel_id: int, count: int
) -> dict[str, Any]:
    """Change 1,000 reports, mint version 2, then time ``?since=1`` over HTTP."""
    org_id, contribution, scope_id = ids
    add_reports(hub, org_id, contribution, scope_id, range(count, count + 500))
    with hub.db.transaction() as conn:
        doomed = list(
            conn.execute(select(reports.c.id).order_by(reports.c.id).limit(500)).scalars()
        )
        conn.execute(delete(reports).where(reports.c.id.in_(doomed)))
    clock.moment = NOW + timedelta(hours=1)
    with hub.db.read() as conn:
        channel = channel_store.get(conn, channel_id)
    start = time.perf_counter()
    version = feeds.current(hub, channel, force=True).version
    mint_s = time.perf_counter() - start
    with hub.db.transaction() as conn:
        org = members.get_org(conn, "Acme")
        _key, token = members.create_key(conn, hub.db, org=org, role="reader", now=clock())
    timings, cpu_timings = [], []
    with TestClient(create_app(hub=hub)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(20):
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/api/v1/channels/{channel_id}/feed?since=1", headers=headers)
            timings.append((time.perf_counter() - start) * 1000)
            cpu_timings.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, response.text
    document = orjson.loads(response.content)
    return {
        "version": version.version,
        "changes": len(document["added"]) + len(document["removed"]),
        "mint_s": round(mint_s, 2),
        "delta_ms_median": round(statistics.median(timings), 1),
        "delta_ms_max": round(max(timings), 1),
        "delta_cpu_ms_median": round(statistics.median(cpu_timings), 1),
    }


def main() -> None:
    """Run the benchmark and print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        clock = Clock()
        hub = Hub.open(Settings(database_url=url, channel_refresh_seconds=60), clock=clock)
        start = time.perf_counter()
        ids = fill(hub, args.entries)
        fill_s = time.perf_counter() - start
        builds = [time_build(hub, clock, fmt) for fmt in ("edl-ip", "suricata")]
        since = time_delta(hub, clock, ids, builds[0]["channel"], args.entries)
        hub.close()
    engine = url.split(":", 1)[0]
    print(f"store {engine}: {args.entries:,} reports written in {fill_s:.1f} s")
    print(
        f"{'format':<10}{'entries':>10}{'items':>10}{'MB':>6}"
        f"{'build s':>9}{'(cpu)':>7}{'pure s':>8}{'(cpu)':>7}"
    )
    for row in builds:
        print(
            f"{row['format']:<10}{row['entries']:>10,}{row['items']:>10,}"
            f"{row['bytes'] / 1e6:>6.1f}{row['build_s']:>9.2f}{row['build_cpu_s']:>7.2f}"
            f"{row['pure_s']:>8.2f}{row['pure_cpu_s']:>7.2f}"
        )
    print(
        f"version {since['version']} minted in {since['mint_s']} s; ?since=1 with "
        f"{since['changes']:,} changes: median {since['delta_ms_median']} ms, "
        f"max {since['delta_ms_max']} ms (cpu median {since['delta_cpu_ms_median']} ms)"
    )
    verdict = {
        "build_ok": max(float(r["build_s"]) for r in builds) < BUILD_TARGET_S,
        "pure_ok": max(float(r["pure_s"]) for r in builds) < BUILD_TARGET_S,
        "delta_ok": float(since["delta_ms_median"]) < DELTA_TARGET_MS,
    }
    print(orjson.dumps({"engine": engine, "builds": builds, "since": since, **verdict}).decode())


if __name__ == "__main__":
    main()
