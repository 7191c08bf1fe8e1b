"""Scenario (c): national CERTs receive only reports about victims in their own country.

One victim-notification agreement between a vendor and three national CERTs, limited to
victims in the recipient's own country (``own_victims_only``): each CERT sees the reports
whose ``victim_country`` is its country, nothing about other countries' victims and nothing
without a victim country.
"""

from __future__ import annotations

import pytest

REPORTS = {
    "DE": ("ipv4", "192.0.2.10"),
    "FR": ("ipv4", "192.0.2.20"),
    "NL": ("domain", "victim-nl.example"),
    None: ("ipv4", "192.0.2.99"),
}
ALL = list(REPORTS.values())


@pytest.fixture
def certs(api, member):
    vendor = member("Vendor", country="US")
    cert_de = member("CERT-Bund", kind="cert", country="DE", purpose="victim-notification")
    cert_fr = member("CERT-FR", kind="cert", country="FR", purpose="victim-notification")
    cert_it = member("CSIRT Italia", kind="cert", country="IT", purpose="victim-notification")
    agreement = api.agreement(
        ["Vendor", "CERT-Bund", "CERT-FR", "CSIRT Italia"],
        ["victim-notification"],
        name="national-certs",
        own_victims_only=True,
    )
    for country, (_kind, value) in REPORTS.items():
        api.contribute(vendor, [value], agreement=agreement, victim_country=country, tlp="amber")
    return vendor, cert_de, cert_fr, cert_it, agreement


def test_each_cert_sees_its_own_constituency_only(api, certs):
    vendor, cert_de, cert_fr, cert_it, _agreement = certs
    assert api.sees(cert_de, ALL) == {REPORTS["DE"][1]}
    assert api.sees(cert_fr, ALL) == {REPORTS["FR"][1]}
    assert api.sees(cert_it, ALL) == set()
    assert api.sees(vendor, ALL) == {value for _kind, value in ALL}


def test_victim_country_is_case_insensitive_on_input(api, certs):
    vendor, cert_de, _cert_fr, _cert_it, agreement = certs
    api.contribute(vendor, ["192.0.2.11"], agreement=agreement, victim_country=" de ")
    assert api.sees(cert_de, [("ipv4", "192.0.2.11")]) == {"192.0.2.11"}


def test_jurisdictions_limit_which_parties_receive(api, member):
    vendor = member("Vendor", country="US")
    member("CERT-Bund", kind="cert", country="DE", purpose="victim-notification")
    cert_fr = member("CERT-FR", kind="cert", country="FR", purpose="victim-notification")
    cert_de = member("CERT-Bund", purpose="victim-notification")
    agreement = api.agreement(
        ["Vendor", "CERT-Bund", "CERT-FR"], ["victim-notification"], jurisdictions=["de"]
    )
    api.contribute(vendor, ["192.0.2.30"], agreement=agreement)
    assert api.sees(cert_de, [("ipv4", "192.0.2.30")]) == {"192.0.2.30"}
    assert api.sees(cert_fr, [("ipv4", "192.0.2.30")]) == set()


def test_explain_names_the_victim_country_rule(api, certs):
    vendor, *_ = certs
    (report_id,) = api.report_ids(vendor, REPORTS["FR"][1], "ipv4")
    denied = api.explain("CERT-Bund", report_id, purpose="victim-notification").json()
    assert denied["allowed"] is False and denied["rule"] == "victim-country"
    allowed = api.explain("CERT-FR", report_id, purpose="victim-notification").json()
    assert allowed["allowed"] is True and allowed["rule"] == "agreement"
