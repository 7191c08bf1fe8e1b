"""Organisations, keys and authentication on every engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from phalanx.errors import Conflict, InvalidInput, NotFound, Unauthorized
from phalanx.members import service
from phalanx.members.secrets import parse_token


def _org(hub, name="Acme", **kw):
    with hub.db.transaction() as conn:
        return service.create_org(
            conn,
            hub.db,
            name=name,
            kind=kw.get("kind", "vendor"),
            country=kw.get("country", "de"),
            now=hub.clock(),
        )


def _auth(hub, token):
    key_id, secret = parse_token(token)
    with hub.db.read() as conn:
        return service.authenticate(conn, key_id=key_id, secret=secret, now=hub.clock())


def test_create_and_list_orgs(hub):
    acme = _org(hub)
    assert acme.country == "DE" and acme.kind.value == "vendor"
    _org(hub, "Bravo CERT", kind="cert", country="FR")
    with hub.db.read() as conn:
        assert [o.name for o in service.list_orgs(conn)] == ["Acme", "Bravo CERT"]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kind", {"kind": "pirates"}),
        ("country", {"country": "Germany"}),
        ("country", {"country": "1A"}),
        ("name", {"name": "   "}),
        ("name", {"name": "<script>alert(1)</script>"}),
    ],
)
def test_org_validation_names_the_field(hub, field, kwargs):
    with pytest.raises(InvalidInput) as caught:
        _org(hub, **{"name": "Acme", **kwargs})
    assert caught.value.field == field


def test_duplicate_org_is_a_conflict(hub):
    _org(hub)
    with pytest.raises(Conflict):
        _org(hub)


def test_key_lifecycle(hub):
    org = _org(hub)
    with hub.db.transaction() as conn:
        key, token = service.create_key(conn, hub.db, org=org, role="reader", now=hub.clock())
    caller = _auth(hub, token)
    assert (caller.org_id, caller.role.value, caller.purpose) == (
        org.id,
        "reader",
        "network-defense",
    )
    with hub.db.transaction() as conn:
        revoked = service.revoke_key(conn, hub.db, key_id=key.key_id, now=hub.clock())
    assert revoked.revoked_at is not None
    with pytest.raises(Unauthorized):
        _auth(hub, token)


def test_expired_and_wrong_keys_get_one_answer(hub, clock):
    org = _org(hub)
    with hub.db.transaction() as conn:
        _key, token = service.create_key(
            conn,
            hub.db,
            org=org,
            role="reader",
            now=hub.clock(),
            expires_at=clock() + timedelta(hours=1),
        )
    _auth(hub, token)
    messages = set()
    clock.advance(hours=2)
    for bad in (token, token[:-1] + ("A" if token[-1] != "A" else "B"), "phx_0123456789abcdef_x"):
        with pytest.raises(Unauthorized) as caught:
            _auth(hub, bad)
        messages.add(caught.value.message)
    assert len(messages) == 1


def test_secret_is_stored_hashed(hub):
    org = _org(hub)
    with hub.db.transaction() as conn:
        _key, token = service.create_key(conn, hub.db, org=org, role="admin", now=hub.clock())
    secret = parse_token(token)[1]
    with hub.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM api_keys").all()
    assert all(
        secret not in repr(row) and secret.encode() not in repr(row).encode() for row in rows
    )


def test_unknown_role_and_purpose(hub):
    org = _org(hub)
    with hub.db.transaction() as conn, pytest.raises(InvalidInput):
        service.create_key(conn, hub.db, org=org, role="god", now=hub.clock())
    with hub.db.transaction() as conn, pytest.raises(InvalidInput):
        service.create_key(conn, hub.db, org=org, role="reader", purpose="fun", now=hub.clock())
    with hub.db.read() as conn, pytest.raises(NotFound):
        service.get_org(conn, "Nobody")
