"""The demo hub: eight organisations, their keys and ~50,000 synthetic reports.

Values are generated, not real: random public-looking addresses, made-up domains under
common TLDs, random hashes. The keys' secrets are kept in ``demo-keys.json`` next to the
database so a second ``make demo`` can print them again; a real hub never stores secrets.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phalanx.hub import Hub
from phalanx.ingest.pipeline import Request, contribute
from phalanx.members import service
from phalanx.members.service import authenticate
from phalanx.settings import Settings

ORGS = (
    ("Aegis Security", "vendor", "US", "analyst"),
    ("Bastion Labs", "vendor", "DE", "contributor"),
    ("Cobalt Shield", "vendor", "JP", "contributor"),
    ("Danube Bank", "enterprise", "AT", "reader"),
    ("CERT-Nordia", "cert", "FI", "analyst"),
    ("FinSec ISAC", "isac", "GB", "analyst"),
    ("Ministry of Digital Affairs", "government", "SG", "reader"),
    ("Europol EC3", "law_enforcement", "NL", "analyst"),
)
ADMIN_ORG = ("Phalanx Hub Operator", "isac", "BE", "admin")
TLDS = ("com", "net", "org", "info", "biz", "ru", "top", "xyz", "online", "site", "io", "cn")
WORDS = ("secure", "login", "update", "cdn", "mail", "account", "verify", "cloud", "pay", "docs")
LABELS = ("c2", "phishing", "compromised-site", "payload", "scanner", "botnet")
FAMILIES = ("emotet", "qakbot", "icedid", "cobaltstrike", "lumma", "redline", "asyncrat")
TECHNIQUES = ("T1071", "T1566.001", "T1059.001", "T1105", "T1486", "T1190")
TLPS = (("clear", 20), ("green", 40), ("amber", 30), ("red", 10))


@dataclass(frozen=True, slots=True)
class DemoKey:
    """A demo API key as printed."""

    org: str
    kind: str
    country: str
    role: str
    token: str


@dataclass(frozen=True, slots=True)
class Demo:
    """What ``prepare_demo`` made."""

    keys: list[DemoKey]
    reports: int
    sample: dict[str, str]

    def examples(self, base: str, token: str) -> list[str]:
        """Three curl commands that work against the demo hub."""
        auth = f'-H "Authorization: Bearer {token}"'
        sample = f"{self.sample['type']}/{self.sample['value']}"
        return [
            f'curl -s {auth} "{base}/api/v1/observables?limit=3"',
            f'curl -s {auth} "{base}/api/v1/observables/{sample}"',
            f"curl -s {auth} -H 'Content-Type: text/plain' --data-binary "
            f"$'hxxp://login-verify[.]example/x\\n203.0.113.77' "
            f'"{base}/api/v1/contributions?tlp=green&labels=phishing"',
        ]


def prepare_demo(database: Path, *, reports: int = 50_000, seed: int = 7) -> Demo:
    """Create the demo database on first use, or reuse it; return its keys and a sample."""
    database.parent.mkdir(parents=True, exist_ok=True)
    keys_file = database.with_name("demo-keys.json")
    settings = Settings.from_env().with_(database_url=f"sqlite:///{database.resolve()}")
    hub = Hub.open(settings)
    try:
        if keys_file.is_file():
            return _reuse(hub, keys_file)
        return _create(hub, keys_file, reports, random.Random(seed))
    finally:
        hub.close()


def _create(hub: Hub, keys_file: Path, count: int, rng: random.Random) -> Demo:
    keys: list[DemoKey] = []
    with hub.db.transaction() as conn:
        for name, kind, country, role in (*ORGS, ADMIN_ORG):
            org = service.find_org(conn, name) or service.create_org(
                conn, hub.db, name=name, kind=kind, country=country, now=hub.clock()
            )
            _key, token = service.create_key(
                conn, hub.db, org=org, role=role, now=hub.clock(), name="demo"
            )
            keys.append(DemoKey(name, kind, country, role, token))
    names = [org[0] for org in ORGS]
    per_org = max(count // len(ORGS), 1)
    for entry in keys[: len(ORGS)]:
        with hub.db.transaction() as conn:
            caller = _principal(hub, conn, entry.token)
            items = list(_items(rng, per_org, [n for n in names if n != entry.org]))
            request = Request(records=items, defaults={}, format="json")
            contribute(hub, conn, principal=caller, request=request)
    keys_file.write_text(json.dumps([vars_of(k) for k in keys], indent=2))
    os.chmod(keys_file, 0o600)
    return _reuse(hub, keys_file)


def _reuse(hub: Hub, keys_file: Path) -> Demo:
    keys = [DemoKey(**entry) for entry in json.loads(keys_file.read_text())]
    from sqlalchemy import func, select

    from phalanx.store.tables import observables, reports

    with hub.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        row = conn.execute(
            select(observables.c.type, observables.c.value)
            .join(reports, reports.c.observable_id == observables.c.id)
            .where(reports.c.tlp == "green", observables.c.type == "ipv4")
            .limit(1)
        ).first()
    sample = {"type": "ipv4", "value": row.value if row else "203.0.113.77"}
    return Demo(keys=keys, reports=int(total), sample=sample)


def _principal(hub: Hub, conn: Any, token: str) -> Any:
    from phalanx.members.secrets import parse_token

    parsed = parse_token(token)
    assert parsed is not None
    return authenticate(conn, key_id=parsed[0], secret=parsed[1], now=hub.clock())


def _items(rng: random.Random, count: int, others: list[str]) -> Iterator[dict[str, Any]]:
    weights = [w for _, w in TLPS]
    for _ in range(count):
        tlp = rng.choices([t for t, _ in TLPS], weights)[0]
        item: dict[str, Any] = {"value": _value(rng), "tlp": tlp, "labels": _labels(rng)}
        item["confidence"] = rng.choice((15, 50, 70, 85, 95))
        if tlp in ("amber", "red"):
            item["share_with"] = rng.sample(others, rng.randint(1, 3))
        if rng.random() < 0.05:
            item["anonymous"] = True
        yield item


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return _public_ipv4(rng)
    if roll < 0.60:
        return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{rng.randint(1, 99999)}.{rng.choice(TLDS)}"
    if roll < 0.80:
        return f"{rng.getrandbits(256):064x}"
    if roll < 0.95:
        host = f"{rng.choice(WORDS)}{rng.randint(1, 99999)}.{rng.choice(TLDS)}"
        return f"http://{host}/{rng.choice(WORDS)}/{rng.randint(1, 9999)}.php"
    return f"{rng.getrandbits(128):032x}"


def _public_ipv4(rng: random.Random) -> str:
    while True:
        first = rng.randint(1, 223)
        if first not in (10, 100, 127, 169, 172, 192, 198, 203):
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _labels(rng: random.Random) -> list[str]:
    labels = [rng.choice(LABELS)]
    if rng.random() < 0.5:
        labels.append(f"malware:{rng.choice(FAMILIES)}")
    if rng.random() < 0.3:
        labels.append(f"attack:{rng.choice(TECHNIQUES)}")
    return labels


def vars_of(key: DemoKey) -> dict[str, str]:
    """Return a demo key as a plain mapping."""
    return {
        "org": key.org,
        "kind": key.kind,
        "country": key.country,
        "role": key.role,
        "token": key.token,
    }
