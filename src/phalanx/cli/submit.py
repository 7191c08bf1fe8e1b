"""``phalanx submit FILE``: send a file to a hub in batches, with a progress bar."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from phalanx.cli import client as hub_client
from phalanx.cli.common import handle_errors, out, print_json
from phalanx.errors import InvalidInput
from phalanx.formats import registry

MEDIA = {
    "json": "application/json",
    "stix": "application/stix+json",
    "csv": "text/csv",
    "text": "text/plain",
    "freetext": "text/x-freetext",
}


@handle_errors
def submit(
    file: str = typer.Argument(..., help="File to send, or - for standard input."),
    format: str = typer.Option("auto", help="auto|stix|json|csv|text|freetext"),
    tlp: str | None = typer.Option(None, help="Default TLP for items without one."),
    pap: str | None = typer.Option(None, help="Default PAP."),
    share_with: str | None = typer.Option(None, help="Comma-separated recipient organisations."),
    labels: str | None = typer.Option(None, help="Comma-separated default labels."),
    confidence: int | None = typer.Option(None, help="Default confidence 0-100."),
    anonymous: bool = typer.Option(False, help="Contribute anonymously."),
    batch: int = typer.Option(10_000, min=1, help="Items per request."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
    json: bool = typer.Option(False, "--json", help="Print each response as a JSON line."),
) -> None:
    """Contribute a file; retried batches are safe (each has an Idempotency-Key)."""
    payload = sys.stdin.buffer.read() if file == "-" else _read(file)
    fmt = registry.guess(file, payload).name if format == "auto" else registry.get(format).name
    defaults = {
        k: v
        for k, v in {
            "tlp": tlp,
            "pap": pap,
            "share_with": share_with,
            "labels": labels,
            "confidence": confidence,
            "anonymous": "true" if anonymous else None,
        }.items()
        if v is not None
    }
    # Same file and same defaults → same keys, so re-running a cut-off submit is safe.
    options = orjson.dumps({"format": fmt, **defaults}, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(options + b"\n" + payload).hexdigest()[:32]
    chunks = list(split(fmt, payload, batch))
    totals = {"new": 0, "known": 0, "rejected": 0}
    rejected: list[dict[str, Any]] = []
    with hub_client.from_env(url, api_key) as client, _progress(json) as progress:
        task = progress.add_task(f"submitting {fmt}", total=sum(n for _, n in chunks))
        for number, (body, count) in enumerate(chunks):
            response = hub_client.post(
                client,
                "/api/v1/contributions",
                params={"format": fmt, **defaults},
                content=body,
                headers={
                    "Content-Type": MEDIA[fmt],
                    "Idempotency-Key": f"submit-{digest}-{batch}-{number}",
                },
            )
            result = response.json()
            if json:
                print_json(result)
            for name in totals:
                totals[name] += result["counts"].get(name, 0)
            rejected += [i for i in result["items"] if i["outcome"] == "rejected"]
            progress.advance(task, count)
    if not json:
        _summary(totals, rejected)


def split(fmt: str, payload: bytes, size: int) -> Iterator[tuple[bytes, int]]:
    """Split a payload into request bodies of at most ``size`` items each."""
    if fmt == "json":
        yield from _split_json(payload, size)
    elif fmt == "stix":
        yield from _split_stix(payload, size)
    elif fmt == "csv":
        yield from _split_csv(payload, size)
    elif fmt == "text":
        lines = [line for line in payload.splitlines() if line.strip()]
        for start in range(0, len(lines), size):
            part = lines[start : start + size]
            yield b"\n".join(part) + b"\n", len(part)
    else:
        yield payload, 1


def _split_json(payload: bytes, size: int) -> Iterator[tuple[bytes, int]]:
    document = _load(payload)
    if isinstance(document, list):
        document = {"items": document}
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InvalidInput("a JSON contribution needs an 'items' list", field="items")
    defaults = document.get("defaults") or {}
    for start in range(0, max(len(items), 1), size):
        part = items[start : start + size]
        yield orjson.dumps({"defaults": defaults, "items": part}), len(part)


def _split_stix(payload: bytes, size: int) -> Iterator[tuple[bytes, int]]:
    document = _load(payload)
    objects = document.get("objects") if isinstance(document, dict) else None
    if not isinstance(objects, list):
        yield payload, 1
        return
    # Every batch carries the marking definitions so markings resolve in each request.
    markings = [o for o in objects if isinstance(o, dict) and o.get("type") == "marking-definition"]
    rest = [
        o for o in objects if not (isinstance(o, dict) and o.get("type") == "marking-definition")
    ]
    for start in range(0, max(len(rest), 1), size):
        part = rest[start : start + size]
        bundle = {
            "type": "bundle",
            "id": document.get("id", "bundle--phalanx"),
            "objects": markings + part,
        }
        yield orjson.dumps(bundle), len(part)


def _split_csv(payload: bytes, size: int) -> Iterator[tuple[bytes, int]]:
    rows = list(csv.reader(io.StringIO(payload.decode("utf-8-sig"), newline="")))
    if not rows:
        yield payload, 1
        return
    header, body = rows[0], rows[1:]
    for start in range(0, max(len(body), 1), size):
        part = body[start : start + size]
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, *part])
        yield buffer.getvalue().encode(), len(part)


def _load(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"file is not valid JSON: {error}", field="file") from None


def _read(file: str) -> bytes:
    path = Path(file)
    if not path.is_file():
        raise InvalidInput(f"no such file: {file}", field="file")
    return path.read_bytes()


def _progress(quiet: bool) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
        disable=quiet,
        transient=False,
    )


def _summary(totals: dict[str, int], rejected: list[dict[str, Any]]) -> None:
    table = Table("new", "known", "rejected")
    table.add_row(*(str(totals[k]) for k in ("new", "known", "rejected")))
    out.print(table)
    if rejected:
        problems = Table(
            "input", "reason", title=f"rejected items (first {min(len(rejected), 20)})"
        )
        for item in rejected[:20]:
            problems.add_row(str(item.get("input")), str(item.get("reason")))
        out.print(problems)
