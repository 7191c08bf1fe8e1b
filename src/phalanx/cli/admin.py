"""``phalanx serve``, ``db``, ``audit``, ``normalize``, ``export`` and ``demo``."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.table import Table

from phalanx.audit.record import verify
from phalanx.cli import client as hub_client
from phalanx.cli.common import err, handle_errors, open_hub, out, print_json
from phalanx.errors import InvalidInput
from phalanx.observables.normalize import normalize
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.migrate import current_revision, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Apply migrations to the configured store (PHALANX_DATABASE_URL)."""
    settings = Settings.from_env()
    db = Database(settings.database_url)
    try:
        revision = upgrade(db)
    finally:
        db.dispose()
    out.print(f"database at revision {revision}")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Print the schema revision of the configured store."""
    db = Database(Settings.from_env().database_url)
    try:
        out.print(current_revision(db) or "empty")
    finally:
        db.dispose()


@audit_app.command("verify")
@handle_errors
def audit_verify(
    json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Recompute the hash chain and name the first broken entry (exit 1 if broken)."""
    with open_hub() as hub, hub.db.read() as conn:
        verdict = verify(conn)
    if json:
        print_json(
            {
                "ok": verdict.ok,
                "checked": verdict.checked,
                "first_broken": verdict.first_broken,
                "reason": verdict.reason,
            }
        )
    elif verdict.ok:
        out.print(f"audit chain intact: {verdict.checked} entries verified")
    else:
        err.print(
            f"[red]audit chain broken at entry {verdict.first_broken}[/red]: {verdict.reason} "
            f"({verdict.checked} entries before it verified)"
        )
    if not verdict.ok:
        raise typer.Exit(1)


def normalize_values(
    values: list[str] = typer.Argument(..., help="Values to normalise (defanged is fine)."),
    type: str | None = typer.Option(None, "--type", help="Force a type instead of detecting it."),
) -> None:
    """Print one JSON line per input: {input, type, value} or {input, error}."""
    failed = False
    for raw in values:
        try:
            obs = normalize(raw, type)
        except InvalidInput as error:
            print_json({"input": raw, "error": error.reason})
            failed = True
        else:
            print_json({"input": raw, "type": obs.type.value, "value": obs.value})
    if failed:
        raise typer.Exit(2)


# Longer than the 60 s idle timeout of common load balancers, which must be the side that
# closes (a server closing first races the balancer's next request: a 502), and than a TAXII
# poller's usual pause; uvicorn's default is 5 s.
KEEP_ALIVE_S = 65


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (they share the store)."),
    keep_alive: int = typer.Option(
        KEEP_ALIVE_S, min=1, help="Seconds an idle client connection is kept open."
    ),
) -> None:
    """Run the API on the configured store (PHALANX_DATABASE_URL)."""
    import uvicorn

    from phalanx.cli.serving import NoDelayHttpToolsProtocol

    settings = Settings.from_env()
    db = Database(settings.database_url)
    try:
        upgrade(db)  # once, before workers start, so they do not race to migrate
    finally:
        db.dispose()
    uvicorn.run(
        "phalanx.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        loop=serving_loop(workers),
        http=NoDelayHttpToolsProtocol,
        timeout_keep_alive=keep_alive,
    )


def serving_loop(workers: int) -> str:
    """The event loop for ``workers`` API processes: asyncio when they share the socket.

    Workers share one listening socket, and a contribution keeps its worker's CPU busy for
    seconds. asyncio accepts a connection in Python, so a worker busy with one waits for
    the interpreter lock and an idle worker takes the connection first; uvloop accepts in
    C without that lock, and busy workers kept taking new connections, so both bench
    clients often ended up on one worker while the other idled (26,541-29,051 against
    46,769-50,980 indicators/s in seven of seven runs with asyncio). One worker keeps uvloop.
    asyncio leaves Nagle's algorithm on for these workers' connections: the HTTP protocol
    turns it off (cli/serving.NoDelayHttpToolsProtocol).
    """
    return "asyncio" if workers > 1 else "auto"


@handle_errors
def export(
    format: str = typer.Option("stix", help="stix|csv|text"),
    output: str = typer.Option("-", "--output", "-o", help="File to write, or - for stdout."),
    type: str | None = typer.Option(None, help="Only this observable type."),
    label: str | None = typer.Option(None, help="Only reports with this label."),
    since: str | None = typer.Option(None, help="Only reports changed since (RFC 3339)."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
) -> None:
    """Download everything your key may see from a hub."""
    params = {
        k: v
        for k, v in {"format": format, "type": type, "label": label, "since": since}.items()
        if v
    }
    with ExitStack() as stack:
        sink = sys.stdout.buffer if output == "-" else stack.enter_context(Path(output).open("wb"))
        client = stack.enter_context(hub_client.from_env(url, api_key))
        response = stack.enter_context(client.stream("GET", "/api/v1/export", params=params))
        if not response.is_success:
            response.read()
            hub_client.check(response)
        for chunk in response.iter_bytes():
            sink.write(chunk)


def demo(
    database: str = typer.Option("./demo-data/phalanx-demo.db", help="SQLite file for the demo."),
    reports: int = typer.Option(50_000, help="Synthetic reports to create on first run."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    serve_api: bool = typer.Option(True, "--serve/--no-serve", help="Serve after preparing."),
) -> None:
    """Create (or reuse) a demo hub with synthetic data, print keys and examples, and serve."""
    from phalanx.demo import prepare_demo

    prepared = prepare_demo(Path(database), reports=reports)
    base = f"http://{host}:{port}"
    table = Table("organisation", "kind", "country", "role", title="demo organisations")
    for entry in prepared.keys:
        table.add_row(entry.org, entry.kind, entry.country, entry.role)
    out.print(table)
    # Keys on lines of their own: a table cell would cut them ("phx_…"), useless to copy.
    out.print("API keys:", highlight=False)
    for entry in prepared.keys:
        out.print(f"  {entry.org} ({entry.role}): {entry.token}", highlight=False, soft_wrap=True)
    example = prepared.keys[0].token
    out.print(
        f"\nPhalanx demo hub: {base}/api/v1/docs   ({prepared.reports} reports in {database})"
    )
    out.print("Try:", highlight=False)
    for line in prepared.examples(base, example):
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    if serve_api:
        import os

        os.environ["PHALANX_DATABASE_URL"] = f"sqlite:///{Path(database).resolve()}"
        serve(host=host, port=port, workers=1, keep_alive=KEEP_ALIVE_S)
