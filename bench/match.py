"""Matcher benchmark: 1,000,000 indicators against 10,000,000 log observations, one core.

One command (``.venv/bin/python bench/match.py``; ``--indicators``/``--observations`` for
smaller runs). It generates a deterministic indicator set and logs (text, JSON lines,
Suricata EVE) in a temporary directory, builds the index, saves and reloads it, then times
``phalanx.matcher.run.run_match`` on each log with matches written to a file. Finally it
runs a sample of the same workload through stix2-matcher and extrapolates the speed ratio.
Prints a table, then one JSON line. On a shared machine the wall-clock rates depend on what
else runs; each run also reports observations per CPU second of this process and the load
average when it started.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from phalanx.matcher import MatchIndex, Observation, build_index, match_observations  # noqa: E402
from phalanx.matcher.match import Matcher  # noqa: E402
from phalanx.matcher.run import CHUNK_BYTES, read_chunks, run_match  # noqa: E402
from phalanx.observables.kinds import ObservableType as T  # noqa: E402

TLDS = ("com", "net", "org", "ru", "top", "xyz", "info", "io", "cn", "de", "biz", "club")
WORDS = ("cdn", "mail", "api", "login", "secure", "update", "static", "img", "auth", "files")
HASHES = ((T.MD5, 32, 0.2), (T.SHA1, 40, 0.2), (T.SHA256, 64, 0.6))
INDICATOR_MIX = (
    "ipv4 30%, domain 30% (a fifth are children of other indicator domains), hashes 15% "
    "(md5:sha1:sha256 2:2:6), CIDR 10% (9:1 IPv4:IPv6; mostly /24-/32, 10% /20-/23, 0.1% /16, "
    "5% nested), URL 10%, IPv6 5%"
)
OBSERVATION_MIX = (
    "ipv4 45%, domain 30%, hash 10%, URL 10%, IPv6 5%; each value is drawn from the indicators "
    "with probability 1% (domains as themselves upper-cased or with a www. child), otherwise "
    "fresh; random IPv4 also land in CIDRs"
)


class Workload:
    """Deterministic indicators, and observations drawn with a 1% bias towards them."""

    def __init__(self, indicators: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.items: list[tuple[int, T, str]] = []
        self.known: dict[str, list[str]] = {}
        shares = (("ipv4", 0.3), ("domain", 0.3), ("hash", 0.15), ("cidr4", 0.09), ("cidr6", 0.01))
        for family, share in (*shares, ("url", 0.1)):
            for _ in range(int(indicators * share)):
                self._add(family, self.indicator(family))
        while len(self.items) < indicators:
            self._add("ipv6", self.ipv6())

    def _add(self, family: str, item: tuple[T, str] | str) -> None:
        kind, value = item if isinstance(item, tuple) else (_KINDS[family], item)
        self.items.append((len(self.items), kind, value))
        self.known.setdefault(family, []).append(value)

    def indicator(self, family: str) -> tuple[T, str] | str:
        """One indicator value of ``family``."""
        if family == "ipv4":
            return self.ipv4()
        if family == "domain":
            return self.domain(parent_bias=0.2)
        if family == "hash":
            return self.hash()
        if family == "cidr4":
            return self.cidr4()
        if family == "cidr6":
            length = self.rng.choice((32, 48, 56, 64, 96, 112))
            return f"2a0{self.rng.randint(1, 9)}:{self.rng.getrandbits(16):x}::/{length}"
        return self.url()

    def ipv4(self) -> str:
        rng = self.rng
        first = rng.randint(11, 126) if rng.random() < 0.5 else rng.randint(128, 223)
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def ipv6(self) -> str:
        rng = self.rng
        groups = ":".join(f"{rng.getrandbits(16):x}" for _ in range(2))
        return f"2a0{rng.randint(1, 9)}:{groups}::{rng.getrandbits(16):x}"

    def domain(self, parent_bias: float = 0.0) -> str:
        rng = self.rng
        known = self.known.get("domain")
        if known and rng.random() < parent_bias:
            return f"{rng.choice(WORDS)}{rng.randint(1, 99)}.{rng.choice(known)}"
        name = f"{rng.choice(WORDS)}{rng.getrandbits(30):x}.{rng.choice(TLDS)}"
        return f"{rng.choice(WORDS)}.{name}" if rng.random() < 0.4 else name

    def hash(self) -> tuple[T, str]:
        roll = self.rng.random()
        for kind, digits, share in HASHES:
            if roll < share:
                return kind, f"{self.rng.getrandbits(digits * 4):0{digits}x}"
            roll -= share
        return T.SHA256, f"{self.rng.getrandbits(256):064x}"

    def cidr4(self) -> str:
        rng = self.rng
        roll = rng.random()
        length = (
            16
            if roll < 0.001
            else rng.randint(20, 23)
            if roll < 0.1
            else 24
            if roll < 0.6
            else rng.randint(25, 32)
        )
        known = self.known.get("cidr4")
        if known and rng.random() < 0.05:  # nested in an earlier CIDR
            outer, _, outer_length = rng.choice(known).partition("/")
            if outer_length and int(outer_length) < 31:
                base = _address(outer) + rng.getrandbits(32 - int(outer_length))
                return _cidr_text(base, rng.randint(int(outer_length) + 1, 32))
        return _cidr_text(_address(self.ipv4()), length)

    def url(self) -> str:
        rng = self.rng
        path = "/".join(
            f"{rng.choice(WORDS)}{rng.randint(0, 999)}" for _ in range(rng.randint(1, 3))
        )
        query = f"?id={rng.getrandbits(24):x}" if rng.random() < 0.5 else ""
        scheme = "https" if rng.random() < 0.6 else "http"
        ext = rng.choice(("php", "html", "js", "exe"))
        return f"{scheme}://{self.domain()}/{path}.{ext}{query}"

    def observations(self, count: int, hit_rate: float = 0.01) -> Iterator[tuple[str, str]]:
        """Yield (family, value) in the observation mix."""
        rng, known = self.rng, self.known
        for _ in range(count):
            roll, hit = rng.random(), rng.random() < hit_rate
            if roll < 0.45:
                yield "ipv4", rng.choice(known["ipv4"]) if hit else self.ipv4()
            elif roll < 0.75:
                name = rng.choice(known["domain"]) if hit else self.domain()
                yield (
                    "domain",
                    (f"www.{name}" if rng.random() < 0.5 else name.upper()) if hit else name,
                )
            elif roll < 0.85:
                yield "hash", rng.choice(known["hash"]) if hit else self.hash()[1]
            elif roll < 0.95:
                yield "url", rng.choice(known["url"]) if hit else self.url()
            else:
                yield "ipv6", rng.choice(known["ipv6"]) if hit else self.ipv6()


_KINDS = {
    "ipv4": T.IPV4,
    "domain": T.DOMAIN,
    "cidr4": T.CIDR,
    "cidr6": T.CIDR,
    "url": T.URL,
    "ipv6": T.IPV6,
}


def _address(text: str) -> int:
    return int.from_bytes(bytes(int(part) for part in text.split(".")), "big")


def _cidr_text(address: int, length: int) -> str:
    network = address >> (32 - length) << (32 - length)
    text = ".".join(str(b) for b in network.to_bytes(4, "big"))
    return text if length == 32 else f"{text}/{length}"


def write_logs(
    work: Workload, directory: Path, text_lines: int, structured: int
) -> dict[str, Path]:
    """Write the text, JSON-lines and EVE logs; return their paths."""
    paths = {name: directory / name for name in ("obs.txt", "obs.jsonl", "eve.json")}
    with paths["obs.txt"].open("w") as out:
        for _, value in work.observations(text_lines):
            out.write(value + "\n")
    with paths["obs.jsonl"].open("w") as out:
        for number, (family, value) in enumerate(work.observations(structured)):
            out.write(json.dumps(_jsonl_record(number, family, value)) + "\n")
    with paths["eve.json"].open("w") as out:
        for number, (family, value) in enumerate(work.observations(structured)):
            out.write(json.dumps(_eve_event(number, family, value)) + "\n")
    return paths


_JSONL_FIELD = {"ipv4": "dst_ip", "ipv6": "dst_ip", "domain": "query", "url": "url", "hash": "hash"}


def _jsonl_record(number: int, family: str, value: str) -> dict[str, object]:
    """A flat JSON-lines record: time, an internal source address, and the observation."""
    return {
        "timestamp": f"2025-03-01T10:{number // 60000 % 60:02d}:{number // 1000 % 60:02d}Z",
        "src_ip": _internal(number),
        "action": "allow",
        _JSONL_FIELD[family]: value,
    }


def _internal(number: int) -> str:
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


_FLOW = {"pkts_toserver": 3, "pkts_toclient": 2, "bytes_toserver": 180, "state": "closed"}


def _eve_event(number: int, family: str, value: str) -> dict[str, object]:
    """A Suricata EVE event of the type that carries the observation."""
    minute, second = number // 60000 % 60, number // 1000 % 60
    event: dict[str, object] = {
        "timestamp": f"2025-03-01T10:{minute:02d}:{second:02d}.000000+0000",
        "flow_id": 1000000000000 + number,
        "in_iface": "eth0",
        "src_ip": _internal(number),
        "src_port": 40000 + number % 20000,
        "dest_ip": "192.0.2.53",
        "dest_port": 53,
        "proto": "UDP",
    }
    if family in ("ipv4", "ipv6"):
        event.update(event_type="flow", dest_ip=value, dest_port=443, proto="TCP", flow=_FLOW)
    elif family == "domain":
        dns = {"version": 2, "type": "query", "id": number % 65536, "rrname": value, "rrtype": "A"}
        event.update(event_type="dns", dns=dns)
    elif family == "url":
        host, _, path = value.partition("://")[2].partition("/")
        http = {"hostname": host, "url": "/" + path, "http_method": "GET", "status": 200}
        event.update(event_type="http", dest_ip="192.0.2.80", dest_port=80, proto="TCP", http=http)
    else:
        algorithm = {32: "md5", 40: "sha1"}.get(len(value), "sha256")
        info = {"filename": "/download.bin", "state": "CLOSED", "size": 4096, algorithm: value}
        event.update(event_type="fileinfo", dest_ip="192.0.2.80", proto="TCP", fileinfo=info)
    return event


def measure_index(work: Workload, directory: Path) -> tuple[MatchIndex, dict[str, float]]:
    """Build, save and reload the index; return the loaded one and the figures."""
    started, cpu = time.perf_counter(), time.process_time()
    built = build_index(work.items, seed=7)
    build_s, build_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    data = built.to_bytes()
    (directory / "index.bin").write_bytes(data)
    del built
    started = time.perf_counter()
    index = MatchIndex.from_bytes(data)
    load_s = time.perf_counter() - started
    del index
    tracemalloc.start()  # a second load, traced (tracing slows it down)
    index = MatchIndex.from_bytes(data)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    count = len(index)
    return index, {
        "indicators": count, "build_s": build_s, "build_cpu_s": build_cpu_s, "load_s": load_s,
        "file_bytes": len(data),
        "nbytes": index.nbytes, "bytes_per_indicator": index.nbytes / count,
        "traced_bytes_per_indicator": traced / count,
        "key_table_bytes": index.keys.nbytes, "cidr4_bytes": index.cidr4.nbytes,
        "cidr6_bytes": index.cidr6.nbytes, "quad_filter_bytes": index.quads.nbytes,
    }  # fmt: skip


def measure_run(
    index: MatchIndex, path: Path, fmt: str, directory: Path, repeat: int
) -> dict[str, float]:
    """Time ``run_match`` over one log (best of ``repeat``), matches written to a file."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        load = os.getloadavg()[0]
        cpu = time.process_time()
        with (directory / f"matches-{fmt}.jsonl").open("wb") as out:
            summary = run_match([str(path)], fmt, index, out)
        cpu = time.process_time() - cpu
        if not best or summary.elapsed < best["seconds"]:
            best = {
                "lines": summary.lines, "observations": summary.observations,
                "matches": summary.matches, "seconds": summary.elapsed,
                "lines_per_s": summary.rate, "observations_per_s": summary.observation_rate,
                "cpu_seconds": cpu, "observations_per_cpu_s": summary.observations / cpu,
                "load_average": load, "malformed": sum(summary.malformed.values()),
            }  # fmt: skip
    return best


