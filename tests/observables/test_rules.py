"""Rule bodies: YARA, Suricata, Sigma, STIX patterns are checked, kept verbatim, not refanged."""

from __future__ import annotations

import pytest
from suricataparser import parse_rules

from phalanx.observables import InvalidObservable, ObservableType, detect_type, normalize

T = ObservableType

YARA_RULE = """import "hash"
rule phx_sha256_block
{
  meta:
    source = "Phalanx"
  strings:
    $a = "evil[.]example" ascii wide nocase
  condition:
    hash.sha256(0, filesize) == "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"
    or $a
}"""
SURICATA_RULES = """# Phalanx test rules
alert dns $HOME_NET any -> any any (msg:"evil[.]example lookup"; dns.query; \\
  content:"evil.example"; nocase; sid:1000001; rev:2;)

alert http [198.51.100.0/24,!198.51.100.7] any -> $EXTERNAL_NET [80,8080:8090] \
(msg:"hxxp beacon; with escaped \\; semicolon"; flow:established,to_server; http.uri; \
content:"/gate.php"; sid:1000002; rev:1;)
drop tcp any any <> 203.0.113.0/24 !22 (msg:"block"; sid:1000003;)"""
SIGMA_RULE = """title: Suspicious evil[.]example lookup
id: 5f1c7f1e-6a43-4d7a-8d0b-9c0c3a1d2e4f
logsource:
  category: dns
detection:
  selection:
    query|endswith: '.evil.example'
  condition: selection
level: high"""
STIX_PATTERN = "[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '198.51.100.7']"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (YARA_RULE, T.YARA),
        (SURICATA_RULES, T.SURICATA),
        (SIGMA_RULE, T.SIGMA),
        (STIX_PATTERN, T.STIX_PATTERN),
    ],
)
def test_rules_are_detected_checked_and_kept_verbatim(body: str, kind: ObservableType) -> None:
    assert detect_type(body) is kind
    crlf = "\r\n  " + body.replace("\n", "\r\n") + "\r\n\r\n"
    for given in (kind, None):
        obs = normalize(crlf, given)
        assert obs.type is kind
        assert obs.value == body  # not refanged: "[.]" and "hxxp" survive


def test_suricata_rules_that_we_accept_parse_with_suricataparser() -> None:
    joined = SURICATA_RULES.replace("\\\n", "")
    parsed = parse_rules(joined)
    assert [rule.sid for rule in parsed] == [1000001, 1000002, 1000003]


@pytest.mark.parametrize(
    ("body", "kind", "fragment"),
    [
        ("rule x { condition: }", T.YARA, "YARA does not compile: line 1: syntax error"),
        ('include "/etc/passwd"\nrule x { condition: true }', T.YARA, "includes are disabled"),
        ('rule x { strings: $a = "x" condition: $b }', T.YARA, 'undefined string "$b"'),
        ("/* nothing */", T.YARA, "declares no rule"),
        ("", T.YARA, "yara rule is empty"),
        ("rule x {\x00 condition: true }", T.YARA, "NUL character"),
        ("[ipv4-addr:value = ", T.STIX_PATTERN, "STIX 2.1 pattern is invalid"),
        ("[ipv4-addr:value = '1.2.3.4'", T.STIX_PATTERN, "STIX 2.1 pattern is invalid"),
        ("ipv4-addr:value = '1.2.3.4'", T.STIX_PATTERN, "STIX 2.1 pattern is invalid"),
        ('alert tcp any any -> any any (msg:"x";)', T.SURICATA, "needs exactly one 'sid'"),
        ("alert tcp any any -> any any (sid:1; sid:2;)", T.SURICATA, "more than one 'sid'"),
        ('alert tcp any any -> any any (msg:"x"; sid:abc;)', T.SURICATA, "sid must be"),
        ("alert tcp any any -> any any (sid:0;)", T.SURICATA, "sid must be at least 1"),
        ("shout tcp any any -> any any (sid:1;)", T.SURICATA, "unknown action 'shout'"),
        ("alert foo any any -> any any (sid:1;)", T.SURICATA, "unknown protocol 'foo'"),
        ("alert tcp any any >> any any (sid:1;)", T.SURICATA, "direction must be '->'"),
        ("alert tcp any any -> any (sid:1;)", T.SURICATA, "got 6 part(s)"),
        ("alert tcp 999.1.1.1 any -> any any (sid:1;)", T.SURICATA, "address '999.1.1.1'"),
        ("alert tcp [1.1.1.1 any -> any any (sid:1;)", T.SURICATA, "unbalanced brackets"),
        ("alert tcp any 70000 -> any any (sid:1;)", T.SURICATA, "port '70000'"),
        ('alert tcp any any -> any any (msg:"open; sid:1;)', T.SURICATA, "is not closed"),
        ('alert tcp any any -> any any (msg:"x"; sid:1)', T.SURICATA, "not terminated by ';'"),
        ("alert tcp any any -> any any (msg:x; sid:1;)", T.SURICATA, "msg needs a quoted string"),
        ("alert tcp any any -> any any (content:abc; sid:1;)", T.SURICATA, "content needs"),
        ("alert tcp any any -> any any sid:1;", T.SURICATA, "options in parentheses"),
        ("# only a comment\n\n", T.SURICATA, "no Suricata rule found"),
        (
            "alert tcp any any -> any any (sid:5;)\nalert udp any any -> any any (sid:5;)",
            T.SURICATA,
            "Suricata rule 2: sid 5 is used twice",
        ),
        ("title: x\ndetection: [", T.SIGMA, "Sigma rule is not valid YAML"),
        ("- a\n- b", T.SIGMA, "a Sigma rule is a YAML mapping"),
        ("logsource: {product: windows}\ndetection: {a: b, condition: a}", T.SIGMA, "'title'"),
        ("title: t\ndetection: {a: b, condition: a}", T.SIGMA, "needs a 'logsource' mapping"),
        ("title: t\nlogsource: {product: x}", T.SIGMA, "needs a 'detection' mapping"),
        ("title: t\nlogsource: {product: x}\ndetection: {a: b}", T.SIGMA, "needs a 'condition'"),
        ("title: t\nlogsource: {product: x}\ndetection: {condition: a}", T.SIGMA, "identifier"),
        ("title: a\n---\ntitle: b", T.SIGMA, "one YAML document, got 2"),
    ],
)
def test_bad_rules_get_the_checker_message(body: str, kind: ObservableType, fragment: str) -> None:
    with pytest.raises(InvalidObservable) as caught:
        normalize(body, kind)
    assert fragment in caught.value.reason
    assert caught.value.kind is kind
