"""The ops endpoint over real HTTP on 127.0.0.1: /healthz, /metrics, alert feeds; [ops] settings; the unit."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import ConfigError, MonitorError
from monitor.models import Alert, Decision, Evidence, ExtractedText, NearCopy, TopicResult
from monitor.runtime.metrics import Metrics
from monitor.runtime.ops_http import OpsServer, make_ops_server
from monitor.settings.sections import OpsSettings, parse_ops_settings
from monitor.store import outbox
from monitor.store.database import Store

ROOT = Path(__file__).parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


# -- settings -----------------------------------------------------------------------------------


def test_ops_settings_defaults_bind_to_loopback() -> None:
    settings = parse_ops_settings({})
    assert settings == OpsSettings() and settings.host == "127.0.0.1" and settings.enabled
    custom = parse_ops_settings({"port": 0, "retention_days": 90, "public_url": "https://ops.example/"})
    assert (custom.port, custom.retention_days) == (0, 90)


@pytest.mark.parametrize(("spec", "key"), [
    ({"prot": 1}, "ops.prot"),
    ({"port": "9468"}, "ops.port"),
    ({"port": True}, "ops.port"),
    ({"port": 70000}, "ops.port"),
    ({"enabled": "yes"}, "ops.enabled"),
    ({"host": " "}, "ops.host"),
    ({"stale_after_seconds": 0}, "ops.stale_after_seconds"),
    ({"retention_days": -1}, "ops.retention_days"),
    ({"public_url": "ops.example"}, "ops.public_url"),
])
def test_bad_ops_settings_name_their_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ops_settings(spec)
    assert info.value.key == key


# -- metrics ------------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse_prometheus(text: str) -> dict[str, float]:
    """Samples keyed 'name{labels}', checking the text format rules the scraper relies on."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"family {name} declared twice"
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no # TYPE"
        if types[family] == "counter":
            assert name.endswith("_total")
        samples[name + (labels or "")] = float(value)
    return samples


def test_metrics_counts_are_exact_under_concurrent_updates() -> None:
    metrics = Metrics()

    def worker() -> None:
        for i in range(500):
            metrics.observe_poll("ok" if i % 5 else "temporary", new=2, duplicates=1, matches=1, alerts=1,
                                 seconds=0.05 * (i % 40), article_errors=1 if i % 100 == 0 else 0)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    metrics.observe_cycle(3.0, ok=True)
    metrics.observe_cycle(700.0, ok=False)
    metrics.observe_error("dispatch")
    samples = parse_prometheus(metrics.render())
    assert samples['monitor_polls_total{status="ok"}'] == 8 * 400
    assert samples['monitor_polls_total{status="temporary"}'] == 8 * 100
    assert samples['monitor_errors_total{kind="poll_temporary"}'] == 800
    assert samples['monitor_errors_total{kind="article"}'] == 8 * 5
    assert samples['monitor_errors_total{kind="dispatch"}'] == 1
    assert samples["monitor_articles_new_total"] == 8000 and samples["monitor_alerts_queued_total"] == 4000
    buckets = [v for k, v in samples.items() if k.startswith("monitor_poll_duration_seconds_bucket")]
    assert buckets == sorted(buckets) and buckets[-1] == samples["monitor_poll_duration_seconds_count"] == 4000
    assert samples['monitor_poll_duration_seconds_bucket{le="0.5"}'] == 8 * sum(
        1 for i in range(500) if 0.05 * (i % 40) <= 0.5)
    assert samples['monitor_cycles_total{result="error"}'] == 1
    assert samples['monitor_cycle_duration_seconds_bucket{le="600"}'] == 1
    assert "monitor_last_successful_cycle_timestamp_seconds" in samples


# -- the server ---------------------------------------------------------------------------------


def populate(path: Path) -> None:
    """Three articles; two alerts for nato_iraq (one delivered, one failed on a second channel)."""
    store = Store(path)
    with store.transaction() as db:
        for i, (title, topics) in enumerate([("الناتو في العراق", ("nato_iraq",)), ("قمة الحلف", ("nato_iraq",)),
                                             ("الطقس", ())]):
            article_id = f"a{i}"
            store.insert_article(db, article_id=article_id, canonical_url=f"https://n.test/{i}",
                                 url=f"https://n.test/{i}", feed_url=None, guid=None, source="Feed",
                                 extracted=ExtractedText(title, f"نص {title}", "ar", "page"), summary="",
                                 published=None, seen_at=T0, in_corpus=bool(topics))
            store.insert_decision(db, Decision(article_id, NearCopy(None, 0.0),
                                               tuple(TopicResult(t, True, 2.0, 1.0) for t in topics)), T0)
            if topics:
                outbox.enqueue(db, Alert(
                    alert_id=f"al_{i}", article_id=article_id, topic="nato_iraq", score=2.0 + i, threshold=1.0,
                    evidence=(Evidence("nato", "الناتو", "الناتو", 0, f"جملة <b>&{i}\x07"),), title=title,
                    url=f"https://n.test/{i}?a=1&b=2", source="Feed", published=None, snippet=f"مقتطف {i}",
                    created_at=T0 + timedelta(minutes=i)), ["console", "webhook"])
        db.execute("UPDATE deliveries SET state = 'delivered' WHERE channel = 'console'")
        db.execute("UPDATE deliveries SET state = 'failed' WHERE id = 'al_0:webhook'")
        store.insert_article(db, article_id="a9", canonical_url="https://n.test/9", url="https://n.test/9",
                             feed_url=None, guid=None, source="Other", summary="", published=None, seen_at=T0,
                             extracted=ExtractedText("نسخة", "نص", "ar", "page"))
        outbox.record_also_published(db, "a0", "a9", "Other", "https://n.test/9")
    store.close()


