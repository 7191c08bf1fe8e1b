"""Published sources: every format imported as TLP:CLEAR reports with first-seen times, the
CLI, and the scheduled refresh from a URL (through an httpx mock transport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from phalanx.alliance import feeds
from phalanx.cli.app import app
from phalanx.clock import from_micros
from phalanx.errors import InvalidInput, UpstreamError
from phalanx.hub import Hub
from phalanx.store.tables import observables, reports

runner = CliRunner()
EVENT_UUID = "6750f214-d7e9-58e4-bc30-9073e823d8fe"
EVENT = {
    "Event": {
        "uuid": EVENT_UUID,
        "info": "Loader campaign",
        "date": "2026-05-29",
        "Attribute": [
            {"type": "ip-dst", "value": "45.61.136.7", "to_ids": True, "timestamp": "1780091866"},
            {
                "type": "domain|ip",
                "value": "loader-cdn.example-bad.net|45.61.136.8",
                "to_ids": True,
                "first_seen": "2026-05-01T10:00:00Z",
            },
            {"type": "url", "value": "https://ref.example-news.org/a", "to_ids": False},
            {"type": "text", "value": "just a note", "to_ids": True},
        ],
        "Object": [
            {
                "name": "file",
                "Attribute": [
                    {
                        "type": "sha256",
                        "value": "a" * 64,
                        "to_ids": True,
                    }
                ],
            }
        ],
    }
}


def misp_feed(folder: Path) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({EVENT_UUID: {"info": "Loader campaign"}}))
    (folder / f"{EVENT_UUID}.json").write_text(json.dumps(EVENT))
    return folder


def stored(hub: Any, org_id: int) -> dict[str, tuple[str, datetime]]:
    with hub.db.read() as conn:
        rows = conn.execute(
            select(observables.c.value, reports.c.tlp, reports.c.valid_from)
            .join(observables, observables.c.id == reports.c.observable_id)
            .where(reports.c.org_id == org_id)
        ).all()
    return {value: (tlp, from_micros(seen)) for value, tlp, seen in rows}


def test_misp_feed_reads_ids_attributes_with_first_seen(hub: Any, tmp_path: Path) -> None:
    folder = misp_feed(tmp_path / "feed")
    with hub.db.transaction() as conn:
        source = feeds.add(hub, conn, name="CIRCL OSINT", format="misp-feed", now=hub.clock())
        result = feeds.import_read(
            hub, conn, source=source, read=feeds.read_path("misp-feed", folder), now=hub.clock()
        )
    assert result["counts"] == {"new": 3, "known": 0, "rejected": 0}
    assert result["skipped"] == 2  # a reference URL (no IDS flag) and a text note
    assert result["points"] == 0  # published sources are not scored
    event_time = datetime.fromtimestamp(1780091866, UTC)
    assert stored(hub, source.org_id) == {
        "45.61.136.7": ("clear", min(event_time, hub.clock())),
        "loader-cdn.example-bad.net": ("clear", datetime(2026, 5, 1, 10, tzinfo=UTC)),
        "a" * 64: ("clear", datetime(2026, 5, 29, tzinfo=UTC)),
    }


def test_csv_text_and_stix_sources(hub: Any, shared_data: Path) -> None:
    csv_body = b"value,first_seen,tlp,share_with\nbad-csv.example-bad.net,2026-02-03,red,X\n"
    bundle = next((shared_data / "stix" / "examples").glob("*.json"), None)
    with hub.db.transaction() as conn:
        for name, fmt in (("csv feed", "csv"), ("text feed", "text"), ("stix feed", "stix")):
            feeds.add(hub, conn, name=name, format=fmt, now=hub.clock())
        csv_source = feeds.get(conn, "csv feed")
        read = feeds.read_payload("csv", csv_body)
        feeds.import_read(hub, conn, source=csv_source, read=read, now=hub.clock())
        text_source = feeds.get(conn, "text feed")
        read = feeds.read_payload("text", b"# blocklist\n198.51.200.9\n")
        feeds.import_read(hub, conn, source=text_source, read=read, now=hub.clock())
    assert stored(hub, csv_source.org_id) == {
        "bad-csv.example-bad.net": ("clear", datetime(2026, 2, 3, tzinfo=UTC))
    }
    assert stored(hub, text_source.org_id) == {"198.51.200.9": ("clear", hub.clock())}
    if bundle is not None:
        read = feeds.read_payload("stix", bundle.read_bytes())
        assert read.records and len(read.first_seen) >= 1


def test_bad_sources_are_refused_clearly(hub: Any, tmp_path: Path) -> None:
    with hub.db.transaction() as conn:
        with pytest.raises(InvalidInput, match="field 'format': must be one of text, csv"):
            feeds.add(hub, conn, name="x", format="xml", now=hub.clock())
        with pytest.raises(InvalidInput, match="refresh_hours"):
            feeds.add(hub, conn, name="x", format="csv", refresh_hours=6, now=hub.clock())
    with pytest.raises(InvalidInput, match=r"has no manifest\.json"):
        feeds.read_path("misp-feed", tmp_path)


def test_refresh_downloads_due_url_sources(hub: Any, clock: Any) -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/feed/manifest.json":
            return httpx.Response(200, json={EVENT_UUID: {}})
        if request.url.path == f"/feed/{EVENT_UUID}.json":
            return httpx.Response(200, json=EVENT)
        if request.url.path == "/list.txt":
            return httpx.Response(200, text="203.0.114.77\n")
        return httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    with hub.db.transaction() as conn:
        feeds.add(
            hub,
            conn,
            name="remote misp",
            format="misp-feed",
            url="https://feeds.example/feed/",
            refresh_hours=6,
            now=hub.clock(),
        )
        feeds.add(
            hub,
            conn,
            name="remote list",
            format="text",
            url="https://feeds.example/list.txt",
            refresh_hours=24,
            now=hub.clock(),
        )
        feeds.add(
            hub,
            conn,
            name="broken",
            format="text",
            url="https://feeds.example/gone",
            refresh_hours=1,
            now=hub.clock(),
        )
    first = feeds.refresh_due(hub, now=clock.moment, client=client)
    assert first["remote misp"]["counts"]["new"] == 3
    assert first["remote list"]["counts"]["new"] == 1
    assert "404" in first["broken"]["error"]
    clock.advance(hours=7)
    again = feeds.refresh_due(hub, now=clock.moment, client=client)
    assert set(again) == {"remote misp", "broken"}  # the list is due again only after 24 h
    assert again["remote misp"]["counts"] == {"new": 0, "known": 3, "rejected": 0}


def test_fetch_reports_upstream_failures(hub: Any) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    source = feeds.Source(
        1, "down", 1, "text", "https://down.example/x", 1, datetime.now(UTC), None, None
    )
    with pytest.raises(UpstreamError, match="down"):
        feeds.fetch(source, httpx.Client(transport=httpx.MockTransport(fail)))


def test_cli_add_import_and_list(hub: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PHALANX_DATABASE_URL", hub.settings.database_url)
    folder = misp_feed(tmp_path / "feed")
    added = runner.invoke(app, ["feed", "add", "osint", "--format", "misp-feed", "--json"])
    assert added.exit_code == 0, added.output
    assert orjson.loads(added.stdout)["format"] == "misp-feed"
    imported = runner.invoke(app, ["feed", "import", "osint", str(folder), "--json"])
    assert imported.exit_code == 0, imported.output
    assert orjson.loads(imported.stdout) == {
        "source": "osint",
        "counts": {"new": 3, "known": 0, "rejected": 0},
        "skipped": 2,
    }
    listed = runner.invoke(app, ["feed", "list", "--json"])
    assert [s["last_count"] for s in orjson.loads(listed.stdout)] == [3]
    unknown = runner.invoke(app, ["feed", "import", "nope", str(folder)])
    assert unknown.exit_code != 0 and "no published source named 'nope'" in unknown.output


def test_a_large_feed_is_imported_in_several_contributions(hub: Any) -> None:
    small = Hub(
        settings=hub.settings.with_(max_items_per_contribution=2), db=hub.db, clock=hub.clock
    )
    rows = [f"chunk{n}.example-bad.net,2026-04-0{n + 1}T00:00:00Z" for n in range(4)]
    body = ("value,first_seen\n" + "\n".join([*rows[:2], "not a value!", *rows[2:]])).encode()
    with small.db.transaction() as conn:
        source = feeds.add(small, conn, name="big", format="csv", now=small.clock())
        result = feeds.import_read(
            small, conn, source=source, read=feeds.read_payload("csv", body), now=small.clock()
        )
    assert result["counts"] == {"new": 4, "known": 0, "rejected": 1}
    assert [r["index"] for r in result["rejected"]] == [2]
    assert stored(hub, source.org_id) == {
        f"chunk{n}.example-bad.net": ("clear", datetime(2026, 4, n + 1, tzinfo=UTC))
        for n in range(4)
    }
