"""``phalanx withdraw TYPE VALUE``: withdraw your organisation's reports of a value on a hub."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import typer

from phalanx.cli import client as hub_client
from phalanx.cli.common import handle_errors, out, print_json
from phalanx.errors import UpstreamError


@handle_errors
def withdraw(
    kind: str = typer.Argument(..., metavar="TYPE", help="ipv4, domain, url, sha256, ..."),
    value: str = typer.Argument(..., help="The value, as contributed (defanged is fine)."),
    url: str | None = typer.Option(None, help="Hub URL (default: PHALANX_URL)."),
    api_key: str | None = typer.Option(None, help="API key (default: PHALANX_API_KEY)."),
    json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Withdraw your organisation's reports of a value: no feed or export serves them again."""
    # Quoted whole: a URL value's '?' and '#' must not end the path.
    path = f"/api/v1/observables/{quote(kind, safe='')}/{quote(value, safe='')}"
    with hub_client.from_env(url, api_key) as client:
        try:
            # Not retried: a second attempt after an unseen success would answer 404.
            response = client.delete(path)
        except httpx.TransportError as error:
            raise UpstreamError(f"cannot reach {client.base_url}: {error}") from None
        hub_client.check(response)
    if json:
        print_json({"type": kind, "value": value, "withdrawn": True})
    else:
        out.print(f"withdrawn: your organisation's reports of {kind} {value}", highlight=False)
