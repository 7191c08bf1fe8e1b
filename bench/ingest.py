"""Ingest benchmark: 1,000,000 mixed indicators through the REST API, SQLite and PostgreSQL.

One command (``python bench/ingest.py``). For each engine it creates an empty store, starts
``phalanx serve`` on loopback, POSTs pre-built JSON contributions in batches from client
threads, and reports indicators/s (normalisation, policy, storage and audit included), the
outcome counts and the peak RSS of the server processes. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from phalanx.hub import Hub  # noqa: E402
from phalanx.members import service  # noqa: E402
from phalanx.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TLDS = ("com", "net", "org", "ru", "top", "xyz", "info", "io")


def generate(count: int, seed: int) -> list[dict[str, object]]:
    """Deterministic mixed indicators: ipv4 35%, domain 25%, sha256 20%, url 15%, ipv6 5%."""
    rng = random.Random(seed)
    items: list[dict[str, object]] = []
    for number in range(count):
        if items and rng.random() < 0.02:
            items.append(dict(rng.choice(items)))  # a re-sent value
            continue
        roll = rng.random()
        if roll < 0.35:
            octets = (rng.randint(11, 99), rng.randint(0, 255), rng.randint(0, 255))
            value = f"{octets[0]}.{octets[1]}.{octets[2]}.{rng.randint(1, 254)}"
        elif roll < 0.60:
            value = f"host{number}-{rng.getrandbits(24):x}.{rng.choice(TLDS)}"
        elif roll < 0.80:
            value = f"{rng.getrandbits(256):064x}"
        elif roll < 0.95:
            host = f"site{rng.getrandbits(28):x}.{rng.choice(TLDS)}"
            value = f"http://{host}/p/{number}.php?id={rng.randint(1, 999)}"
        else:
            groups = ":".join(f"{rng.getrandbits(16):x}" for _ in range(2))
            value = f"2a0{rng.randint(1, 9)}:{groups}::{rng.getrandbits(16):x}"
        if rng.random() < 0.05:
            value = value.replace(".", "[.]", 1).replace("http", "hxxp", 1)
        item: dict[str, object] = {"value": value}
        if rng.random() < 0.3:
            item["labels"] = [rng.choice(("c2", "phishing", "payload")), "malware:emotet"]
        if rng.random() < 0.2:
            item["tlp"] = rng.choice(("clear", "green", "amber"))
        items.append(item)
    return items


def batches(items: list[dict[str, object]], size: int) -> list[tuple[bytes, int]]:
    """Pre-serialise request bodies so the client spends no time during the run."""
    defaults = {"tlp": "green", "confidence": 70}
    return [
        (
            orjson.dumps({"defaults": defaults, "items": items[i : i + size]}),
            len(items[i : i + size]),
        )
        for i in range(0, len(items), size)
    ]


def prepare_store(engine: str, workdir: Path) -> str:
    """Return the URL of an empty store for ``engine``."""
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "phalanx_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "phalanx_bench"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/phalanx_bench"


def make_key(url: str) -> str:
    """Create the benchmark organisation and key straight on the store."""
    hub = Hub.open(Settings(database_url=url))
    try:
        with hub.db.transaction() as conn:
            org = service.create_org(
                conn, hub.db, name="Bench", kind="vendor", country="DE", now=hub.clock()
            )
            _key, token = service.create_key(
                conn, hub.db, org=org, role="contributor", now=hub.clock()
            )
    finally:
        hub.close()
    return token


class RssSampler(threading.Thread):
    """Samples the summed RSS of a process tree (server master and workers)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(0.1)


