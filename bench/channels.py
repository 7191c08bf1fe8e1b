"""Channel benchmark: 1,000,000-entry EDLs and Suricata bundle, and a ?since= delta.

One command (``python bench/channels.py``). For each blocking format it generates one member's
1,000,000 delivery entries (public-looking values, a few percent under the PAP/never-deploy
floor), times the channel filter (``select``) and the render (``build``: items + body)
separately, then times a ``?since=`` answer of 1,000 changes out of a 2,000,000-row change
log: finding the tail (what the DB index does), ``compact_changes`` and JSON serialisation.
Prints a table, then one JSON line. Targets: render < 10 s, delta < 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from phalanx.channels import delta  # noqa: E402
from phalanx.channels.formats import registry  # noqa: E402
from phalanx.channels.model import ChannelFilter, DeliveryEntry  # noqa: E402
from phalanx.observables.kinds import ObservableType  # noqa: E402
from phalanx.policy.markings import PAP, TLP  # noqa: E402

GENERATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 11, 1, tzinfo=UTC)
TLDS = ("com", "net", "org", "ru", "top", "xyz", "info", "io")
# First octets with no never-block range inside them (spec-notes §6.5).
PUBLIC_OCTETS = [n for n in range(1, 224) if n not in {10, 100, 127, 169, 172, 192, 198, 203}]
LABELS = (("c2",), ("phishing",), ("malware:emotet", "payload"), ("compromised-site",))
RENDER_TARGET_S = 10.0
DELTA_TARGET_MS = 100.0


def make_entry(rng: random.Random, kind: ObservableType, value: str) -> DeliveryEntry:
    """One entry; ~3% fall under the blocking floor (PAP:AMBER or never_deploy)."""
    roll = rng.random()
    return DeliveryEntry(
        type=kind,
        value=value,
        labels=rng.choice(LABELS),
        confidence=rng.randrange(30, 101),
        tlp=TLP.GREEN if roll < 0.7 else TLP.AMBER,
        pap=PAP.AMBER if roll < 0.02 else PAP.GREEN,
        report_ref=f"report-{rng.randrange(10**7)}",
        first_seen=FIRST_SEEN,
        never_deploy="warninglist" if 0.02 <= roll < 0.03 else None,
    )


def ip_value(rng: random.Random) -> tuple[ObservableType, str]:
    """90% IPv4 addresses, 5% /24 CIDRs, 5% IPv6 addresses."""
    roll = rng.random()
    octets = f"{rng.choice(PUBLIC_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}"
    if roll < 0.90:
        return ObservableType.IPV4, f"{octets}.{rng.randrange(1, 255)}"
    if roll < 0.95:
        return ObservableType.CIDR, f"{octets}.0/24"
    groups = ":".join(f"{rng.randrange(1, 0xFFFF):x}" for _ in range(7))
    return ObservableType.IPV6, f"2a0{rng.randrange(10)}:{groups}"


def domain_value(rng: random.Random) -> tuple[ObservableType, str]:
    """A registered-looking domain, 30% of them with a subdomain."""
    name = f"{rng.getrandbits(40):x}-phx.{rng.choice(TLDS)}"
    if rng.random() < 0.3:
        name = f"{rng.choice(('www', 'login', 'cdn', 'mail'))}.{name}"
    return ObservableType.DOMAIN, name


def url_value(rng: random.Random) -> tuple[ObservableType, str]:
    """An https URL with a short path and a query."""
    _, host = domain_value(rng)
    path = "/".join(f"{rng.getrandbits(24):x}" for _ in range(rng.randrange(1, 5)))
    return ObservableType.URL, f"https://{host}/{path}?id={rng.randrange(10**6)}"


def suricata_value(rng: random.Random) -> tuple[ObservableType, str]:
    """40% domains, 40% IPs/CIDRs, 10% SHA-256, 10% MD5."""
    roll = rng.random()
    if roll < 0.4:
        return domain_value(rng)
    if roll < 0.8:
        return ip_value(rng)
    kind = ObservableType.SHA256 if roll < 0.9 else ObservableType.MD5
    return kind, f"{rng.getrandbits(256 if kind is ObservableType.SHA256 else 128):x}".rjust(
        64 if kind is ObservableType.SHA256 else 32, "0"
    )


ValueMaker = Callable[[random.Random], tuple[ObservableType, str]]


def generate(count: int, seed: int, value: ValueMaker) -> list[DeliveryEntry]:
    """``count`` entries with values from ``value``."""
    rng = random.Random(seed)
    return [make_entry(rng, *value(rng)) for _ in range(count)]


def bench_format(name: str, count: int, value: ValueMaker) -> dict[str, Any]:
    """Generate, then time the filter and the render of one format."""
    spec = registry.get(name)
    entries = generate(count, seed=len(name), value=value)
    gc.collect()
    start = time.perf_counter()
    selected = spec.select(entries, ChannelFilter(min_confidence=40, max_tlp=TLP.AMBER))
    filter_s = time.perf_counter() - start
    start = time.perf_counter()
    build = spec.build(entries, channel_name="bench", version=1, generated=GENERATED)
    render_s = time.perf_counter() - start
    return {
        "format": name,
        "entries": count,
        "selected": len(selected),
        "items": len(build.items),
        "bytes": len(build.content),
        "skipped": sum(build.skipped.values()),
        "filter_s": round(filter_s, 3),
        "render_s": round(render_s, 3),
    }


def build_log(rows: int, per_version: int, seed: int) -> list[delta.Change]:
    """A consistent change log: each version adds new items and removes live ones (70/30)."""
    rng = random.Random(seed)
    log: list[delta.Change] = []
    live: list[str] = []
    version = 0
    while len(log) < rows:
        version += 1
        for _ in range(per_version):
            if live and rng.random() < 0.3:
                index = rng.randrange(len(live))
                live[index], live[-1] = live[-1], live[index]
                log.append(delta.Change(version, live.pop(), False))
            else:
                item = f"{rng.choice(PUBLIC_OCTETS)}.{rng.getrandbits(16)}.{rng.randrange(256)}"
                live.append(item)
                log.append(delta.Change(version, item, True))
    return log


def bench_delta(log_rows: int, changes: int, repeats: int) -> dict[str, Any]:
    """Time a ?since= answer of about ``changes`` rows out of a ``log_rows`` change log."""
    log = build_log(log_rows, per_version=changes // 2, seed=1)
    version = log[-1].version
    since = version - 2  # the last two versions hold ``changes`` rows
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        tail = delta.changes_after(log, since)
        answer = delta.compact_changes(tail, since)
        body = delta.to_json(answer, from_version=since, to_version=version)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "log_rows": len(log),
        "tail_rows": len(tail),
        "changes": len(answer.added) + len(answer.removed),
        "bytes": len(body),
        "delta_ms_median": round(statistics.median(timings), 2),
        "delta_ms_max": round(max(timings), 2),
    }


def main() -> None:
    """Run the benchmark and print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--log-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    plans: list[tuple[str, ValueMaker]] = [
        ("edl-ip", ip_value),
        ("edl-domain", domain_value),
        ("edl-url", url_value),
        ("suricata", suricata_value),
    ]
    results = []
    for name, value in plans:
        results.append(bench_format(name, args.entries, value))
        gc.collect()
    since = bench_delta(args.log_rows, changes=1_000, repeats=20)
    print(f"{'format':<12}{'entries':>10}{'items':>10}{'MB':>8}{'filter s':>10}{'render s':>10}")
    for row in results:
        print(
            f"{row['format']:<12}{row['entries']:>10,}{row['items']:>10,}"
            f"{row['bytes'] / 1e6:>8.1f}{row['filter_s']:>10.2f}{row['render_s']:>10.2f}"
        )
    print(
        f"?since delta: {since['changes']:,} changes from {since['log_rows']:,} log rows: "
        f"median {since['delta_ms_median']} ms, max {since['delta_ms_max']} ms"
    )
    worst = max(float(row["render_s"]) for row in results)
    verdict = {
        "render_ok": worst < RENDER_TARGET_S,
        "delta_ok": float(since["delta_ms_max"]) < DELTA_TARGET_MS,
    }
    print(orjson.dumps({"formats": results, "since": since, **verdict}).decode())


if __name__ == "__main__":
    main()