def measure_working_memory(index: MatchIndex, path: Path) -> float:
    """Return the peak MiB that matching one text chunk allocates (tracemalloc)."""
    with path.open("rb") as stream:
        chunk = next(read_chunks(stream))
    matcher = Matcher(index)
    matcher.match_text(chunk)  # warm: power tables grown
    tracemalloc.start()
    matcher.match_text(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


HASH_KEYS = {T.MD5: "MD5", T.SHA1: "SHA-1", T.SHA256: "SHA-256"}
SCO = {T.IPV4: "ipv4-addr", T.IPV6: "ipv6-addr", T.DOMAIN: "domain-name", T.URL: "url"}


def stix_pattern(kind: T, value: str) -> str:
    if kind is T.CIDR:
        return f"[ipv4-addr:value ISSUBSET '{value if '/' in value else value + '/32'}']"
    if kind is T.DOMAIN:
        return f"[domain-name:value = '{value}' OR domain-name:value LIKE '%.{value}']"
    if kind in HASH_KEYS:
        return f"[file:hashes.'{HASH_KEYS[kind]}' = '{value}']"
    return f"[{SCO[kind]}:value = '{value}']"


def stix_bundle(kind: T, value: str) -> list[dict[str, object]]:
    sco_type = "file" if kind in HASH_KEYS else SCO[kind]
    sco_id = f"{sco_type}--{uuid.uuid4()}"
    sco: dict[str, object] = {"type": sco_type, "spec_version": "2.1", "id": sco_id}
    sco.update({"hashes": {HASH_KEYS[kind]: value}} if kind in HASH_KEYS else {"value": value})
    when = "2025-03-01T00:00:00.000Z"
    observed = {
        "type": "observed-data", "spec_version": "2.1", "id": f"observed-data--{uuid.uuid4()}",
        "created": when, "modified": when, "first_observed": when, "last_observed": when,
        "number_observed": 1, "object_refs": [sco_id],
    }  # fmt: skip
    return [{"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [observed, sco]}]


def measure_stix2(work: Workload, text_rate: float, size: int) -> dict[str, object]:
    """Run a sample through stix2-matcher; check agreement; extrapolate the speed ratio."""
    from stix2matcher.matcher import Pattern

    rng = random.Random(3)
    sample = [
        item
        for item in rng.sample(work.items, size * 3)
        if not (item[1] is T.CIDR and ":" in item[2])
    ][:size]
    observations = []
    for family, value in work.observations(size):  # half fresh, half drawn from the sample
        _, kind, indicator = rng.choice(sample)
        if rng.random() < 0.5:
            kind, value = (
                (T.IPV4, indicator.partition("/")[0]) if kind is T.CIDR else (kind, indicator)
            )
        else:
            kind = {"ipv4": T.IPV4, "ipv6": T.IPV6, "domain": T.DOMAIN, "url": T.URL}.get(family)
            kind = kind or {32: T.MD5, 40: T.SHA1}.get(len(value), T.SHA256)
            value = value.lower() if kind is not T.URL else value
        observations.append((kind, value))
    compiled = [(ref, Pattern(stix_pattern(kind, value), "2.1")) for ref, kind, value in sample]
    bundles = [stix_bundle(kind, value) for kind, value in observations]
    started = time.perf_counter()
    theirs = {
        (o, ref)
        for o, bundle in enumerate(bundles)
        for ref, pattern in compiled
        if pattern.match(bundle)
    }
    stix_s = time.perf_counter() - started
    index = build_index(sample, seed=11)
    ours = {
        (m.line, m.indicator_ref)
        for m in match_observations(
            index, [Observation(k, v, i) for i, (k, v) in enumerate(observations)]
        )
        if m.how != "url-host"
    }
    evaluations = len(bundles) * len(compiled)
    per_observation_1m = stix_s / len(bundles) * (len(work.items) / len(compiled))
    return {
        "sample_indicators": len(compiled), "sample_observations": len(bundles),
        "evaluations": evaluations, "seconds": stix_s, "evaluations_per_s": evaluations / stix_s,
        "matches": len(theirs), "agrees": ours == theirs,
        "extrapolated_s_per_observation_vs_all_indicators": per_observation_1m,
        "phalanx_s_per_observation": 1 / text_rate if text_rate else None,
        "speed_ratio": per_observation_1m * text_rate,
    }  # fmt: skip


def print_report(console: Console, figures: dict[str, object]) -> None:
    """Print the results table and the accounting notes."""
    index, text, jsonl, eve, stix = (figures[k] for k in ("index", "text", "jsonl", "eve", "stix2"))
    assert isinstance(index, dict) and isinstance(text, dict) and isinstance(jsonl, dict)
    assert isinstance(eve, dict) and isinstance(stix, dict)
    table = Table(title="phalanx match benchmark (one core)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row("indicators", f"{index['indicators']:,}", "1,000,000")
    table.add_row(
        "index build (wall; CPU)",
        f"{index['build_s']:.2f} s; {index['build_cpu_s']:.2f} s",
        "<= 10 s",
    )
    table.add_row(
        "index memory (nbytes)", f"{index['bytes_per_indicator']:.1f} B/indicator", "<= 32"
    )
    table.add_row(
        "  measured by tracemalloc on load",
        f"{index['traced_bytes_per_indicator']:.1f} B/indicator",
        "",
    )
    table.add_row(
        "index file / load", f"{index['file_bytes'] / 2**20:.1f} MiB / {index['load_s']:.2f} s", ""
    )
    for name, run, target in (
        ("text", text, ">= 2,000,000"),
        ("jsonl", jsonl, "reported"),
        ("eve", eve, "reported"),
    ):
        table.add_row(f"{name}: lines, matches", f"{run['lines']:,}, {run['matches']:,}", "")
        table.add_row(f"{name}: observations/s", f"{run['observations_per_s']:,.0f}", target)
        table.add_row(
            f"{name}: observations per CPU second (load {run['load_average']:.1f})",
            f"{run['observations_per_cpu_s']:,.0f}",
            "",
        )
        table.add_row(f"{name}: lines/s", f"{run['lines_per_s']:,.0f}", "")
    table.add_row("stix2-matcher evaluations/s (sample)", f"{stix['evaluations_per_s']:,.0f}", "")
    table.add_row("stix2-matcher agrees on the sample", str(stix["agrees"]), "True")
    table.add_row(
        "stix2-matcher, s per observation vs all indicators",
        f"{stix['extrapolated_s_per_observation_vs_all_indicators']:.1f} s",
        "",
    )
    table.add_row("speed ratio phalanx / stix2-matcher", f"{stix['speed_ratio']:,.0f}x", "")
    console.print(table)
    console.print(f"Indicators: {INDICATOR_MIX}.")
    console.print(f"Observations: {OBSERVATION_MIX}. Text: one value per line; JSON lines: "
                  "one record per line with an internal src_ip and the value; EVE: flow, dns, "
                  "http and fileinfo events carrying the value.")  # fmt: skip
    console.print(
        "Memory accounting: nbytes sums every numpy array the loaded index holds: the key "
        f"table ({index['key_table_bytes']:,} B: 8 B key + 1 B kind + 4 B ref per exact value, "
        "and a filter bitmap of about 3 B per value), the IPv4 CIDR table "
        f"({index['cidr4_bytes']:,} B: networks, lengths, refs, interval bounds, innermost "
        f"CIDR, parents, block bitmap), the IPv6 CIDR table ({index['cidr6_bytes']:,} B) and the "
        f"dotted-quad prefix filter ({index['quad_filter_bytes']:,} B), plus 4 KiB for the "
        "Python objects around them. tracemalloc (numpy reports to it) measures everything "
        "loading the index file leaves allocated, including the hash power tables. Not in "
        f"either: the matcher's working memory, {figures['working_mib']:.0f} MiB at peak per "
        f"{CHUNK_BYTES // 2**20} MiB chunk plus {18 * CHUNK_BYTES // 2**20} MiB of power "
        "tables, whatever the index size."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--observations", type=int, default=10_000_000, help="text log lines")
    parser.add_argument(
        "--structured",
        type=int,
        default=None,
        help="JSON-lines and EVE lines (default: min(observations, 1,000,000))",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per log; the best is reported")
    parser.add_argument(
        "--stix2-sample",
        type=int,
        default=100,
        help="indicators and observations in the stix2-matcher sample",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    structured = (
        args.structured if args.structured is not None else min(args.observations, 1_000_000)
    )
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="phalanx-match-bench-") as temp:
        directory = Path(temp)
        started = time.perf_counter()
        work = Workload(args.indicators, args.seed)
        paths = write_logs(work, directory, args.observations, structured)
        console.print(
            f"generated the workload in {time.perf_counter() - started:.0f} s in {directory}"
        )
        index, index_figures = measure_index(work, directory)
        figures: dict[str, object] = {"index": index_figures}
        for name, path, fmt in (
            ("text", "obs.txt", "text"),
            ("jsonl", "obs.jsonl", "jsonl"),
            ("eve", "eve.json", "eve"),
        ):
            figures[name] = measure_run(index, paths[path], fmt, directory, args.repeat)
            console.print(f"{name}: {figures[name]}")
        figures["working_mib"] = measure_working_memory(index, paths["obs.txt"])
        text_rate = figures["text"]["observations_per_s"]  # type: ignore[index]
        figures["stix2"] = measure_stix2(work, text_rate, args.stix2_sample)
    print_report(Console(), figures)
    figures["mix"] = {"indicators": INDICATOR_MIX, "observations": OBSERVATION_MIX}
    print(json.dumps(figures, default=float))


if __name__ == "__main__":
    main()