def tree_rss(pid: int) -> int:
    """Return the resident bytes of ``pid`` and its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += (
                int(
                    next(
                        line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")
                    )
                )
                * 1024
            )
            pending.extend(children(current))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (the server's API workers and resource tracker)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def worker_cpu(pid: int) -> list[float]:
    """CPU seconds of each API worker under the server ``pid``: shows how balanced a run was."""
    seconds = []
    for child in children(pid):
        fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
        used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        if used >= 1:  # not multiprocessing's resource tracker
            seconds.append(round(used, 1))
    return sorted(seconds, reverse=True)


def serve(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """Start the hub and wait until every worker serves."""
    # Info level: each worker logs when its start-up is complete (below).
    env = dict(os.environ, PHALANX_DATABASE_URL=url, PHALANX_LOG_LEVEL="info")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "phalanx.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        # The first worker answers while the others may still be starting: a client that
        # connected then would share that worker with the next one for the whole run.
        started = log.read_text(errors="replace").count("Application startup complete.")
        try:
            answered = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
        except httpx.TransportError:
            answered = None
        if started >= workers and answered == 200:
            return server
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the hub did not start; see {log}")


def run_engine(
    engine: str, bodies: list[tuple[bytes, int]], args: argparse.Namespace
) -> dict[str, object]:
    """Benchmark one engine and return its figures."""
    workdir = Path(tempfile.mkdtemp(prefix=f"phalanx-bench-{engine}-"))
    url = prepare_store(engine, workdir)
    token = make_key(url)
    server = serve(url, args.port, args.workers, workdir / "server.log")
    sampler = RssSampler(server.pid)
    sampler.start()
    counts = {"new": 0, "known": 0, "rejected": 0}
    lock = threading.Lock()
    local = threading.local()
    client_starts = itertools.count()
    placed: set[int] = set()  # API workers that hold a client's connection

    def post(body: tuple[bytes, int]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            # Clients start apart, as real ones do. Connections opened in the same instant
            # are all accepted by one API worker (asyncio accepts every pending connection
            # on one wake-up), and a kept-alive connection stays there: both clients would
            # then share one process, and one core, for the whole run.
            with lock:
                order = next(client_starts)
            time.sleep(args.stagger * order)
            client = local.client = connect(args.port, token, server.pid, placed, lock)
        response = client.post(
            "/api/v1/contributions",
            content=body[0],
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        response.raise_for_status()
        result = orjson.loads(response.content)["counts"]
        with lock:
            for name in counts:
                counts[name] += result[name]

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post, bodies))
        elapsed = time.perf_counter() - started
        balance = worker_cpu(server.pid)
    finally:
        sampler.running = False
        sampler.join()
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = sum(n for _, n in bodies)
    return {
        "engine": engine,
        "indicators": total,
        "seconds": round(elapsed, 2),
        "indicators_per_s": round(total / elapsed),
        "server_peak_rss_mb": round(sampler.peak / 2**20, 1),
        "worker_cpu_s": balance,
        **counts,
    }


def connect(port: int, token: str, server: int, placed: set[int], lock: threading.Lock) -> Any:
    """A kept-alive client whose connection an API worker without a client accepted.

    Staggered starts usually spread clients over the workers, but a busy worker's event
    loop may still win the accept (it only waits for the interpreter lock): then two
    clients share a core for the whole run. This reconnects until the connection lands
    on a free worker, as a load balancer in front of the workers would place it.
    """
    for _attempt in range(50):
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=600,
        )
        stream = client.get("/healthz").extensions["network_stream"]
        worker = worker_of(server, stream.get_extra_info("client_addr")[1], port)
        with lock:
            if worker is None or worker not in placed:
                placed.add(worker or 0)
                return client
        client.close()
    raise SystemExit("could not place a client on a free API worker")


def worker_of(server: int, client_port: int, port: int) -> int | None:
    """The API worker process holding the server end of the connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":")[1], fields[2].split(":")[1]
        if int(local, 16) == port and int(remote, 16) == client_port:
            inode = fields[9]
    if inode is None:
        return None
    for child in children(server):
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return child
            except OSError:
                continue
    return None


def cpu_reference() -> float:
    """Median seconds of a fixed pure-Python loop (3 runs): how fast this machine is now.

    Shared virtual machines vary by tens of percent from one minute to the next; a run's
    figures are comparable with another's only alongside this.
    """
    times = []
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for number in range(10_000_000):
            total += number
        times.append(time.perf_counter() - started)
    return round(sorted(times)[1], 3)


def main() -> None:
    """Parse flags, run every engine, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="items per POST")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client connections")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between client starts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    items = generate(args.indicators, args.seed)
    bodies = batches(items, args.batch)
    reference = [cpu_reference()]
    results = [run_engine(e.strip(), bodies, args) for e in args.engines.split(",") if e.strip()]
    reference.append(cpu_reference())
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heads = ("indicators", "seconds", "ind/s", "new", "known", "rejected", "server MB")
    print(f"{'engine':<10} " + " ".join(f"{h:>10}" for h in heads))
    for r in results:
        cells = (r["indicators"], r["seconds"], r["indicators_per_s"], r["new"], r["known"])
        cells += (r["rejected"], r["server_peak_rss_mb"])
        print(f"{r['engine']:<10} " + " ".join(f"{c:>10,}" for c in cells))
    for r in results:
        print(f"{r['engine']}: CPU seconds of each API worker {r['worker_cpu_s']}")
    print(f"CPU reference (10M-step Python loop, before and after): {reference} s")
    print(
        orjson.dumps(
            {
                "benchmark": "ingest",
                "cpu_reference_s": reference,
                "batch": args.batch,
                "workers": args.workers,
                "clients": args.clients,
                "client_peak_rss_mb": round(client_peak, 1),
                "results": results,
            }
        ).decode()
    )


if __name__ == "__main__":
    main()
