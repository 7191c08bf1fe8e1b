"""MISP benchmark: import synthetic MISP events, export them as MISP and as a feed.

One command (``python bench/misp.py [--events N --attributes M]``). For each engine it opens an
empty store and drives the REST API in process (Starlette's test client, so the figures are
the hub's own work without network or worker processes): POSTs every event with
``?format=misp`` (one contribution per event), the same observables again as plain JSON
items for comparison, then ``GET /api/v1/export?format=misp`` (on PostgreSQL after ANALYZE,
as autovacuum would do) and writes a feed directory.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from fastapi.testclient import TestClient  # noqa: E402

from phalanx.app import create_app  # noqa: E402
from phalanx.hub import Hub  # noqa: E402
from phalanx.members import service  # noqa: E402
from phalanx.misp.service import write_feed  # noqa: E402
from phalanx.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TYPES = ("ip-dst", "domain", "url", "sha256", "md5", "domain|ip", "filename|sha256", "text")


def attribute(rng: random.Random, number: int) -> dict[str, object]:
    """One synthetic attribute; about one in eight is a type Phalanx does not store."""
    kind = rng.choice(TYPES)
    ip = f"{rng.randint(11, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    domain = f"host{number}-{rng.getrandbits(24):x}.example.org"
    values = {
        "ip-dst": ip,
        "domain": domain,
        "url": f"http://{domain}/p/{number}.php",
        "sha256": f"{rng.getrandbits(256):064x}",
        "md5": f"{rng.getrandbits(128):032x}",
        "domain|ip": f"{domain}|{ip}",
        "filename|sha256": f"f{number}.exe|{rng.getrandbits(256):064x}",
        "text": f"note {number}",
    }
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": kind,
        "value": values[kind],
        "to_ids": rng.random() < 0.8,
        "Tag": [{"name": 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"'}]
        if rng.random() < 0.1
        else [],
    }


def events(count: int, size: int, seed: int) -> list[bytes]:
    """Deterministic events of ``size`` attributes each, TLP:GREEN, distribution 3."""
    rng = random.Random(seed)
    out = []
    for number in range(count):
        attributes = [attribute(rng, number * size + i) for i in range(size)]
        event = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "info": f"bench event {number}",
            "distribution": "3",
            "Tag": [{"name": "tlp:green"}, {"name": "PAP:GREEN"}],
            "Attribute": attributes,
        }
        out.append(orjson.dumps({"Event": event}))
    return out


def store_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "phalanx_misp_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "phalanx_misp_bench"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/phalanx_misp_bench"


def run_engine(engine: str, payloads: list[bytes]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        hub = Hub.open(Settings(database_url=store_url(engine, workdir)))
        with hub.db.transaction() as conn:
            org = service.create_org(
                conn, hub.db, name="Bench", kind="cert", country="DE", now=hub.clock()
            )
            _, token = service.create_key(conn, hub.db, org=org, role="analyst", now=hub.clock())
            other = service.create_org(
                conn, hub.db, name="Plain", kind="cert", country="FR", now=hub.clock()
            )
            _, plain = service.create_key(conn, hub.db, org=other, role="analyst", now=hub.clock())
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(hub=hub)) as client:
            result: dict[str, object] = {"engine": engine}
            started, counts, items = time.perf_counter(), {"new": 0, "known": 0, "rejected": 0}, []
            for body in payloads:
                answer = client.post(
                    "/api/v1/contributions?format=misp", content=body, headers=auth
                )
                for name, count in answer.json()["counts"].items():
                    counts[name] += count
                items += [
                    {"type": i["type"], "value": i["value"]}
                    for i in answer.json()["items"]
                    if i["outcome"] != "rejected"
                ]
            seconds = time.perf_counter() - started
            result.update(import_items_per_s=round(sum(counts.values()) / seconds), **counts)
            started = time.perf_counter()
            for start in range(0, len(items), 1_000):
                body = orjson.dumps(
                    {"defaults": {"tlp": "green"}, "items": items[start : start + 1_000]}
                )
                client.post(
                    "/api/v1/contributions",
                    content=body,
                    headers={
                        "Authorization": f"Bearer {plain}",
                        "Content-Type": "application/json",
                    },
                )
            result["json_items_per_s"] = round(len(items) / (time.perf_counter() - started))
            if engine == "postgres":
                # Steady state: autovacuum would have analysed the freshly loaded tables; with
                # stale statistics PostgreSQL sorts every page instead of using the index.
                with hub.db.engine.connect() as conn:
                    conn.execute(text("ANALYZE"))
                    conn.commit()
            started = time.perf_counter()
            exported = client.get("/api/v1/export?format=misp", headers=auth).content
            seconds = time.perf_counter() - started
            document = orjson.loads(exported)
            attributes = sum(len(e["Event"]["Attribute"]) for e in document["response"])
            result.update(
                export_attributes=attributes, export_attributes_per_s=round(attributes / seconds)
            )
            started = time.perf_counter()
            write_feed(workdir / "feed", document["response"])
            result["feed_attributes_per_s"] = round(attributes / (time.perf_counter() - started))
        hub.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--attributes", type=int, default=1_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    args = parser.parse_args()
    payloads = events(args.events, args.attributes, seed=4)
    results = [run_engine(engine, payloads) for engine in args.engines.split(",")]
    columns = (
        "engine",
        "new",
        "known",
        "rejected",
        "import_items_per_s",
        "json_items_per_s",
        "export_attributes",
        "export_attributes_per_s",
        "feed_attributes_per_s",
    )
    print(" | ".join(columns))
    for result in results:
        print(" | ".join(str(result[c]) for c in columns))
    print(orjson.dumps({"benchmark": "misp", "results": results}).decode())


if __name__ == "__main__":
    main()
