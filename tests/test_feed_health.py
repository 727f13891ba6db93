"""Feed-health warnings: the pure staleness rule, and a real failing feed that raises exactly one signed
"feed.unhealthy" webhook (and e-mail, and JSONL line) per stale spell, retried and dead-lettered like alerts."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.runtime.app import App
from monitor.schedule.feed_health import FeedHealth, stale_feeds
from monitor.settings.config import load_config
from monitor.settings.sections import parse_schedule_settings
from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.e2e_site import SEEDS, Story, rss_feed
from tests.fault_server import FaultServer

SECRET = "whsec_" + base64.b64encode(b"feed-health-test-secret-0123456789").decode()
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def health(last_success: datetime | None, added: datetime = T0) -> FeedHealth:
    return FeedHealth("https://site.test/rss.xml", "site", added, last_success, 3, "HTTP 500")


def test_a_feed_is_stale_after_warn_after_since_its_last_success_or_since_it_was_added() -> None:
    assert stale_feeds([health(None)], T0 + 2 * HOUR, 3 * HOUR) == []
    [never] = stale_feeds([health(None)], T0 + 3 * HOUR, 3 * HOUR)
    assert never.since == T0 and never.last_success_at is None and never.hours_without_success == 3
    assert stale_feeds([health(T0 + HOUR)], T0 + 3 * HOUR, 3 * HOUR) == []
    [stale] = stale_feeds([health(T0 + HOUR)], T0 + 5 * HOUR, 3 * HOUR)
    assert (stale.last_error, stale.consecutive_failures, stale.feed_name) == ("HTTP 500", 3, "site")
    assert stale_feeds([health(None)], T0 + 100 * HOUR, timedelta(0)) == []  # 0 = off


def test_the_warning_id_is_stable_while_stale_and_new_after_a_recovery() -> None:
    first = stale_feeds([health(T0)], T0 + 30 * HOUR, 24 * HOUR)[0].warning_id
    assert stale_feeds([health(T0)], T0 + 50 * HOUR, 24 * HOUR)[0].warning_id == first
    assert stale_feeds([health(T0 + 40 * HOUR)], T0 + 70 * HOUR, 24 * HOUR)[0].warning_id != first


def test_warn_after_hours_is_a_schedule_key_where_zero_means_off() -> None:
    assert parse_schedule_settings({}).warn_after_hours == 24
    assert parse_schedule_settings({"warn_after_hours": 0}).warn_after_hours == 0
    with pytest.raises(ConfigError, match="warn_after_hours"):
        parse_schedule_settings({"warn_after_hours": -1})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write_config(tmp_path: Path, feed_url: str, hook_url: str, smtp_port: int, max_attempts: int = 8) -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
fetch_pages = false
[schedule]
warn_after_hours = 6
[http]
allow_private_addresses = true
per_host_min_interval = 0
[ops]
enabled = false
[alerts]
max_attempts = {max_attempts}
retry_delays_seconds = [60]
retry_jitter = 0
[[alerts.channels]]
type = "webhook"
name = "hook"
url = "{hook_url}"
secret_env = "FEED_HEALTH_SECRET"
topics = ["nato_iraq"]  # topic filters choose articles; feed warnings still reach the channel
[[alerts.channels]]
type = "email"
name = "mail"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "monitor@example.test"
to = ["ops@example.test"]
[[alerts.channels]]
type = "jsonl"
name = "file"
path = "{tmp_path / "alerts.jsonl"}"
[[feeds]]
url = "{feed_url}"
name = "Down Daily"
""",
        encoding="utf-8",
    )
    return config


