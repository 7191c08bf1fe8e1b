"""Field maps, dotted lookups, values and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phalanx.errors import InvalidInput
from phalanx.matcher.logs.fields import lookup, parse_field_map, parse_timestamp, values_of
from phalanx.observables.kinds import ObservableType as T


def test_field_maps_parse_kinds_aliases_and_auto() -> None:
    parsed = parse_field_map(" src=ipv4, dns.rrname=domain ,msg=auto,h=hash,ip=ip,u=URL,")
    assert parsed == {
        "src": T.IPV4,
        "dns.rrname": T.DOMAIN,
        "msg": None,
        "h": None,
        "ip": T.IPV4,
        "u": T.URL,
    }


@pytest.mark.parametrize("text", ["src", "src=", "=ipv4", "src=yara", "src=banana", " , "])
def test_bad_field_maps_say_what_is_wrong(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_field_map(text)
    assert caught.value.field == "field-map"


def test_lookup_reads_flat_dotted_keys_and_nested_paths() -> None:
    record = {"id.orig_h": "10.0.0.1", "dns": {"answers": [{"rdata": "1.2.3.4"}]}}
    assert lookup(record, "id.orig_h") == "10.0.0.1"
    assert list(values_of(lookup(record, "dns.answers"))) == ["1.2.3.4"]
    assert lookup(record, "dns.missing.x") is None


def test_timestamps_from_iso_text_and_epoch_seconds() -> None:
    expected = datetime(2025, 3, 1, 10, 0, 1, 500000, tzinfo=UTC)
    assert parse_timestamp("2025-03-01T10:00:01.500000+0000") == expected
    assert parse_timestamp("2025-03-01T10:00:01.5Z") == expected
    assert parse_timestamp(1740823201.5) == expected
    assert parse_timestamp("1740823201.5") == expected
    assert parse_timestamp("yesterday") is None and parse_timestamp(True) is None
