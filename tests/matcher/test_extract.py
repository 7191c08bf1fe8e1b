"""Free-text extraction and refanging."""

from __future__ import annotations

from phalanx.matcher.extract import extract_iocs, refang
from phalanx.observables.kinds import ObservableType as T


def test_refang_undoes_common_defanging() -> None:
    assert (
        refang("hxxps://evil[.]test/x and bad[@]evil(.)test")
        == "https://evil.test/x and bad@evil.test"
    )


def test_iocs_are_found_in_order_with_their_kind() -> None:
    text = (
        "Beacon to hxxp://c2[.]evil[.]test/gate.php, from 10.1.2.3 and 2001:db8::5; "
        "mail from bad@evil.test; dropped 5d41402abc4b2a76b9719d911017c592 "
        "via cdn.evil.test at 12:30:45."
    )
    assert extract_iocs(text) == [
        (T.URL, "http://c2.evil.test/gate.php"),
        (T.IPV4, "10.1.2.3"),
        (T.IPV6, "2001:db8::5"),
        (T.EMAIL, "bad@evil.test"),
        (None, "5d41402abc4b2a76b9719d911017c592"),
        (T.DOMAIN, "cdn.evil.test"),
        (T.IPV6, "12:30:45"),  # a candidate only: the matcher drops it as not an address
    ]
