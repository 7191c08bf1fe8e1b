"""The command tree."""

from __future__ import annotations

import typer

from phalanx.cli import admin, channels, feeds, match, members, sharing, submit, taxii, withdraw
from phalanx.misp.cli import misp_app

app = typer.Typer(
    name="phalanx",
    help="Phalanx: a collective-defense threat-intelligence exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(members.org_app, name="org")
app.add_typer(members.key_app, name="key")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.audit_app, name="audit")
app.add_typer(sharing.community_app, name="community")
app.add_typer(sharing.agreement_app, name="agreement")
app.add_typer(sharing.retention_app, name="retention")
app.add_typer(sharing.policy_app, name="policy")
app.add_typer(taxii.taxii_app, name="taxii")
app.add_typer(misp_app, name="misp")
app.add_typer(feeds.feed_app, name="feed")
app.add_typer(feeds.standing_app, name="standing")
app.add_typer(channels.channel_app, name="channel")
app.add_typer(channels.key_app, name="deploy-key")
app.add_typer(channels.receipt_app, name="receipt")
app.command("compliance")(channels.compliance)
app.command("submit")(submit.submit)
app.command("withdraw")(withdraw.withdraw)
app.command("match")(match.match)
app.command("normalize")(admin.normalize_values)
app.command("serve")(admin.serve)
app.command("export")(admin.export)
app.command("demo")(admin.demo)


def main() -> None:
    """Entry point of the ``phalanx`` console script."""
    app()
