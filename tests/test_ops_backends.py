"""The ops endpoint on both backends: the same /healthz, /metrics gauges and topic alert feed for the same
polled feeds, whether the store is the SQLite file or PostgreSQL; and /healthz failing when PostgreSQL
cannot be reached."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.runtime.app import App
from monitor.runtime.metrics import Metrics
from monitor.runtime.ops_http import OpsServer, make_ops_server
from monitor.settings.config import load_config
from monitor.settings.sections import parse_ops_settings
from tests.config_files import LOOPBACK_HTTP, OPS_OFF, jsonl_channel, shipped_topics, write_config
from tests.fault_server import FaultServer
from tests.growing_feeds import GrowingFeeds
from tests.test_ops import get, parse_prometheus

GAUGES = ('monitor_articles{kind="all"}', 'monitor_articles{kind="match"}', 'monitor_articles{kind="seed"}',
          'monitor_articles{kind="corpus"}', "monitor_alerts", 'monitor_deliveries{state="pending"}',
          'monitor_feeds{state="enabled"}', "monitor_database_readable")


def _serve(database: Path | str) -> tuple[OpsServer, str]:
    server = make_ops_server(parse_ops_settings({"port": 0}), database, Metrics(), lambda: True,
                             topics=["nato_iraq"])
    server.start()
    host, port = server.address
    return server, f"http://{host}:{port}"


@pytest.fixture
def polled(tmp_path: Path, backend_url: str | None) -> Path | str:
    """A database (the SQLite file or the PostgreSQL URL) after one poll of 3 feeds x 4 matching items."""
    with FaultServer({}) as server:
        feeds = GrowingFeeds(server, 3, 4, 0.1, 0.0)
        feeds.publish_all()
        storage = {"database": str(tmp_path / "m.db"), **({"url": backend_url} if backend_url else {})}
        config = write_config(tmp_path, storage=storage, fetch_pages=False, http=LOOPBACK_HTTP, ops=OPS_OFF,
                              channels=[jsonl_channel(tmp_path)], feeds=feeds.feed_urls(), topics=shipped_topics())
        app = App(load_config(config.config))
        try:
            app.poll(app.store.due_feeds(datetime.now(UTC)))
        finally:
            app.close()
    return backend_url or tmp_path / "m.db"


def test_healthz_metrics_and_the_alert_feed_give_the_same_figures_on_both_backends(polled: Path | str) -> None:
    server, base = _serve(polled)
    try:
        status, _, body = get(base + "/healthz")
        assert status == 200 and json.loads(body)["checks"]["database"]["ok"] is True
        status, _, body = get(base + "/metrics")
        assert status == 200
        samples = parse_prometheus(body.decode("utf-8"))
        status, _, atom = get(base + "/alerts/nato_iraq.atom")
    finally:
        server.stop()
    figures = {name: samples[name] for name in GAUGES}
    seeds = figures['monitor_articles{kind="seed"}']
    assert figures == {
        'monitor_articles{kind="all"}': 12 + seeds, 'monitor_articles{kind="match"}': 12,
        'monitor_articles{kind="seed"}': seeds, 'monitor_articles{kind="corpus"}': 12 + seeds,
        "monitor_alerts": 12, 'monitor_deliveries{state="pending"}': 12, 'monitor_feeds{state="enabled"}': 3,
        "monitor_database_readable": 1,
    }
    assert seeds > 0 and samples["monitor_database_size_bytes"] > 0
    entries = ET.fromstring(atom).findall("{http://www.w3.org/2005/Atom}entry")
    assert status == 200 and len(entries) == 12


def test_healthz_fails_while_postgresql_cannot_be_reached() -> None:
    server, base = _serve("postgresql://monitor@127.0.0.1:1/monitor")  # nothing listens on port 1
    try:
        status, _, body = get(base + "/healthz")
        report = json.loads(body)
        status_metrics, _, metrics_body = get(base + "/metrics")
    finally:
        server.stop()
    assert status == 503 and report["checks"]["database"]["ok"] is False
    assert "PostgreSQL" in report["checks"]["database"]["error"]
    assert status_metrics == 200 and parse_prometheus(metrics_body.decode())["monitor_database_readable"] == 0
