"""Normalisation benchmark: 1,000,000 mixed values through ``normalize``, one core.

One command (``.venv/bin/python bench/normalize.py``; ``--values`` for smaller runs). It
generates a deterministic mix — ipv4 35%, domain 25%, sha256 20%, url 15%, ipv6 5% — where
about one value in ten is written the way contributors send it (upper case, defanged,
``hxxp``, trailing dot, leading zeros in IPv6), then times ``normalize(value, type)`` per type
and over the shuffled mix, and the same mix with ``type=None`` (auto-detection). Prints a
table, then one JSON line. Target: 400,000 values/s overall with explicit types.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from phalanx.observables import InvalidObservable, normalize  # noqa: E402
from phalanx.observables.kinds import ObservableType as T  # noqa: E402

MIX = ((T.IPV4, 0.35), (T.DOMAIN, 0.25), (T.SHA256, 0.20), (T.URL, 0.15), (T.IPV6, 0.05))
TLDS = ("com", "net", "org", "ru", "top", "xyz", "info", "io", "cn", "de", "biz", "example")
WORDS = ("cdn", "mail", "api", "login", "secure", "update", "static", "img", "auth", "files")
VARIANT_SHARE = 0.10
TARGET = 400_000


def _ipv4(rng: random.Random) -> str:
    # Public-looking first octets only, so the bench measures acceptance, not rejection.
    first = rng.choice((23, 45, 62, 81, 91, 104, 142, 185, 193, 212))
    value = f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return value.replace(".", "[.]", 1) if rng.random() < VARIANT_SHARE else value


def _domain(rng: random.Random) -> str:
    label = f"{rng.choice(WORDS)}{rng.randrange(1_000_000)}"
    value = f"{label}.{rng.choice(WORDS)}-{rng.randrange(1000)}.{rng.choice(TLDS)}"
    roll = rng.random()
    if roll < VARIANT_SHARE / 2:
        return value.upper()
    if roll < VARIANT_SHARE:
        return value.replace(".", "[.]") + "."
    return value


def _sha256(rng: random.Random) -> str:
    value = f"{rng.getrandbits(256):064x}"
    return value.upper() if rng.random() < VARIANT_SHARE else value


def _url(rng: random.Random) -> str:
    host = f"{rng.choice(WORDS)}{rng.randrange(100_000)}.{rng.choice(TLDS)}"
    path = f"/{rng.choice(WORDS)}/{rng.randrange(10_000)}.php?id={rng.randrange(10**6)}"
    value = f"http{'s' if rng.random() < 0.5 else ''}://{host}{path}"
    roll = rng.random()
    if roll < VARIANT_SHARE / 2:
        return value.replace("http", "hxxp", 1).replace(".", "[.]", 1)
    if roll < VARIANT_SHARE:
        return value.replace(host, host.upper()).replace(".php", "/../x.php")
    return value


def _ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randrange(65536):x}" for _ in range(6)]
    value = f"2a0{rng.randrange(10)}:{':'.join(groups[:3])}::{groups[5]}"
    if rng.random() < VARIANT_SHARE:
        return ":".join(group.zfill(4) if group else "" for group in value.split(":")).upper()
    return value


GENERATORS = {T.IPV4: _ipv4, T.DOMAIN: _domain, T.SHA256: _sha256, T.URL: _url, T.IPV6: _ipv6}


def generate(count: int, seed: int) -> list[tuple[str, T]]:
    """Return ``count`` (value, type) pairs in the benchmark mix, shuffled deterministically."""
    rng = random.Random(seed)
    items = [
        (GENERATORS[kind](rng), kind) for kind, share in MIX for _ in range(round(count * share))
    ]
    rng.shuffle(items)
    return items


def run(items: list[tuple[str, T]], explicit: bool) -> tuple[float, int]:
    """Normalise every item; return (seconds, rejected count)."""
    rejected = 0
    gc.disable()
    started = time.perf_counter()
    for value, kind in items:
        try:
            normalize(value, kind if explicit else None)
        except InvalidObservable:
            rejected += 1
    elapsed = time.perf_counter() - started
    gc.enable()
    return elapsed, rejected


def main() -> None:
    """Generate the mix, time it per type and overall, print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    items = generate(args.values, args.seed)
    run(items[:20_000], explicit=True)  # warm caches and lazy imports
    results: dict[str, dict[str, float]] = {}
    print(f"{'type':<16}{'values':>10}{'seconds':>10}{'values/s':>12}{'rejected':>10}")
    for kind, _ in MIX:
        subset = [item for item in items if item[1] is kind]
        seconds, rejected = run(subset, explicit=True)
        results[kind.value] = _row(kind.value, len(subset), seconds, rejected)
    for label, explicit in (("overall", True), ("overall (auto)", False)):
        seconds, rejected = run(items, explicit=explicit)
        results[label] = _row(label, len(items), seconds, rejected)
    overall = results["overall"]["per_second"]
    verdict = "meets" if overall >= TARGET else "misses"
    print(f"{verdict} the {TARGET:,} values/s target with explicit types")
    print(json.dumps({"benchmark": "normalize", "values": len(items), "results": results}))


def _row(label: str, count: int, seconds: float, rejected: int) -> dict[str, float]:
    rate = count / seconds
    print(f"{label:<16}{count:>10,}{seconds:>10.3f}{rate:>12,.0f}{rejected:>10,}")
    return {
        "values": count,
        "seconds": round(seconds, 3),
        "per_second": round(rate),
        "rejected": rejected,
    }


if __name__ == "__main__":
    main()
