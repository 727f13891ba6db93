"""`monitor run` as a real process: it polls on its schedule, delivers, and stops cleanly on SIGTERM;
killed with SIGKILL after storing an alert, the next start delivers it exactly once."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.e2e_site import Story, article_page, fixture_articles, rss_feed
from tests.fault_server import FaultServer
from tests.helpers_delivery import SECRET
from tests.test_end_to_end import POSITIVE, ROOT, e2e_config, html_reply


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "E2E_WEBHOOK_SECRET": SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


def serve_one_relevant_story(server: FaultServer) -> str:
    record = fixture_articles()[POSITIVE]
    story = Story("okaz", record["title"], record["text"], "Mon, 23 Nov 2026 09:00:00 GMT")
    base = server.url("")
    server.set(
        "/rss.xml",
        (
            200,
            {"Content-Type": "application/rss+xml"},
            rss_feed("عكاظ", base, [(story, "/nato-iraq.html", record["text"][:200])]),
        ),
    )
    server.set("/nato-iraq.html", html_reply(article_page(story.title, story.text, "عكاظ")))
    return server.url("/rss.xml")


def test_daemon_polls_delivers_and_stops_cleanly_on_sigterm(
    tmp_path: Path, fault_server: FaultServer, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    feeds = [serve_one_relevant_story(fault_server)]
    config = e2e_config(tmp_path, feeds, webhook_receiver.url, smtp_server.port, cycle_seconds=1)
    log = tmp_path / "daemon.log"
    daemon = start_daemon(config, log)
    try:
        assert wait_until(
            lambda: len(webhook_receiver.received) >= 1 and len(smtp_server.messages) >= 1, 90
        ), log.read_text(encoding="utf-8")[-3000:]
        # The operator's endpoint of the running daemon (port 0: the log says where it listens).
        found = re.search(r"ops endpoint on (http://127\.0\.0\.1:\d+)", log.read_text(encoding="utf-8"))
        assert found
        health = httpx.get(found.group(1) + "/healthz", timeout=10)
        assert health.status_code == 200, health.text
        metrics = httpx.get(found.group(1) + "/metrics", timeout=10).text
        assert re.search(r"^monitor_alerts_queued_total 1(\.0)?$", metrics, re.M), metrics
        assert 'monitor_polls_total{status="ok"}' in metrics
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    text = log.read_text(encoding="utf-8")
    assert "received SIGTERM" in text and "monitor stopped" in text
    assert len(webhook_receiver.received) == 1 and webhook_receiver.received[0].signature_valid

    # A restart finds the article and the delivered alert in the database: nothing is sent again.
    again = start_daemon(config, tmp_path / "daemon2.log")
    try:
        time.sleep(4)
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
    finally:
        if again.poll() is None:
            again.kill()
    assert len(webhook_receiver.received) == 1 and len(smtp_server.messages) == 1


def test_an_alert_stored_before_a_kill_is_delivered_once_after_restart(
    tmp_path: Path, fault_server: FaultServer, webhook_receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    config = e2e_config(tmp_path, [serve_one_relevant_story(fault_server)], webhook_receiver.url, smtp_server.port)
    # The webhook is down at first: the alert is stored and waits in the outbox.
    webhook_receiver.script(*([503] * 50))
    daemon = start_daemon(config, tmp_path / "daemon.log")
    try:
        db_path = tmp_path / "monitor.db"

        def alert_stored() -> bool:
            if not db_path.exists():
                return False
            try:
                with sqlite3.connect(db_path) as db:
                    return bool(db.execute("SELECT count(*) FROM alerts").fetchone()[0])
            except sqlite3.Error:
                return False

        assert wait_until(alert_stored, 90)
        daemon.kill()  # SIGKILL: no chance to clean up
        daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    webhook_receiver.clear_script()  # the receiver is back: it answers 204 from now on
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        db.execute("UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000000Z'")  # due now
    restarted = start_daemon(config, tmp_path / "daemon2.log")
    try:
        assert wait_until(lambda: bool(webhook_receiver.accepted()), 60)
        time.sleep(2)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=60) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    accepted = webhook_receiver.accepted()
    assert len(accepted) == 1
    assert len({r.headers["webhook-id"] for r in webhook_receiver.received}) == 1
