"""``phalanx feed …`` (published sources) and ``phalanx standing …`` (give-to-get)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import typer
from rich.table import Table

from phalanx.alliance import feeds, standing
from phalanx.cli.common import handle_errors, open_hub, out, print_json
from phalanx.clock import parse_timestamp
from phalanx.errors import InvalidInput
from phalanx.members import service as members

feed_app = typer.Typer(help="Published sources: already-public intelligence.", no_args_is_help=True)
standing_app = typer.Typer(help="Give-to-get standing of members.", no_args_is_help=True)


@feed_app.command("add")
@handle_errors
def feed_add(
    name: str,
    format: str = typer.Option(..., "--format", help="text, csv, misp-feed or stix."),
    url: str | None = typer.Option(None, "--url", help="Where `feed refresh` downloads it."),
    refresh_hours: int | None = typer.Option(
        None, "--refresh-hours", help="Refresh a URL source this often (`feed refresh`)."
    ),
    json: bool = typer.Option(False, "--json", help="Print the source as JSON."),
) -> None:
    """Register a published source; its values are answered as `published`."""
    with open_hub() as hub, hub.db.transaction() as conn:
        source = feeds.add(
            hub,
            conn,
            name=name,
            format=format,
            url=url,
            refresh_hours=refresh_hours,
            now=hub.clock(),
        )
    if json:
        print_json(source.to_json())
    else:
        out.print(f"published source {source.name} ({source.format}) added")


@feed_app.command("import")
@handle_errors
def feed_import(
    name: str,
    path: Path = typer.Argument(..., help="A file; for misp-feed, the feed directory."),
    json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Import a file of a published source as TLP:CLEAR reports with first-seen times."""
    with open_hub() as hub:
        with hub.db.read() as conn:
            source = feeds.get(conn, name)
        read = feeds.read_path(source.format, path)
        with hub.db.transaction() as conn:
            result = feeds.import_read(hub, conn, source=source, read=read, now=hub.clock())
    if json:
        print_json({"source": name, "counts": result["counts"], "skipped": result["skipped"]})
    else:
        counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
        out.print(f"{name}: {counts}; {result['skipped']} attributes of other types skipped")


@feed_app.command("refresh")
@handle_errors
def feed_refresh(
    name: list[str] = typer.Argument(None, help="Sources to refresh now (default: those due)."),
    json: bool = typer.Option(False, "--json", help="Print the outcomes as JSON."),
) -> None:
    """Download and import URL sources whose refresh period has passed (run it from cron)."""
    with open_hub() as hub, httpx.Client(timeout=60, follow_redirects=True) as client:
        results = feeds.refresh_due(hub, now=hub.clock(), client=client, names=name or None)
    if json:
        print_json(results)
        return
    for source, result in results.items():
        out.print(f"{source}: {result.get('error') or result['counts']}")
    if not results:
        out.print("no published source is due")


@feed_app.command("list")
@handle_errors
def feed_list(json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the published sources."""
    with open_hub() as hub, hub.db.read() as conn:
        sources = feeds.list_(conn)
    if json:
        print_json([s.to_json() for s in sources])
        return
    table = Table("name", "format", "url", "refresh (h)", "last import", "values")
    for s in sources:
        last = "-" if s.last_imported_at is None else s.last_imported_at.isoformat()
        table.add_row(
            s.name, s.format, s.url or "-", str(s.refresh_hours or "-"), last, str(s.last_count)
        )
    out.print(table)


@standing_app.command("show")
@handle_errors
def standing_show(
    org: str, json: bool = typer.Option(False, "--json", help="Print as JSON.")
) -> None:
    """Show an organisation's standing, trend and gap."""
    with open_hub() as hub, hub.db.read() as conn:
        found = members.get_org(conn, org)
        result = standing.current(hub, conn, org_id=found.id, now=hub.clock())
        body = standing.standing_json(result, org_id=found.id, rule=hub.worlds.rule)
    if json:
        print_json(body)
    else:
        out.print(
            f"{found.name}: {body['status']} — {body['average_per_day']} points/day over "
            f"{body['rule']['window_days']} days (needs {body['required_per_day']}); "
            f"gap {body['gap_points']} points; trend {body['trend']['direction']}"
        )


@standing_app.command("override")
@handle_errors
def standing_override(
    org: str,
    status: str = typer.Option(..., "--status", help="good, restricted or clear."),
    reason: str = typer.Option(..., "--reason", help="Why (written to the audit chain)."),
    until: str | None = typer.Option(None, "--until", help="When the override ends (RFC 3339)."),
) -> None:
    """Force or clear an organisation's standing (administrators)."""
    end: datetime | None = None
    if until:
        try:
            end = parse_timestamp(until)
        except ValueError:
            raise InvalidInput("must be an RFC 3339 timestamp", field="until") from None
    with open_hub() as hub, hub.db.transaction() as conn:
        found = members.get_org(conn, org)
        result = standing.set_override(
            hub,
            conn,
            org_id=found.id,
            status=None if status == "clear" else status,
            reason=reason,
            until=end,
            now=hub.clock(),
            actor_org_id=None,
            actor="cli",
        )
    out.print(f"{found.name}: now {result.status.value}")


@standing_app.command("refresh")
@handle_errors
def standing_refresh() -> None:
    """Re-evaluate every organisation's standing (after changing the rule)."""
    with open_hub() as hub, hub.db.transaction() as conn:
        count = standing.refresh_all(hub, conn, now=hub.clock())
    out.print(f"standing re-evaluated for {count} organisations")
