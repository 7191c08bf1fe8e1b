"""``phalanx channel …``, ``deploy-key …``, ``receipt …`` and ``compliance``.

Channel and key commands work straight on the store, as ``org`` and ``key`` do; ``receipt
keygen`` and ``receipt sign`` are offline helpers for the member's side (no hub needed).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.table import Table

from phalanx.channels import receipts as signing
from phalanx.channels.definition import Channel
from phalanx.cli.common import handle_errors, open_hub, out, print_json
from phalanx.clock import parse_timestamp
from phalanx.deployment import channels as channel_service
from phalanx.deployment import compliance as compliance_service
from phalanx.deployment import feeds
from phalanx.deployment import receipts as receipt_service
from phalanx.errors import InvalidInput
from phalanx.store import channels as channel_store

channel_app = typer.Typer(
    help="Deployment channels: what members load into controls.", no_args_is_help=True
)
key_app = typer.Typer(help="Ed25519 keys that sign deployment receipts.", no_args_is_help=True)
receipt_app = typer.Typer(help="Make keys and sign deployment receipts.", no_args_is_help=True)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _show(channel: Channel, json: bool, verb: str) -> None:
    if json:
        print_json(channel.to_json())
    else:
        out.print(f"{verb} channel {channel.id} ({channel.format}) of {channel.org_name}")


@channel_app.command("create")
@handle_errors
def channel_create(
    org: str = typer.Option(..., help="The member organisation the channel is for."),
    format: str = typer.Option(
        ..., "--format", help="edl-ip|edl-domain|edl-url|suricata|rpz|yara|csv|stix|misp-feed"
    ),
    name: str | None = typer.Option(None, help="A name (default: '<org> <format>')."),
    kinds: str | None = typer.Option(None, help="Observable kinds or families (ip,hash,rule)."),
    labels: str | None = typer.Option(None, help="Labels, e.g. c2,malware:* (any of them)."),
    min_confidence: int | None = typer.Option(None, help="Only entries at least this sure."),
    max_tlp: str | None = typer.Option(None, help="TLP ceiling, e.g. amber."),
    include_pap_red: bool = typer.Option(False, help="Keep PAP:RED (never for block formats)."),
    include_benign: bool = typer.Option(False, help="Keep values known to be benign."),
    json: bool = typer.Option(False, "--json", help="Print the channel as JSON."),
) -> None:
    """Create a deployment channel for a member."""
    filter_json: dict[str, Any] = {
        "kinds": _split(kinds),
        "labels": _split(labels),
        "min_confidence": min_confidence,
        "max_tlp": max_tlp,
        "exclude_pap_red": not include_pap_red,
        "exclude_benign": not include_benign,
    }
    with open_hub() as hub, hub.db.transaction() as conn:
        found = channel_service.create(
            conn, hub.db, org=org, name=name, fmt=format, filter_json=filter_json, now=hub.clock()
        )
    _show(found, json, "created")


@channel_app.command("list")
@handle_errors
def channel_list(
    org: str | None = typer.Option(None, help="Only this organisation's channels."),
    json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List channels."""
    with open_hub() as hub, hub.db.read() as conn:
        found = channel_service.list_for(conn, None, org=org)
        latest = {c.id: channel_store.latest_version(conn, c.id) for c in found}
    if json:
        for channel in found:
            version = latest[channel.id]
            print_json({**channel.to_json(), "version": version.version if version else None})
        return
    table = Table("id", "org", "name", "format", "version")
    for channel in found:
        version = latest[channel.id]
        table.add_row(
            str(channel.id),
            channel.org_name,
            channel.name,
            channel.format,
            str(version.version) if version else "-",
        )
    out.print(table)


