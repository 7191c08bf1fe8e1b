"""``phalanx misp import FILE|DIR`` and ``phalanx misp export-feed DIR``: talk to a hub."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.table import Table

from phalanx.cli import client as hub_client
from phalanx.cli.common import handle_errors, out, print_json
from phalanx.errors import InvalidInput
from phalanx.misp.distribution import attach_sharing_groups, sharing_group_names
from phalanx.misp.envelope import events_of
from phalanx.misp.feed import MANIFEST, feed_plan
from phalanx.misp.service import write_feed

misp_app = typer.Typer(help="MISP events and feeds in and out.", no_args_is_help=True)


@misp_app.command("import")
@handle_errors
def import_events(
    source: str = typer.Argument(..., help="A MISP event JSON file, or a MISP feed directory."),
    sharing_groups: str | None = typer.Option(
        None, help="MISP sharing group list (JSON) resolving events' sharing_group_id."
    ),
    tlp: str | None = typer.Option(None, help="TLP for events and attributes without a tlp tag."),
    pap: str | None = typer.Option(None, help="PAP for events and attributes without a PAP tag."),
    anonymous: bool = typer.Option(False, help="Contribute anonymously."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
    json: bool = typer.Option(False, "--json", help="Print each response as a JSON line."),
) -> None:
    """Contribute MISP events: one contribution per event, safe to re-run."""
    groups = sharing_group_names(_load(Path(sharing_groups))) if sharing_groups else {}
    events, problems = _events(Path(source))
    params = {"format": "misp", "tlp": tlp, "pap": pap, "anonymous": "true" if anonymous else None}
    params = {key: value for key, value in params.items() if value is not None}
    table = Table("event", "new", "known", "rejected", "withdrawn", title="MISP import")
    with hub_client.from_env(url, api_key) as client:
        for event in events:
            body = orjson.dumps({"Event": attach_sharing_groups(event, groups)})
            # Same event and options -> same key: re-running an import is safe.
            key = hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS) + body)
            response = hub_client.post(
                client,
                "/api/v1/contributions",
                params=params,
                content=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": key.hexdigest()},
            ).json()
            if json:
                print_json({"event": event.get("uuid"), **response})
            counts = response["counts"]
            withdrawn = sum(response.get("withdrawn", {}).values())
            table.add_row(
                str(event.get("uuid")),
                *(str(counts[k]) for k in ("new", "known", "rejected")),
                str(withdrawn),
            )
    if not json:
        out.print(table)
    for problem in problems:
        out.print(f"[yellow]{problem}[/yellow]")
    if problems:
        raise typer.Exit(2)


def _events(source: Path) -> tuple[list[dict[str, Any]], list[str]]:
    if source.is_dir():
        manifest_path = source / MANIFEST
        if not manifest_path.is_file():
            raise InvalidInput(f"{source} has no {MANIFEST}: not a MISP feed", field="source")
        names, problems = feed_plan(_load(manifest_path), (p.name for p in source.iterdir()))
        events = []
        for name in names:
            try:
                events += events_of(_load(source / name))
            except InvalidInput as error:
                problems.append(f"{name}: {error.message}")
        return events, problems
    if not source.is_file():
        raise InvalidInput(f"no such file or directory: {source}", field="source")
    return events_of(_load(source)), []


def _load(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid JSON: {error}", field="file") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}", field="file") from None


@misp_app.command("export-feed")
@handle_errors
def export_feed(
    directory: str = typer.Argument(..., help="Directory to write the MISP feed into."),
    type: str | None = typer.Option(None, help="Only this observable type."),
    label: str | None = typer.Option(None, help="Only reports with this label."),
    tlp: str | None = typer.Option(None, help="Only reports with this TLP."),
    since: str | None = typer.Option(None, help="Only reports changed since (RFC 3339)."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
) -> None:
    """Write what your key may see as a MISP feed (manifest.json, events, hashes.csv)."""
    filters = {"type": type, "label": label, "tlp": tlp, "since": since}
    params = {"format": "misp", **{k: v for k, v in filters.items() if v}}
    with hub_client.from_env(url, api_key) as client:
        response = hub_client.check(client.get("/api/v1/export", params=params))
    events = orjson.loads(response.content)["response"]
    count = write_feed(Path(directory), events)
    out.print(f"wrote {count} MISP event(s) to {directory}")