def good_feed(base: str, when: datetime) -> tuple[int, dict[str, str], bytes]:
    story = Story(f"s{when:%H}", f"خبر الساعة {when:%H}", "نص", when.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    return 200, {"Content-Type": "application/rss+xml"}, rss_feed("site", base, [(story, f"/{when:%H}.html", "نص")])


def test_a_failing_feed_raises_one_signed_warning_per_stale_spell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_HEALTH_SECRET", SECRET)
    clock = Clock(T0)
    # The controlled clock signs the webhook timestamps: accept any age, check the signature itself.
    with FaultServer({}) as server, WebhookReceiver(SECRET, tolerance=10**9) as hook, SmtpServer() as smtp:
        server.set("/rss.xml", (500, {"Content-Type": "text/plain"}, b"down"))
        app = App(load_config(write_config(tmp_path, server.url("/rss.xml"), hook.url, smtp.port)), clock=clock)
        try:
            app.run_once()
            clock.now = T0 + 5 * HOUR  # failing, but not for warn_after_hours yet (never succeeded: since added)
            app.run_once()
            assert hook.received == []

            clock.now = T0 + 6 * HOUR
            app.run_once()
            clock.now = T0 + 7 * HOUR  # still stale: the same spell is not warned about again
            app.run_once()
            app.check_feed_health()
            app.dispatcher.run_due()
            assert len(hook.received) == 1
            received = hook.received[0]
            assert received.signature_valid
            payload = received.json
            assert payload["type"] == "feed.unhealthy"
            data = payload["data"]
            assert received.headers["webhook-id"] == data["warning_id"]
            assert data["feed"] == {"url": server.url("/rss.xml"), "name": "Down Daily"}
            assert data["last_success_at"] is None and data["since"] == "2026-11-23T08:00:00Z"
            assert data["hours_without_success"] == 6 and data["consecutive_failures"] == 3
            assert "500" in data["last_error"]
            jsonschema = pytest.importorskip("jsonschema")
            schema = Path(__file__).resolve().parents[1] / "docs" / "webhook-payload.schema.json"
            jsonschema.validate(payload, json.loads(schema.read_text(encoding="utf-8")))
            assert len(smtp.messages) == 1 and "Down Daily" in smtp.messages[0]["Subject"]
            assert smtp.messages[0]["X-Monitor-Feed-Warning"] == data["warning_id"]
            lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
            assert [x["data"]["warning_id"] for x in lines] == [data["warning_id"]]

            # It recovers, then fails again: a new spell, a new warning (and only one).
            server.set("/rss.xml", good_feed(server.url(""), T0 + 8 * HOUR))
            clock.now = T0 + 8 * HOUR
            app.run_once()
            assert app.store.feeds()[0]["consecutive_failures"] == 0
            server.set("/rss.xml", (500, {"Content-Type": "text/plain"}, b"down again"))
            clock.now = T0 + 13 * HOUR
            app.run_once()
            assert len(hook.received) == 1  # five hours since the success: not stale yet
            clock.now = T0 + 14 * HOUR
            app.run_once()
            app.run_once()
            assert len(hook.received) == 2 and len(smtp.messages) == 2
            second = hook.received[1].json["data"]
            assert second["warning_id"] != data["warning_id"]
            assert second["last_success_at"] == "2026-11-23T16:00:00Z"
            rows = app.store.db.execute(
                "SELECT channel, state, attempts FROM deliveries WHERE kind = 'feed_warning'"
            ).fetchall()
            assert sorted(rows) == sorted([(c, "delivered", 1) for c in ("hook", "mail", "file")] * 2)
        finally:
            app.close()


def test_a_warning_is_retried_with_the_same_id_and_dead_lettered_after_max_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_HEALTH_SECRET", SECRET)
    clock = Clock(T0)
    with FaultServer({}) as server, WebhookReceiver(SECRET, tolerance=10**9) as hook, SmtpServer() as smtp:
        server.set("/rss.xml", (500, {"Content-Type": "text/plain"}, b"down"))
        config = write_config(tmp_path, server.url("/rss.xml"), hook.url, smtp.port, max_attempts=3)
        app = App(load_config(config), clock=clock)
        try:
            hook.script(503, 503, 503)
            clock.now = T0 + 7 * HOUR
            app.run_once()  # attempt 1 fails
            app.dispatcher.run_due()  # not due yet: no attempt
            assert len(hook.received) == 1
            clock.now += timedelta(minutes=2)
            app.dispatcher.run_due()  # attempt 2
            clock.now += timedelta(minutes=2)
            app.dispatcher.run_due()  # attempt 3: the last
            clock.now += timedelta(minutes=2)
            app.dispatcher.run_due()
            assert len(hook.received) == 3
            assert len({r.headers["webhook-id"] for r in hook.received}) == 1  # same idempotency key
            state, attempts, error = app.store.db.execute(
                "SELECT state, attempts, last_error FROM deliveries WHERE kind = 'feed_warning' AND channel = 'hook'"
            ).fetchone()
            assert (state, attempts) == ("failed", 3) and "gave up after 3 attempts" in error
            logged = app.store.db.execute(
                "SELECT a.result, a.status_code FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
                " WHERE d.kind = 'feed_warning' AND d.channel = 'hook' ORDER BY a.id"
            ).fetchall()
            assert logged == [("retry", 503)] * 3  # what each attempt came to; the delivery is the dead letter
            assert len(smtp.messages) == 1  # the other channels are not held back
        finally:
            app.close()


def test_the_daemon_checks_feed_health_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_HEALTH_SECRET", SECRET)
    with FaultServer({}) as server, WebhookReceiver(SECRET) as hook, SmtpServer() as smtp:
        server.set("/rss.xml", (500, {"Content-Type": "text/plain"}, b"down"))
        app = App(load_config(write_config(tmp_path, server.url("/rss.xml"), hook.url, smtp.port)))
        stop = threading.Event()
        daemon = threading.Thread(target=app.run_forever, args=(stop,), daemon=True)
        try:
            # Added seven hours ago and never polled successfully (warn_after_hours = 6 in this config).
            added = datetime.now(UTC) - 7 * HOUR
            app.store.update_feed(server.url("/rss.xml"), {"created_at": added.isoformat(timespec="seconds")})
            daemon.start()
            assert hook.wait_for(1, timeout=30)
            assert hook.received[0].signature_valid and hook.received[0].json["type"] == "feed.unhealthy"
        finally:
            stop.set()
            if daemon.is_alive():
                daemon.join(timeout=30)
            app.close()
        assert len(hook.received) == 1