@channel_app.command("delete")
@handle_errors
def channel_delete(
    channel_id: int, json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Retire a channel (its versions and receipts stay for compliance)."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = channel_service.delete(conn, hub.db, channel_id, now=hub.clock())
    _show(found, json, "deleted")


@channel_app.command("refresh")
@handle_errors
def channel_refresh(
    channel_id: int | None = typer.Argument(None, help="One channel (default: all)."),
    json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Recompute channels now (run from cron so versions advance without fetches)."""
    with open_hub() as hub:
        with hub.db.read() as conn:
            if channel_id is None:
                targets = channel_store.list_(conn)
            else:
                targets = [channel_store.get(conn, channel_id)]
        for channel in targets:
            version = feeds.current(hub, channel, force=True).version
            document = {"id": channel.id, "version": version.version, "items": version.item_count}
            if json:
                print_json(document)
            else:
                out.print(f"channel {channel.id}: version {version.version}")


@key_app.command("add")
@handle_errors
def key_add(
    public_key: Path = typer.Argument(..., help="PEM file (or a file holding base64/hex)."),
    org: str = typer.Option(..., help="The organisation the key signs for."),
    name: str | None = typer.Option(None, help="A label, e.g. the control fleet."),
    json: bool = typer.Option(False, "--json", help="Print the key as JSON."),
) -> None:
    """Register a member's Ed25519 public key."""
    text = public_key.read_text()
    with open_hub() as hub, hub.db.transaction() as conn:
        key = receipt_service.register_key(
            conn, hub.db, org=org, public_key=text, name=name, now=hub.clock()
        )
    if json:
        print_json(key.to_json())
    else:
        out.print(f"registered deployment key {key.fingerprint} for {org}")


@key_app.command("list")
@handle_errors
def key_list(json: bool = typer.Option(False, "--json", help="Print JSON lines.")) -> None:
    """List deployment keys."""
    with open_hub() as hub, hub.db.read() as conn:
        keys = receipt_service.list_keys(conn, None)
    for key in keys:
        if json:
            print_json({**key.to_json(), "org_id": key.org_id})
        else:
            out.print(f"{key.fingerprint} org {key.org_id} {'revoked' if key.revoked_at else ''}")


@key_app.command("revoke")
@handle_errors
def key_revoke(
    key_id: str, json: bool = typer.Option(False, "--json", help="Print the key as JSON.")
) -> None:
    """Revoke a deployment key."""
    with open_hub() as hub, hub.db.transaction() as conn:
        key = receipt_service.revoke_key(conn, hub.db, key_id, now=hub.clock(), caller=None)
    if json:
        print_json(key.to_json())
    else:
        out.print(f"revoked deployment key {key.fingerprint}")


@receipt_app.command("keygen")
@handle_errors
def receipt_keygen(
    out_file: Path = typer.Option(..., "--out", help="Where to write the private key (PEM)."),
) -> None:
    """Make an Ed25519 key pair: the private key to a file, the public PEM on stdout."""
    if out_file.exists():
        raise InvalidInput(f"{out_file} exists; refusing to overwrite a key", field="out")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    out_file.touch(mode=0o600)
    out_file.write_bytes(pem)
    typer.echo(signing.public_pem(private), nl=False)


@receipt_app.command("sign")
@handle_errors
def receipt_sign(
    key: Path = typer.Option(..., help="The private key (PEM) registered as a deployment key."),
    channel: int = typer.Option(..., help="Channel id."),
    version: int = typer.Option(..., help="The version loaded (X-Phalanx-Channel-Version)."),
    digest: str = typer.Option(..., help="Its digest (X-Phalanx-Content-Digest)."),
    deployed_at: str = typer.Option(..., help="When it was loaded, RFC 3339."),
    control: str = typer.Option(..., help="The control it was loaded into, e.g. fw-01."),
) -> None:
    """Print the JSON body of a signed receipt, ready to POST to /channels/{id}/receipts."""
    private = signing.load_private_key(key.read_bytes())
    claim = signing.parse_claim(
        channel_id=channel,
        version=version,
        digest=digest,
        deployed_at=deployed_at,
        control=control,
    )
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    print_json(
        {
            "version": claim.version,
            "digest": claim.digest,
            "deployed_at": deployed_at,
            "control": claim.control,
            "key_id": signing.fingerprint(raw),
            "signature": signing.sign(private, claim),
        }
    )


@handle_errors
def compliance(
    csv: bool = typer.Option(False, "--csv", help="Print CSV instead of JSON."),
    since: str | None = typer.Option(None, help="Window start, RFC 3339 (default: 7 days ago)."),
    until: str | None = typer.Option(None, help="Window end, RFC 3339 (default: now)."),
    sla_hours: float | None = typer.Option(None, help="SLA in hours (default: configured)."),
) -> None:
    """Print the alliance compliance table."""
    with open_hub() as hub:
        now = hub.clock()
        end = parse_timestamp(until) if until else now
        start = parse_timestamp(since) if since else end - timedelta(days=7)
        policy = compliance_service.policy_from(hub.settings, sla_hours=sla_hours)
        with hub.db.read() as conn:
            document = compliance_service.table(
                conn, policy=policy, start=start, end=end, now=now, caller=None
            )
    if csv:
        typer.echo(compliance_service.to_csv(document), nl=False)
    else:
        print_json(document)