def get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "m.db"
    populate(path)
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def start(database: Path, metrics: Metrics, alive: list[bool], clock: Clock,
          **settings: Any) -> tuple[OpsServer, str]:
    server = make_ops_server(parse_ops_settings({"port": 0, "stale_after_seconds": 300, **settings}), database,
                             metrics, lambda: alive[0], topics=["nato_iraq", "quiet"], clock=clock)
    server.start()
    host, port = server.address
    assert host == "127.0.0.1" and port > 0
    return server, f"http://{host}:{port}"


def test_metrics_endpoint_reports_counters_and_database_gauges(database: Path) -> None:
    metrics = Metrics()
    metrics.observe_poll("ok", new=3, duplicates=1, matches=2, alerts=2, seconds=1.2)
    server, base = start(database, metrics, [True], Clock())
    try:
        status, headers, body = get(base + "/metrics")
    finally:
        server.stop()
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = parse_prometheus(body.decode("utf-8"))
    conn = sqlite3.connect(database)
    assert samples['monitor_articles{kind="all"}'] == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert samples['monitor_articles{kind="match"}'] == 2 and samples['monitor_articles{kind="corpus"}'] == 2
    assert samples["monitor_alerts"] == 2
    assert samples['monitor_deliveries{state="delivered"}'] == 2
    assert samples['monitor_deliveries{state="failed"}'] == 1
    assert samples['monitor_deliveries{state="pending"}'] == 1
    assert samples["monitor_database_readable"] == 1 and samples["monitor_database_size_bytes"] > 0
    assert samples["monitor_articles_new_total"] == 3 and samples['monitor_polls_total{status="ok"}'] == 1


def test_healthz_follows_scheduler_cycle_age_and_database(database: Path) -> None:
    clock = Clock()
    metrics, alive = Metrics(clock=clock), [True]
    server, base = start(database, metrics, alive, clock)
    try:
        status, headers, body = get(base + "/healthz")
        report = json.loads(body)
        assert status == 200 and headers["Content-Type"] == "application/json" and report["healthy"] is True
        assert report["checks"]["last_successful_cycle"]["at"] is None  # just started: grace period

        clock.now += 301  # no cycle has succeeded for longer than stale_after_seconds
        status, _, body = get(base + "/healthz")
        assert status == 503 and json.loads(body)["checks"]["last_successful_cycle"]["ok"] is False
        metrics.observe_cycle(2.0, ok=True)
        assert get(base + "/healthz")[0] == 200
        metrics.observe_cycle(2.0, ok=False)  # a failed cycle does not refresh it
        clock.now += 301
        assert get(base + "/healthz")[0] == 503
        metrics.observe_cycle(2.0, ok=True)

        alive[0] = False
        status, _, body = get(base + "/healthz")
        assert status == 503 and json.loads(body)["checks"]["scheduler"]["ok"] is False
        alive[0] = True

        # another process holds the database exclusively: not writable, said so
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        try:
            status, _, body = get(base + "/healthz")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        database_check = json.loads(body)["checks"]["database"]
        assert status == 503 and database_check["ok"] is False and "locked" in database_check["error"]
        assert get(base + "/healthz")[0] == 200
        written = sqlite3.connect(database).execute("SELECT at FROM ops_heartbeat").fetchone()
        assert written is not None  # the probe really wrote
    finally:
        server.stop()


