"""A dead network must not look healthy: `once` fails, /healthz says degraded, each failure is one line,
every cycle ends with one summary line, and an idle daemon says when it polls next."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.models import FetchStatus
from monitor.runtime.cycle_summary import summarize
from monitor.runtime.metrics import Metrics
from monitor.runtime.ops_http import health_report, make_ops_server
from monitor.runtime.poll import PollReport
from monitor.settings.sections import parse_ops_settings
from monitor.store.database import Store
from tests.fault_server import FaultServer

ROOT = Path(__file__).parent.parent


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused at once, like a dead network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(tmp_path: Path, feeds: list[str], extra: str = "") -> Path:
    config = tmp_path / "monitor.toml"
    feeds_toml = "\n".join(f'[[feeds]]\nurl = "{url}"\nname = "feed{i}"\n' for i, url in enumerate(feeds))
    config.write_text(
        f'[storage]\ndatabase = "{tmp_path / "m.db"}"\n'
        f'[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\nfetch_pages = false\ncycle_seconds = 1\n'
        "[http]\nallow_private_addresses = true\nconnect_timeout = 2\nper_host_min_interval = 0\n"
        f"{extra}\n{feeds_toml}",
        encoding="utf-8",
    )
    return config


def run_monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def dead_feeds(n: int) -> list[str]:
    return [f"http://127.0.0.1:{closed_port()}/feed{i}.xml" for i in range(n)]


def test_once_exits_non_zero_when_every_feed_failed_and_logs_each_failure_once(tmp_path: Path) -> None:
    feeds = dead_feeds(3)
    done = run_monitor("once", "--config", str(write_config(tmp_path, feeds)))
    assert done.returncode == 1, done.stderr
    assert "polled 3 feeds: 3 failed" in done.stdout
    log_lines = [line for line in done.stderr.splitlines() if " monitor." in line]
    for url in feeds:
        assert len([line for line in log_lines if url in line]) == 1, done.stderr
    assert len([line for line in log_lines if "0/3 feeds reachable: check the network or proxy" in line]) == 1


def test_once_succeeds_when_some_feed_was_reached(tmp_path: Path) -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    with FaultServer({"/rss.xml": (200, {"Content-Type": "application/rss+xml"}, rss)}) as server:
        done = run_monitor("once", "--config", str(write_config(tmp_path, [server.url("/rss.xml"), *dead_feeds(1)])))
    assert done.returncode == 0, done.stderr
    assert "1/2 feeds reachable: 0 new articles" in done.stderr


def test_summary_leaves_out_polls_that_made_no_request() -> None:
    polls = [PollReport("a", status=FetchStatus.TEMPORARY), PollReport("b", paused=True)]
    assert summarize(polls).polled == 1 and summarize(polls).all_failed
    assert not summarize([PollReport("b", paused=True)]).all_failed


def test_health_is_degraded_only_while_polls_fail_without_a_success() -> None:
    common = {"scheduler_alive": True, "started_at": 0.0, "last_success_at": 7000.0, "now": 7200.0,
              "stale_after_seconds": 600, "database_error": None, "feeds_down_after_seconds": 3600}
    down = health_report(**common, last_feed_success_at=None, last_feed_failure_at=7100.0)  # type: ignore[arg-type]
    assert down["healthy"] is False and down["status"] == "degraded"
    assert down["checks"]["feeds_reachable"]["ok"] is False
    # a feed that is polled rarely but fine: the last success is old, nothing failed since
    quiet = health_report(**common, last_feed_success_at=100.0, last_feed_failure_at=50.0)  # type: ignore[arg-type]
    assert quiet["healthy"] is True and quiet["status"] == "healthy"
    recent = health_report(**common, last_feed_success_at=6000.0, last_feed_failure_at=7100.0)  # type: ignore[arg-type]
    assert recent["healthy"] is True  # failing, but a feed was reached within the threshold
    both = health_report(**{**common, "database_error": "disk full"},  # type: ignore[arg-type]
                         last_feed_success_at=None, last_feed_failure_at=7100.0)
    assert both["status"] == "unhealthy"


def test_healthz_over_http_says_degraded_when_no_feed_succeeds(tmp_path: Path) -> None:
    Store(tmp_path / "m.db").close()  # a writable database: only the feeds can make it unhealthy
    now = [1_000_000.0]
    metrics = Metrics(clock=lambda: now[0])
    server = make_ops_server(parse_ops_settings({"port": 0, "feeds_down_after_seconds": 60}), tmp_path / "m.db",
                             metrics, lambda: True, clock=lambda: now[0])
    server.start()
    base = "http://{}:{}/healthz".format(*server.address)
    try:
        metrics.observe_cycle(1.0, ok=True)
        metrics.observe_poll("temporary", 0, 0, 0, 0, 0.1)
        assert httpx.get(base).status_code == 200  # within the threshold of the start
        now[0] += 61
        metrics.observe_cycle(1.0, ok=True)
        metrics.observe_poll("temporary", 0, 0, 0, 0, 0.1)
        reply = httpx.get(base)
        assert reply.status_code == 503 and reply.json()["status"] == "degraded"
        metrics.observe_poll("ok", 0, 0, 0, 0, 0.1)
        assert httpx.get(base).json()["status"] == "healthy"
    finally:
        server.stop()


def test_daemon_on_a_dead_network_summarises_beats_and_reports_degraded(tmp_path: Path) -> None:
    config = write_config(tmp_path, dead_feeds(2), "[ops]\nport = 0\nfeeds_down_after_seconds = 1\n")
    log = tmp_path / "daemon.log"
    daemon = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        deadline = time.monotonic() + 60
        report: dict[str, object] = {}
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8")
            found = re.search(r"ops endpoint on (http://127\.0\.0\.1:\d+)", text)
            if found and "idle: next poll at" in text:
                report = httpx.get(found.group(1) + "/healthz", timeout=10).json()
                if report.get("status") == "degraded":
                    break
            assert daemon.poll() is None, text
            time.sleep(0.3)
        assert report.get("status") == "degraded", (report, log.read_text(encoding="utf-8"))
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    text = log.read_text(encoding="utf-8")
    assert "0/2 feeds reachable: check the network or proxy" in text
    beat = re.search(r"idle: next poll at (\S+) \(in \d+ min, http://127\.0\.0\.1:\d+/feed\d\.xml\)", text)
    assert beat, text
    json.dumps(report)  # the body is plain JSON
