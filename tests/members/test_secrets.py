"""Token generation, parsing and hashing."""

from __future__ import annotations

import secrets as random_source

from hypothesis import given
from hypothesis import strategies as st

from phalanx.members import secrets


def test_token_round_trip():
    token, key_id, secret = secrets.new_token(random_source.token_bytes)
    assert token.startswith("phx_")
    assert secrets.parse_token(token) == (key_id, secret)
    stored = secrets.hash_secret(secret)
    assert secrets.secret_matches(secret, stored)
    assert not secrets.secret_matches(secret + "x", stored)


@given(st.text(max_size=80))
def test_parse_token_never_raises(text):
    parsed = secrets.parse_token(text)
    assert parsed is None or (len(parsed[0]) == 16 and parsed[1])


def test_tokens_are_unique():
    tokens = {secrets.new_token(random_source.token_bytes)[0] for _ in range(200)}
    assert len(tokens) == 200
