"""``phalanx community …``, ``agreement …``, ``retention run`` and ``policy explain``."""

from __future__ import annotations

import typer
from rich.table import Table

from phalanx.cli.common import handle_errors, open_hub, out, print_json
from phalanx.cli.members import _timestamp
from phalanx.sharing import agreements, communities, explain, retention

community_app = typer.Typer(help="Communities: named sets of organisations.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data-exchange agreements.", no_args_is_help=True)
retention_app = typer.Typer(help="Purge reports past their retention.", no_args_is_help=True)
policy_app = typer.Typer(help="Ask the policy why.", no_args_is_help=True)


def _split(values: str | None) -> list[str]:
    return [v.strip() for v in (values or "").split(",") if v.strip()]


@community_app.command("create")
@handle_errors
def community_create(
    name: str,
    member: list[str] = typer.Option([], "--member", help="A member organisation (repeat)."),
    admin: list[str] = typer.Option([], "--admin", help="A managing organisation (repeat)."),
    description: str | None = typer.Option(None, help="What the community is for."),
    json: bool = typer.Option(False, "--json", help="Print the community as JSON."),
) -> None:
    """Create a community."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = communities.create(
            conn,
            hub.db,
            name=name,
            members=member,
            admins=admin,
            description=description,
            now=hub.clock(),
        )
    _show_community(found, json)


@community_app.command("add-member")
@handle_errors
def community_add(
    name: str,
    org: str,
    admin: bool = typer.Option(False, "--admin", help="Let the organisation manage members."),
    json: bool = typer.Option(False, "--json", help="Print the community as JSON."),
) -> None:
    """Add an organisation to a community (past reports included, at once)."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = communities.add_member(
            conn, hub.db, community=name, org=org, admin=admin, now=hub.clock()
        )
    _show_community(found, json)


@community_app.command("remove-member")
@handle_errors
def community_remove(
    name: str, org: str, json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Remove an organisation from a community; its access ends at once."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = communities.remove_member(conn, hub.db, community=name, org=org, now=hub.clock())
    _show_community(found, json)


@community_app.command("list")
@handle_errors
def community_list(json: bool = typer.Option(False, "--json", help="Print JSON lines.")) -> None:
    """List communities and their members."""
    with open_hub() as hub, hub.db.read() as conn:
        found = communities.list_all(conn)
    if json:
        for community in found:
            print_json(community.to_json())
        return
    table = Table("community", "members", "admins")
    for community in found:
        table.add_row(community.name, ", ".join(community.members), ", ".join(community.admins))
    out.print(table)


def _show_community(found: communities.Community, json: bool) -> None:
    if json:
        print_json(found.to_json())
    else:
        out.print(f"community {found.name}: {', '.join(found.members) or 'no members'}")


@agreement_app.command("create")
@handle_errors
def agreement_create(
    parties: str = typer.Option(..., help="Comma-separated organisation names."),
    purposes: str = typer.Option(
        ..., help="network-defense,law-enforcement,research,victim-notification"
    ),
    kinds: str | None = typer.Option(
        None, help="Allowed observable kinds (or families ip, hash, rule)."
    ),
    labels: str | None = typer.Option(None, help="Allowed labels, e.g. c2,compromised-site."),
    jurisdictions: str | None = typer.Option(
        None, help="Countries allowed to receive, e.g. DE,FR."
    ),
    retention_days: int | None = typer.Option(None, help="Purge reports older than this."),
    onward: bool = typer.Option(False, "--onward/--no-onward", help="May recipients re-share?"),
    personal_data: bool = typer.Option(
        False, "--personal-data/--no-personal-data", help="May personal data pass (no redaction)?"
    ),
    own_victims_only: bool = typer.Option(
        False,
        "--own-victims-only",
        help="Recipients see only reports about victims in their country.",
    ),
    valid_from: str | None = typer.Option(None, help="Start, RFC 3339 (default: now)."),
    valid_until: str | None = typer.Option(None, help="End, RFC 3339 (default: open-ended)."),
    name: str | None = typer.Option(None, help="A name for the agreement."),
    json: bool = typer.Option(False, "--json", help="Print the agreement as JSON."),
) -> None:
    """Register a data-exchange agreement as a machine-enforced policy object."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = agreements.create(
            conn,
            hub.db,
            parties=_split(parties),
            purposes=_split(purposes),
            now=hub.clock(),
            name=name,
            kinds=_split(kinds),
            labels=_split(labels),
            jurisdictions=_split(jurisdictions),
            own_victims_only=own_victims_only,
            personal_data=personal_data,
            retention_days=retention_days,
            onward=onward,
            valid_from=_timestamp(valid_from, "valid_from"),
            valid_until=_timestamp(valid_until, "valid_until"),
        )
        data = agreements.to_json(conn, found)
    if json:
        print_json(data)
    else:
        out.print(f"agreement {data['id']} between {', '.join(data['parties'])}")


@agreement_app.command("revoke")
@handle_errors
def agreement_revoke(
    agreement_id: int, json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Revoke an agreement; its reports vanish for the other parties at once."""
    with open_hub() as hub, hub.db.transaction() as conn:
        found = agreements.revoke(conn, hub.db, agreement_id=agreement_id, now=hub.clock())
        data = agreements.to_json(conn, found)
    if json:
        print_json(data)
    else:
        out.print(f"agreement {agreement_id} revoked")


@agreement_app.command("list")
@handle_errors
def agreement_list(json: bool = typer.Option(False, "--json", help="Print JSON lines.")) -> None:
    """List agreements."""
    with open_hub() as hub, hub.db.read() as conn:
        rows = [agreements.to_json(conn, a) for a in agreements.list_all(conn)]
    if json:
        for row in rows:
            print_json(row)
        return
    table = Table(
        "id", "parties", "kinds", "labels", "purposes", "retention", "onward", "valid until"
    )
    for row in rows:
        table.add_row(
            str(row["id"]),
            ", ".join(row["parties"]),
            ", ".join(row["kinds"]) or "any",
            ", ".join(row["labels"]) or "any",
            ", ".join(row["purposes"]),
            str(row["retention_days"] or ""),
            "yes" if row["onward"] else "no",
            "revoked" if row["revoked_at"] else (row["valid_until"] or ""),
        )
    out.print(table)


@retention_app.command("run")
@handle_errors
def retention_run(
    json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Purge reports past their agreement's retention; the purge is audited."""
    with open_hub() as hub, hub.db.transaction() as conn:
        summary = retention.run(conn, hub.db, now=hub.clock())
    if json:
        print_json(summary)
    else:
        out.print(f"purged {summary['total']} reports and {summary['observables']} observables")


@policy_app.command("explain")
@handle_errors
def policy_explain(
    org: str = typer.Option(..., help="The organisation asking."),
    report: int = typer.Option(..., help="The report id."),
    purpose: str | None = typer.Option(None, help="The purpose of the read."),
) -> None:
    """Say why an organisation can or cannot see a report."""
    with open_hub() as hub, hub.db.read() as conn:
        print_json(explain.explain(hub, conn, org=org, report_id=report, purpose=purpose))
