"""``phalanx org …`` and ``phalanx key …``: manage members straight on the store."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from phalanx.cli.common import handle_errors, open_hub, out, print_json
from phalanx.clock import parse_timestamp
from phalanx.errors import InvalidInput
from phalanx.members import service

org_app = typer.Typer(help="Manage member organisations.", no_args_is_help=True)
key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@org_app.command("create")
@handle_errors
def org_create(
    name: str,
    kind: str = typer.Option(..., help="vendor|enterprise|cert|isac|government|law_enforcement"),
    country: str = typer.Option(..., help="ISO 3166-1 alpha-2 code, e.g. DE"),
    json: bool = typer.Option(False, "--json", help="Print the created organisation as JSON."),
) -> None:
    """Create an organisation."""
    with open_hub() as hub, hub.db.transaction() as conn:
        org = service.create_org(
            conn, hub.db, name=name, kind=kind, country=country, now=hub.clock()
        )
    if json:
        print_json(service.org_json(org))
    else:
        out.print(f"created organisation {org.name} ({org.kind.value}, {org.country})")


@org_app.command("list")
@handle_errors
def org_list(json: bool = typer.Option(False, "--json", help="Print JSON lines.")) -> None:
    """List organisations."""
    with open_hub() as hub, hub.db.read() as conn:
        orgs = service.list_orgs(conn)
    if json:
        for org in orgs:
            print_json(service.org_json(org))
        return
    table = Table("name", "kind", "country", "created")
    for org in orgs:
        table.add_row(org.name, org.kind.value, org.country, org.created_at.isoformat())
    out.print(table)


@key_app.command("create")
@handle_errors
def key_create(
    org: str = typer.Option(..., help="Organisation name."),
    role: str = typer.Option(..., help="admin|analyst|contributor|reader|auditor"),
    purpose: str = typer.Option("network-defense", help="Default purpose of reads."),
    name: str | None = typer.Option(None, help="A label for the key."),
    user: str | None = typer.Option(None, help="Attach the key to this user (created if new)."),
    expires: str | None = typer.Option(None, help="Expiry, RFC 3339 (e.g. 2027-01-01T00:00:00Z)."),
    json: bool = typer.Option(False, "--json", help="Print the key, with its secret, as JSON."),
) -> None:
    """Create an API key; its secret is printed now and never again."""
    expires_at = _timestamp(expires, "expires")
    with open_hub() as hub, hub.db.transaction() as conn:
        organisation = service.get_org(conn, org)
        owner = None
        if user:
            owner = service.find_user(conn, organisation, user) or service.create_user(
                conn, hub.db, org=organisation, name=user, role=role, now=hub.clock()
            )
        key, token = service.create_key(
            conn,
            hub.db,
            org=organisation,
            role=role,
            now=hub.clock(),
            purpose=purpose,
            name=name,
            user=owner,
            expires_at=expires_at,
        )
    if json:
        print_json(service.key_json(key, token))
    else:
        out.print(f"key {key.key_id} for {key.org_name} ({key.role.value})")
        out.print(f"secret (shown once): {token}", highlight=False)


@key_app.command("revoke")
@handle_errors
def key_revoke(
    key_id: str, json: bool = typer.Option(False, "--json", help="Print the key as JSON.")
) -> None:
    """Revoke a key at once."""
    with open_hub() as hub, hub.db.transaction() as conn:
        key = service.revoke_key(conn, hub.db, key_id=key_id, now=hub.clock())
    if json:
        print_json(service.key_json(key))
    else:
        out.print(f"revoked key {key.key_id} of {key.org_name}")


@key_app.command("list")
@handle_errors
def key_list(
    org: str | None = typer.Option(None, help="Only this organisation's keys."),
    json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List keys (never their secrets)."""
    with open_hub() as hub, hub.db.read() as conn:
        keys = service.list_keys(conn, service.get_org(conn, org) if org else None)
    if json:
        for key in keys:
            print_json(service.key_json(key))
        return
    table = Table("key id", "org", "role", "purpose", "expires", "revoked", "last used")
    for key in keys:
        table.add_row(
            key.key_id,
            key.org_name,
            key.role.value,
            key.purpose,
            _show(key.expires_at),
            _show(key.revoked_at),
            _show(key.last_used_at),
        )
    out.print(table)


def _timestamp(raw: str | None, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not an RFC 3339 timestamp", field=field) from None


def _show(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")
