"""Redaction at ingest, through the API: personal data never reaches storage unless agreed.

The contributor's internal names come from ``PUT /organisations/{name}/redaction``; personal
names from the hub's ``redaction_names`` setting. Every accepted item says what was redacted
in its comment; an agreement that allows personal data keeps the comment as written. (The
acceptance corpus of snippets lives in tests/redaction/corpus.toml and is run there.)
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from phalanx.store.tables import reports

COMMENT = (
    "Reported by Erika Mustermann (erika.mustermann@victim.example, +49 30 1234567); "
    "ransom paid from DE89 3704 0044 0532 0130 00; beacon from ws-fin-042.corp.acme.example"
)
REDACTED = (
    "Reported by [REDACTED:name] ([REDACTED:email], [REDACTED:phone]); "
    "ransom paid from [REDACTED:iban]; beacon from [REDACTED:internal_host]"
)
SECRETS = (
    "Erika Mustermann",
    "erika.mustermann@victim.example",
    "+49 30 1234567",
    "DE89 3704 0044 0532 0130 00",
    "ws-fin-042.corp.acme.example",
)


@pytest.fixture
def acme(api, member, hub):
    hub.settings = hub.settings.with_(redaction_names=("Erika Mustermann",))
    acme = member("Acme")
    response = api.client.put(
        "/api/v1/organisations/Acme/redaction",
        json={"internal_domains": ["corp.acme.example"], "internal_host_prefixes": ["WS-"]},
        headers=api.admin.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["internal_domains"] == ["corp.acme.example"]
    return acme


def _stored_comments(hub):
    with hub.db.read() as conn:
        return [c for c in conn.execute(select(reports.c.comment)).scalars() if c]


def test_personal_data_is_redacted_in_storage_and_reported_per_item(api, acme, hub, member):
    friend = member("Friend")
    outcome = api.contribute(
        acme,
        [
            {"value": "198.51.100.90", "comment": COMMENT},
            {"value": "198.51.100.91", "comment": "C2 of the loader; no victim data here."},
            "198.51.100.92",
        ],
        tlp="green",
    )
    first, clean, bare = outcome["items"]
    kinds = [r["kind"] for r in first["redacted"]]
    assert kinds == ["name", "email", "phone", "iban", "internal_host"]
    for item, secret in zip(first["redacted"], SECRETS, strict=True):
        assert COMMENT[item["start"] : item["end"]] == secret
        assert secret not in item["note"]
    assert "redacted" not in clean and "redacted" not in bare
    assert _stored_comments(hub) == [REDACTED, "C2 of the loader; no victim data here."]
    view = api.lookup(friend, "ipv4", "198.51.100.90").json()
    assert view["reports"][0]["comment"] == REDACTED
    exported = api.client.get("/api/v1/export", params={"format": "csv"}, headers=acme.auth)
    stix = api.client.get("/api/v1/export", params={"format": "stix"}, headers=acme.auth)
    for secret in SECRETS:
        assert secret not in exported.text and secret not in stix.text


def test_redaction_applies_to_default_comments_too(api, acme, hub):
    outcome = api.contribute(acme, ["198.51.100.93", "198.51.100.94"], comment=COMMENT)
    assert all(len(item["redacted"]) == 5 for item in outcome["items"])
    assert _stored_comments(hub) == [REDACTED, REDACTED]


def test_an_agreement_allowing_personal_data_keeps_the_comment(api, acme, hub, member):
    police = member("Police", kind="law_enforcement", purpose="law-enforcement")
    allows = api.agreement(["Acme", "Police"], ["law-enforcement"], personal_data=True)
    forbids = api.agreement(["Acme", "Police"], ["law-enforcement"], personal_data=False)
    outcome = api.contribute(
        acme,
        [
            {"value": "198.51.100.95", "comment": COMMENT, "agreement": allows},
            {"value": "198.51.100.96", "comment": COMMENT, "agreement": forbids},
        ],
    )
    kept, redacted = outcome["items"]
    assert "redacted" not in kept and len(redacted["redacted"]) == 5
    assert sorted(_stored_comments(hub)) == sorted([COMMENT, REDACTED])
    view = api.lookup(police, "ipv4", "198.51.100.95").json()
    assert view["reports"][0]["comment"] == COMMENT


def test_other_organisations_internal_names_are_not_redacted(api, acme, member):
    other = member("Other")
    text = "beacon from ws-fin-042.corp.acme.example"
    outcome = api.contribute(other, [{"value": "198.51.100.97", "comment": text}])
    assert "redacted" not in outcome["items"][0]
    assert api.lookup(other, "ipv4", "198.51.100.97").json()["reports"][0]["comment"] == text


def test_redaction_settings_are_for_admins_and_validated(api, acme):
    denied = api.client.put(
        "/api/v1/organisations/Acme/redaction",
        json={"internal_domains": ["corp.acme.example"]},
        headers=acme.auth,
    )
    assert denied.status_code == 403
    bad = api.client.put(
        "/api/v1/organisations/Acme/redaction",
        json={"internal_domains": ["com"]},
        headers=api.admin.auth,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "internal_domains"


def test_the_redaction_corpus_is_as_large_as_the_issue_asks():
    corpus = Path(__file__).parents[1] / "redaction" / "corpus.toml"
    data = tomllib.loads(corpus.read_text(encoding="utf-8"))
    assert len(data["personal"]) >= 40
    assert data["clean"]