def test_alert_feeds_atom_and_json(database: Path) -> None:
    server, base = start(database, Metrics(), [True], Clock(), public_url="https://ops.example/mon/")
    try:
        status, headers, body = get(base + "/alerts/nato_iraq.atom")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(body)  # well-formed despite the control character in the evidence
        entries = feed.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}id") for e in entries] == ["urn:monitor:alert:al_1", "urn:monitor:alert:al_0"]
        assert feed.findtext(f"{ATOM}updated") == "2026-11-23T08:01:00Z"
        assert feed.find(f"{ATOM}link").get("href") == "https://ops.example/mon/alerts/nato_iraq.atom"  # type: ignore[union-attr]
        first = entries[1]
        assert first.findtext(f"{ATOM}title") == "الناتو في العراق"
        assert first.find(f"{ATOM}link").get("href") == "https://n.test/0?a=1&b=2"  # type: ignore[union-attr]
        assert first.find(f"{ATOM}category").get("term") == "nato_iraq"  # type: ignore[union-attr]
        assert first.find(f"{ATOM}content").get("type") == "html"  # type: ignore[union-attr]
        content = first.findtext(f"{ATOM}content") or ""  # HTML, its article text escaped
        assert "جملة &lt;b&gt;&amp;0" in content and "نُشر أيضًا في" in content and ">https://n.test/9</a>" in content

        status, headers, body = get(base + "/alerts/nato_iraq.json")
        assert status == 200 and headers["Content-Type"].startswith("application/feed+json")
        items = json.loads(body)["items"]
        assert [i["id"] for i in items] == ["al_1", "al_0"] and items[1]["_monitor"]["score"] == 2.0

        quiet = ET.fromstring(get(base + "/alerts/quiet.atom")[2])  # a configured topic with no alerts yet
        assert quiet.findall(f"{ATOM}entry") == []
        assert get(base + "/alerts/unknown.atom")[0] == 404
        assert get(base + "/nope")[0] == 404
        status, headers, body = get(base + "/alerts/nato_iraq.atom", method="HEAD")
        assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    finally:
        server.stop()


def test_a_failing_callback_is_a_500_and_the_server_keeps_serving() -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    server = OpsServer("127.0.0.1", 0, health=lambda: {"healthy": True}, metrics_text=broken)
    server.start()
    host, port = server.address
    base = f"http://{host}:{port}"
    try:
        assert get(base + "/metrics")[0] == 500
        assert get(base + "/healthz")[0] == 200
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/healthz", timeout=2)


def test_a_taken_port_is_one_clear_error() -> None:
    first = OpsServer("127.0.0.1", 0, health=dict, metrics_text=str)
    first.start()
    try:
        with pytest.raises(MonitorError, match=r"cannot listen on 127\.0\.0\.1") as info:
            OpsServer("127.0.0.1", first.address[1], health=dict, metrics_text=str).start()
        assert isinstance(info.value, OSError)  # the daemon logs it and keeps monitoring
    finally:
        first.stop()


def test_export_alerts_command_writes_the_same_feed(database: Path, tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n',
                      encoding="utf-8")
    out = tmp_path / "nato.atom"
    run = subprocess.run([sys.executable, "-m", "monitor", "export-alerts", "--config", str(config), "nato_iraq",
                          "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert len(ET.parse(out).getroot().findall(f"{ATOM}entry")) == 2
    run = subprocess.run([sys.executable, "-m", "monitor", "export-alerts", "--config", str(config), "nope"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "no topic 'nope'" in run.stderr


# -- the systemd unit ---------------------------------------------------------------------------


def test_systemd_unit_is_hardened_and_valid(tmp_path: Path) -> None:
    unit = (ROOT / "config" / "monitor.service").read_text(encoding="utf-8")
    keys = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert keys["ExecStart"].endswith("monitor --log-json run") and keys["KillSignal"] == "SIGTERM"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}.items():
        assert keys[key] == value, key
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    monitor_bin = Path(sys.executable).parent / "monitor"
    local = tmp_path / "monitor.service"
    local.write_text(unit.replace("/opt/monitor/.venv/bin/monitor", str(monitor_bin)), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


# -- the daemon ---------------------------------------------------------------------------------


def test_daemon_serves_ops_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    import signal
    import socket
    import time

    with socket.socket() as probe:  # a port that is free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = tmp_path / "m.db"
    config = tmp_path / "monitor.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n'
                      f"fetch_pages = false\ncycle_seconds = 1\n[ops]\nport = {port}\nstale_after_seconds = 30\n",
                      encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "monitor", "--log-json", "run", "--config", str(config)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = get(f"http://127.0.0.1:{port}/healthz")
                if status == 200 and json.loads(body)["checks"]["last_successful_cycle"]["at"]:
                    break
            except urllib.error.URLError:
                pass
            assert daemon.poll() is None, daemon.communicate()[1]
            assert time.monotonic() < deadline, "the daemon never became healthy"
            time.sleep(0.2)
        samples = parse_prometheus(get(f"http://127.0.0.1:{port}/metrics")[2].decode("utf-8"))
        seeds = len(list((ROOT / "seeds").glob("*.txt")))
        assert samples['monitor_articles{kind="seed"}'] == seeds
        assert samples['monitor_cycles_total{result="ok"}'] >= 1
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, stderr
    messages = [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]
    assert any(m.startswith("received SIGTERM") for m in messages) and messages[-1] == "monitor stopped"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
    # the seeds the daemon loaded are searchable: the pipeline indexes what it stores
    run = subprocess.run([sys.executable, "-m", "monitor", "search", "--config", str(config), "--source", "seed",
                          "الناتو", "العراق"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "[الناتو]" in run.stdout and "[العراق]" in run.stdout, run.stdout
