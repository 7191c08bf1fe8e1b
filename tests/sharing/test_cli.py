"""The sharing CLI (community, agreement, policy explain) drives what the API then enforces.

The CLI opens its own hub on the test store; it is given the test's clock so agreements it
registers start at the same "now" the API reads at.
"""

from __future__ import annotations

from contextlib import contextmanager

import orjson
import pytest
from typer.testing import CliRunner

from phalanx.cli import sharing as cli_sharing
from phalanx.cli.app import app as cli_app
from phalanx.hub import Hub


@pytest.fixture
def cli(hub, clock, monkeypatch):
    @contextmanager
    def open_test_hub(settings=None):
        opened = Hub.open(hub.settings, clock=clock)
        try:
            yield opened
        finally:
            opened.close()

    monkeypatch.setattr(cli_sharing, "open_hub", open_test_hub)
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(cli_app, list(args))
        return result.exit_code, result.stdout, result.output

    return invoke


def test_community_commands_change_access_at_once(api, cli, member):
    author, friend = member("Author"), member("Friend")
    member("Other")
    code, stdout, output = cli("community", "create", "alliance", "--member", "Author", "--json")
    assert code == 0, output
    assert orjson.loads(stdout)["members"] == ["Author"]
    api.contribute(author, ["cli-green.example"], tlp="green", communities=["alliance"])
    target = [("domain", "cli-green.example")]
    assert api.sees(friend, target) == set()
    code, stdout, output = cli("community", "add-member", "alliance", "Friend", "--json")
    assert code == 0, output
    assert orjson.loads(stdout)["members"] == ["Author", "Friend"]
    assert api.sees(friend, target) == {"cli-green.example"}
    code, stdout, output = cli("community", "remove-member", "alliance", "Friend", "--json")
    assert code == 0, output
    assert api.sees(friend, target) == set()
    code, _stdout, output = cli("community", "remove-member", "alliance", "Friend")
    assert code == 3 and "Friend" in output
    code, stdout, _ = cli("community", "list", "--json")
    assert [orjson.loads(line)["name"] for line in stdout.splitlines()] == ["alliance"]


def test_agreement_commands_register_and_revoke(api, cli, member):
    vendor = member("Vendor")
    police = member("Police", kind="law_enforcement", purpose="law-enforcement")
    code, stdout, output = cli(
        "agreement", "create",
        "--parties", "Vendor,Police",
        "--kinds", "ip,domain,url",
        "--labels", "c2,compromised-site",
        "--purposes", "law-enforcement",
        "--jurisdictions", "de",
        "--retention-days", "180",
        "--no-onward",
        "--no-personal-data",
        "--json",
    )  # fmt: skip
    assert code == 0, output
    agreement = orjson.loads(stdout)
    assert agreement["parties"] == ["Police", "Vendor"]
    assert agreement["labels"] == ["c2", "compromised-site"]
    assert agreement["jurisdictions"] == ["DE"] and agreement["retention_days"] == 180
    assert agreement["onward"] is False and agreement["personal_data"] is False
    api.contribute(vendor, ["cli-c2.example"], agreement=agreement["id"], labels=["c2"])
    target = [("domain", "cli-c2.example")]
    assert api.sees(police, target) == {"cli-c2.example"}

    (report_id,) = api.report_ids(vendor, "cli-c2.example", "domain")
    code, stdout, output = cli(
        "policy", "explain", "--org", "Police", "--report", str(report_id),
        "--purpose", "law-enforcement",
    )  # fmt: skip
    assert code == 0, output
    assert orjson.loads(stdout)["rule"] == "agreement"

    code, stdout, output = cli("agreement", "revoke", str(agreement["id"]), "--json")
    assert code == 0, output
    assert orjson.loads(stdout)["revoked_at"]
    assert api.sees(police, target) == set()
    code, stdout, _ = cli("agreement", "list", "--json")
    assert orjson.loads(stdout.splitlines()[0])["revoked_at"]


def test_agreement_create_names_the_bad_option(cli, member):
    member("Vendor")
    member("Police")
    code, _stdout, output = cli(
        "agreement", "create", "--parties", "Vendor,Police", "--purposes", "fun"
    )
    assert code == 2 and "purposes" in output
    code, _stdout, output = cli(
        "agreement", "create", "--parties", "Vendor,Police", "--purposes", "research",
        "--valid-from", "2027-01-02T00:00:00Z", "--valid-until", "2027-01-01T00:00:00Z",
    )  # fmt: skip
    assert code == 2 and "valid_until" in output
