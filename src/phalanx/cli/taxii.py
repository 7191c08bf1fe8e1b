"""``phalanx taxii``: pull from and push to any TAXII 2.1 server; define filtered collections."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import typer

from phalanx.cli.common import handle_errors, open_hub, print_json
from phalanx.clock import to_micros
from phalanx.errors import InvalidInput
from phalanx.federation.client import PullState, TaxiiClient
from phalanx.formats.stix21.reader import objects_of
from phalanx.taxii import collections

taxii_app = typer.Typer(help="TAXII 2.1: pull, push, and the hub's filtered collections.")
DEFAULT_STATE = Path(os.environ.get("PHALANX_TAXII_STATE", "~/.phalanx/taxii-state.json"))


def _client(url: str, token: str | None, user: str | None, password: str | None) -> TaxiiClient:
    token = token or os.environ.get("PHALANX_TAXII_TOKEN")
    password = password or os.environ.get("PHALANX_TAXII_PASSWORD")
    if not token and not (user and password):
        raise InvalidInput("give --token (or PHALANX_TAXII_TOKEN) or --user and --password")
    return TaxiiClient(url, token=token, user=user, password=password)


@taxii_app.command("pull")
@handle_errors
def pull(
    url: str = typer.Argument(..., help="Discovery URL (.../taxii2/) or API root URL."),
    collection: str = typer.Option(..., "--collection", help="Collection id (or alias)."),
    output: Path = typer.Option(Path("-"), "--output", "-o", help="JSON lines file (appended)."),
    state: Path = typer.Option(DEFAULT_STATE, help="Resume points file."),
    full: bool = typer.Option(False, "--full", help="Ignore the saved resume point."),
    limit: int = typer.Option(1_000, min=1, help="Objects per page."),
    type: str | None = typer.Option(None, help="Only these STIX types (comma-separated)."),
    token: str | None = typer.Option(None, help="Bearer token."),
    user: str | None = typer.Option(None, help="HTTP Basic user."),
    password: str | None = typer.Option(None, help="HTTP Basic password."),
) -> None:
    """Fetch objects added since the last pull; resumable (added_after is saved per page)."""
    saved = PullState(state.expanduser())
    client = _client(url, token, user, password)
    after = None if full else saved.added_after(url, collection)
    count = pages = 0
    sink = None if str(output) == "-" else output.open("ab")
    try:
        for page in client.pull(
            collection, added_after=after, limit=limit, match={"type": type} if type else None
        ):
            lines = b"".join(orjson.dumps(obj) + b"\n" for obj in page.objects)
            if sink is None:
                sys.stdout.write(lines.decode())
                sys.stdout.flush()
            else:
                sink.write(lines)
                sink.flush()
                os.fsync(sink.fileno())
            count += len(page.objects)
            pages += 1
            if page.date_added_last:  # written only once the page is safely out
                saved.save(url, collection, added_after=page.date_added_last)
    finally:
        if sink is not None:
            sink.close()
        client.close()
    typer.echo(
        f"{count} objects in {pages} pages from {collection}"
        + (f" (added after {after})" if after else ""),
        err=True,
    )


@taxii_app.command("push")
@handle_errors
def push(
    url: str = typer.Argument(..., help="Discovery URL (.../taxii2/) or API root URL."),
    file: Path = typer.Argument(..., help="A STIX bundle, TAXII envelope, JSON array or lines."),
    collection: str = typer.Option(..., "--collection", help="Collection id (or alias)."),
    state: Path = typer.Option(DEFAULT_STATE, help="Resume points file."),
    batch: int = typer.Option(1_000, min=1, help="Objects per envelope."),
    token: str | None = typer.Option(None, help="Bearer token."),
    user: str | None = typer.Option(None, help="HTTP Basic user."),
    password: str | None = typer.Option(None, help="HTTP Basic password."),
) -> None:
    """Add a file's objects to a collection; a re-run skips envelopes already acknowledged."""
    payload = file.read_bytes()
    objects = _objects(payload)
    digest = hashlib.sha256(payload).hexdigest()
    saved = PullState(state.expanduser())
    done = saved.pushed(url, collection, digest)
    client = _client(url, token, user, password)
    totals = {"success": 0, "failure": 0}
    failures: list[dict[str, Any]] = []
    try:
        for sent, status in client.push(collection, objects[done:], batch=batch):
            totals["success"] += int(status.get("success_count", 0))
            totals["failure"] += int(status.get("failure_count", 0))
            failures += status.get("failures", [])
            saved.save(url, collection, pushed={digest: done + sent})
    finally:
        client.close()
    for failure in failures[:20]:
        typer.echo(f"failed: {failure.get('id')}: {failure.get('message')}", err=True)
    skipped = f", {done} already pushed" if done else ""
    typer.echo(f"{totals['success']} accepted, {totals['failure']} failed{skipped}", err=True)
    if totals["failure"]:
        raise typer.Exit(2)


def _objects(payload: bytes) -> list[dict[str, Any]]:
    try:
        found = objects_of(orjson.loads(payload))
    except orjson.JSONDecodeError:
        found = [orjson.loads(line) for line in payload.splitlines() if line.strip()]
    if found is None:
        raise InvalidInput("expected a STIX bundle, a TAXII envelope or STIX objects", field="file")
    return [obj for obj in found if isinstance(obj, dict)]


@taxii_app.command("collection-add")
@handle_errors
def collection_add(
    alias: str = typer.Argument(..., help="URL name of the collection."),
    title: str = typer.Option(..., help="Title shown to TAXII clients."),
    description: str | None = typer.Option(None, help="Description."),
    types: str | None = typer.Option(None, help="Only these STIX types (comma-separated)."),
    tlp: str | None = typer.Option(None, help="Only these TLP levels (comma-separated)."),
    communities: str | None = typer.Option(None, help="Only objects shared to these."),
) -> None:
    """Define a read-only collection filtered by type, TLP and community (hub admins)."""

    def split(text: str | None) -> list[str]:
        return [part.strip() for part in (text or "").split(",") if part.strip()]

    with open_hub() as hub, hub.db.transaction() as conn:
        created = collections.create(
            conn,
            alias=alias,
            title=title,
            description=description,
            filter={"types": split(types), "tlp": split(tlp), "communities": split(communities)},
            at=to_micros(hub.clock()),
        )
    print_json(created)


@taxii_app.command("collection-list")
@handle_errors
def collection_list() -> None:
    """List the admin-defined collections."""
    with open_hub() as hub, hub.db.read() as conn:
        for row in collections.list_defined(conn):
            print_json(row)


@taxii_app.command("collection-remove")
@handle_errors
def collection_remove(alias: str = typer.Argument(...)) -> None:
    """Remove an admin-defined collection (its objects stay in the store)."""
    with open_hub() as hub, hub.db.transaction() as conn:
        collections.remove(conn, alias)
