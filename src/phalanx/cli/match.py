"""``phalanx match``: run logs through the indicators the caller may see, on the caller's host.

The hub is asked once, for a policy-filtered snapshot (``GET /api/v1/match/snapshot``);
matching itself is local and pure (phalanx.matcher). Matches go to standard output as JSON
lines, the Rich summary to standard error; ``--report-sightings`` posts the matches,
aggregated per indicator, to ``POST /api/v1/sightings``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import orjson
import typer
from rich.console import Console

from phalanx.cli import client as hub_client
from phalanx.cli.common import handle_errors
from phalanx.errors import InvalidInput, UpstreamError
from phalanx.matcher import MatchIndex, build_index
from phalanx.matcher.logs import READERS, parse_field_map
from phalanx.matcher.run import SightingAggregator, render_summary, run_match
from phalanx.observables.kinds import ObservableType

SIGHTING_BATCH = 5_000
err = Console(stderr=True)


@handle_errors
def match(
    files: list[str] = typer.Argument(None, help="Log files (.gz read too), or - for stdin."),
    format: str = typer.Option(..., "--format", "-f", help="|".join(READERS)),
    field_map: str | None = typer.Option(
        None, "--field-map", help="field=kind,... for jsonl/csv (kinds: ipv4, domain, url, ...)"
    ),
    report_sightings: bool = typer.Option(
        False, "--report-sightings", help="Post the matches, aggregated, as sightings."
    ),
    named: bool = typer.Option(
        False, "--named", help="Let others see your organisation's sightings by name."
    ),
    index: Path | None = typer.Option(None, "--index", help="Use a saved index, not the hub."),
    index_out: Path | None = typer.Option(None, "--index-out", help="Save the index built."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Matches to FILE."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
) -> None:
    """Match logs against what you may see; print JSON lines of matches and a summary."""
    if format not in READERS:
        raise InvalidInput(
            f"unknown format {format!r}; use one of {', '.join(READERS)}", field="format"
        )
    mapping = parse_field_map(field_map) if field_map else None
    sources = list(files or [])
    if not sources and index_out is None:
        raise InvalidInput(
            "name log files (or - for stdin), or --index-out to save an index", field="files"
        )
    loaded = _load_or_fetch(index, url, api_key)
    if index_out is not None:
        index_out.write_bytes(loaded.to_bytes())
        err.print(f"saved the index of {len(loaded):,} indicators to {index_out}")
    if not sources:
        return
    aggregator = SightingAggregator() if report_sightings else None
    with _output(output) as out:
        summary = run_match(sources, format, loaded, out, mapping, sightings=aggregator)
    err.print(render_summary(summary))
    if aggregator is not None:
        _report(aggregator.items(), named, url, api_key)


def _load_or_fetch(index: Path | None, url: str | None, api_key: str | None) -> MatchIndex:
    if index is not None:
        try:
            data = index.read_bytes()
        except OSError as error:
            raise InvalidInput(f"cannot read {index}: {error.strerror}", field="index") from None
        return MatchIndex.from_bytes(data)
    with hub_client.from_env(url, api_key) as client:
        items = list(fetch_snapshot(client))
    err.print(f"fetched {len(items):,} matchable indicators you may see")
    return build_index((ref, kind, value) for ref, (kind, value) in enumerate(items))


def fetch_snapshot(client: httpx.Client) -> Iterator[tuple[ObservableType, str]]:
    """Yield (type, value) of the snapshot; UpstreamError when it is cut off."""
    count = None
    seen = 0
    try:
        with client.stream("GET", "/api/v1/match/snapshot") as response:
            if not response.is_success:
                response.read()
                hub_client.check(response)
            for line in response.iter_lines():
                if not line.strip():
                    continue
                record = orjson.loads(line)
                if "value" in record:
                    seen += 1
                    yield ObservableType(record["type"]), record["value"]
                elif "count" in record:
                    count = record["count"]
    except httpx.TransportError as error:
        raise UpstreamError(f"the snapshot download failed: {error}") from None
    if count != seen:
        raise UpstreamError(f"the snapshot was cut off after {seen:,} indicators; run again")


@contextmanager
def _output(path: Path | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    with path.open("wb") as handle:
        yield handle


def _report(items: list[dict[str, Any]], named: bool, url: str | None, api_key: str | None) -> None:
    """Post aggregated sightings in batches; identical batches are replays, not recounts."""
    totals: dict[str, int] = {}
    with hub_client.from_env(url, api_key) as client:
        for start in range(0, len(items), SIGHTING_BATCH):
            batch = [
                {k: v for k, v in item.items() if v is not None} | {"anonymous": not named}
                for item in items[start : start + SIGHTING_BATCH]
            ]
            body = orjson.dumps({"sightings": batch})
            key = "match-" + hashlib.sha256(body).hexdigest()[:40]
            response = hub_client.post(
                client,
                "/api/v1/sightings",
                content=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": key},
            )
            for name, count in response.json()["counts"].items():
                totals[name] = totals.get(name, 0) + count
    shown = ", ".join(f"{count:,} {name}" for name, count in totals.items() if count) or "none"
    err.print(f"sightings reported: {shown}")
