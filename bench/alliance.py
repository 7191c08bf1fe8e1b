"""Alliance benchmark: the warninglist index and the novelty/scoring stage of ingest.

One command (``.venv/bin/python bench/alliance.py``; ``--values`` for smaller runs):

1. builds the warninglist index (``default`` lists plus ``../shared/data/warninglists`` when
   present) and checks 1,000,000 mixed values (ipv4 35%, domain 25%, sha256 20%, url 15%,
   ipv6 5%; one in twenty is on a list) with ``match_many`` (each kind in bulk);
2. contributes 50,000 new values in-process to a fresh SQLite store, then the same values
   again from a second member (every item has a prior report: the corroboration path), each
   with the alliance stage and with it switched off, and reports the stage's share.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from phalanx.alliance.warninglist_files import load_index  # noqa: E402
from phalanx.hub import Hub  # noqa: E402
from phalanx.ingest import pipeline  # noqa: E402
from phalanx.members import service  # noqa: E402
from phalanx.members.secrets import parse_token  # noqa: E402
from phalanx.observables.kinds import ObservableType as T  # noqa: E402
from phalanx.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "warninglists"
LISTED = ("8.8.8.8", "10.1.2.3", "google.com", "d41d8cd98f00b204e9800998ecf8427e")


def values(rng: random.Random, count: int) -> list[tuple[T, str]]:
    """A deterministic mix of indicators, about one in twenty on a default list."""
    out: list[tuple[T, str]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.05:
            listed = rng.choice(LISTED)
            kind = T.MD5 if len(listed) == 32 else T.IPV4 if listed[0].isdigit() else T.DOMAIN
            out.append((kind, listed))
        elif roll < 0.35:
            out.append(
                (
                    T.IPV4,
                    f"{rng.choice((45, 81, 185))}.{rng.randrange(256)}."
                    f"{rng.randrange(256)}.{rng.randrange(1, 255)}",
                )
            )
        elif roll < 0.60:
            out.append((T.DOMAIN, f"host{rng.randrange(10**7)}.bad-{rng.randrange(1000)}.net"))
        elif roll < 0.80:
            out.append((T.SHA256, f"{rng.getrandbits(256):064x}"))
        elif roll < 0.95:
            out.append(
                (
                    T.URL,
                    f"http://site{rng.randrange(10**6)}.example-bad.org/p/{rng.randrange(10**6)}",
                )
            )
        else:
            out.append((T.IPV6, f"2a0e:97c0:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"))
    return out


def bench_index(count: int) -> dict[str, float]:
    start = time.perf_counter()
    index = load_index(("default",), str(SHARED) if SHARED.is_dir() else "")
    built = time.perf_counter() - start
    mix = values(random.Random(7), count)
    index.match_many([(kind, "192.0.2.1") for kind in T])  # build each kind's plan once
    start = time.perf_counter()
    hits = sum(1 for found in index.match_many(mix) if found)
    elapsed = time.perf_counter() - start
    return {
        "lists": len(index),
        "build_s": round(built, 2),
        "checked": count,
        "hits": hits,
        "checks_per_s": round(count / elapsed),
    }


def bench_ingest(count: int) -> dict[str, float]:
    mix = values(random.Random(11), count)
    records = [{"type": kind.value, "value": value} for kind, value in mix]
    result: dict[str, float] = {}
    for stage in ("on", "off"):
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                database_url=f"sqlite:///{folder}/bench.db",
                warninglists_dir=str(SHARED) if SHARED.is_dir() else "",
            )
            hub = Hub.open(settings)
            first, second = (_member(hub, name) for name in ("First", "Second"))
            original = pipeline.assess
            if stage == "off":
                pipeline.assess = lambda *args, **kwargs: {}  # type: ignore[assignment]
            try:
                for label, who in (("new", first), ("corroborating", second)):
                    request = pipeline.Request(
                        records=records, defaults={"tlp": "green"}, format="json"
                    )
                    start = time.perf_counter()
                    with hub.db.transaction() as conn:
                        pipeline.contribute(hub, conn, principal=who, request=request)
                    result[f"{label}_{stage}_per_s"] = round(count / (time.perf_counter() - start))
            finally:
                pipeline.assess = original
                hub.close()
    return result


def _member(hub: Hub, name: str) -> Any:
    with hub.db.transaction() as conn:
        org = service.create_org(
            conn, hub.db, name=name, kind="vendor", country="DE", now=hub.clock()
        )
        _key, token = service.create_key(conn, hub.db, org=org, role="analyst", now=hub.clock())
        key_id, secret = parse_token(token)  # type: ignore[misc]
        return service.authenticate(conn, key_id=key_id, secret=secret, now=hub.clock())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000, help="values to check")
    parser.add_argument("--items", type=int, default=50_000, help="items per contribution")
    args = parser.parse_args()
    index = bench_index(args.values)
    ingest = bench_ingest(args.items)
    print(f"{'measure':<44} {'value':>12}")
    for name, value in {**index, **ingest}.items():
        print(f"{name:<44} {value:>12}")
    print(json.dumps({"bench": "alliance", **index, **ingest}))


if __name__ == "__main__":
    main()
