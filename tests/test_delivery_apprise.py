"""The apprise channel against a real receiver on 127.0.0.1 (Apprise's json:// service), through the outbox:
one delivery per URL, each with its own attempts, retries and dead letter; secrets stay out of errors."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("apprise")

from monitor.deliver.channels import Message, make_sender
from monitor.deliver.dispatcher import Dispatcher
from monitor.errors import ConfigError
from monitor.models import AlertItem
from monitor.settings.alerts import AppriseChannel, AppriseTarget, target_name
from tests.helpers_delivery import FakeClock, attempts, config, make_alert, make_db, states, store

TOKEN = "s3cr3tT0kenXYZ"


class Receiver:
    """Records every POST; answers each path's scripted statuses in order, then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.scripts: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}  # seconds a path waits before answering
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((self.path, json.loads(body)))
                script = receiver.scripts.get(self.path, [])
                time.sleep(receiver.delays.get(self.path, 0.0))
                self.send_response(script.pop(0) if script else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False  # a slow answer still sleeping must not hold up the teardown
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.server.server_port}{path}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.close()


def chat(**extra: Any) -> dict[str, Any]:
    return {"name": "chat", "type": "apprise", "urls_env": "MONITOR_TEST_APPRISE_URLS", **extra}


def test_each_url_is_its_own_delivery_with_retries(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = receiver.url("/a"), receiver.url(f"/b/{TOKEN}")
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", f"{first}, {second}")
    receiver.scripts[f"/b/{TOKEN}"] = [500]
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    cfg = config([chat()])
    names = cfg.channel_names_for("nato_iraq")
    assert names == [target_name("chat", first), target_name("chat", second)]
    assert store(db, make_alert(1), names)
    clock = FakeClock()
    dispatcher = Dispatcher(db_path, cfg, clock)
    try:
        # urllib3 (under Apprise) logs request paths at DEBUG, as every HTTP client does; monitor's own
        # loggers must not, at any level
        caplog.set_level(logging.INFO)
        caplog.set_level(logging.DEBUG, logger="monitor")
        summary = dispatcher.run_due()
        # the second URL's 500 does not hold the first back
        assert (summary.delivered, summary.retrying) == (1, 1)
        ok, failing = (f"alrt_0001:{n}" for n in names)
        assert states(db_path) == {ok: "delivered", failing: "pending"}
        (result, _, error), = attempts(db_path, failing)
        assert result == "retry" and "500" in error
        clock.advance(6)  # past the first retry delay (5 s, no jitter)
        assert dispatcher.run_due().delivered == 1
        assert states(db_path) == {ok: "delivered", failing: "delivered"}
    finally:
        dispatcher.close()
    assert sorted(receiver.paths()) == ["/a", f"/b/{TOKEN}", f"/b/{TOKEN}"]
    # the URL's token is in no log line and no recorded error
    assert TOKEN not in caplog.text
    assert all(TOKEN not in (e or "") for _, _, e in attempts(db_path, failing))
    payload = next(p for path, p in receiver.requests if path == "/a")
    assert payload["title"] == "nato_iraq: الناتو يوسع مهمته في العراق 1"
    assert "**الناتو**" in payload["message"] and "**العراق**" in payload["message"]
    assert "المقاطع المطابقة" in payload["message"] or "سبب التنبيه" in payload["message"]


def test_a_url_that_keeps_failing_is_dead_lettered_alone(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = receiver.url("/good"), receiver.url("/bad")
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", f"{bad} {good}")
    receiver.scripts["/bad"] = [500, 503, 500, 503]
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    cfg = config([chat(max_attempts=2)])
    names = cfg.channel_names_for("nato_iraq")
    store(db, make_alert(1), names)
    store(db, make_alert(2), names)
    clock = FakeClock()
    dispatcher = Dispatcher(db_path, cfg, clock)
    try:
        dispatcher.run_due()
        clock.advance(6)
        summary = dispatcher.run_due()
    finally:
        dispatcher.close()
    bad_name, good_name = names
    assert summary.failed == 2
    assert states(db_path) == {
        f"alrt_0001:{bad_name}": "failed",
        f"alrt_0002:{bad_name}": "failed",
        f"alrt_0001:{good_name}": "delivered",
        f"alrt_0002:{good_name}": "delivered",
    }
    # the second failed attempt used up max_attempts: no third one
    assert [r for r, _, _ in attempts(db_path, f"alrt_0001:{bad_name}")] == ["retry", "retry"]
    assert receiver.paths().count("/good") == 2


def test_target_names_are_stable_and_a_removed_url_is_not_resent_elsewhere(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = receiver.url("/one"), receiver.url("/two")
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", f"{one} {two}")
    cfg = config([chat()])
    names = cfg.channel_names_for("t")
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", f"{two} {one} {one}")  # reordered, repeated
    assert sorted(cfg.channel_names_for("t")) == sorted(names)
    target = cfg.channel(names[1])
    assert isinstance(target, AppriseTarget) and target.url == two and TOKEN not in repr(target)

    db_path = tmp_path / "m.db"
    store(make_db(db_path), make_alert(1), names)
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", two)  # /one taken out before it was sent
    dispatcher = Dispatcher(db_path, cfg, FakeClock())
    try:
        dispatcher.run_due()
    finally:
        dispatcher.close()
    assert states(db_path) == {f"alrt_0001:{names[0]}": "failed", f"alrt_0001:{names[1]}": "delivered"}
    assert receiver.paths() == ["/two"]


def test_unset_variable_fails_at_start_and_queues_on_the_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_TEST_APPRISE_URLS", raising=False)
    cfg = config([chat()])
    with pytest.raises(ConfigError) as err:
        cfg.require_secrets()
    assert err.value.key == "alerts.channels[0].urls_env"
    assert cfg.channel_names_for("t") == ["chat"]  # kept in the dead letter for `alerts retry`
    db_path = tmp_path / "m.db"
    store(make_db(db_path), make_alert(1), ["chat"])
    dispatcher = Dispatcher(db_path, cfg, FakeClock())
    try:
        dispatcher.run_due()
    finally:
        dispatcher.close()
    assert states(db_path) == {"alrt_0001:chat": "failed"}
    assert "MONITOR_TEST_APPRISE_URLS" in (attempts(db_path, "alrt_0001:chat")[0][2] or "")


def test_channel_sender_sends_to_every_url_and_names_the_failing_one(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", f"{receiver.url('/x')} {receiver.url('/y')}")
    receiver.scripts["/y"] = [500]
    channel = config([chat()]).channels[0]
    assert isinstance(channel, AppriseChannel)
    sender = make_sender(channel)
    alert = make_alert(1)
    outcome = sender.send(Message(alert.alert_id, (AlertItem(alert),)), alert.created_at)
    assert outcome.result.value == "retry" and outcome.error is not None and outcome.error.startswith("URL 2 of 2")
    assert receiver.paths() == ["/x", "/y"]


def test_unknown_service_is_a_permanent_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", "nosuchservice://abc/def")
    cfg = config([chat()])
    (name,) = cfg.channel_names_for("t")
    db_path = tmp_path / "m.db"
    store(make_db(db_path), make_alert(1), [name])
    dispatcher = Dispatcher(db_path, cfg, FakeClock())
    try:
        dispatcher.run_due()
    finally:
        dispatcher.close()
    assert states(db_path) == {f"alrt_0001:{name}": "failed"}
    assert "nosuchservice://" in (attempts(db_path, f"alrt_0001:{name}")[0][2] or "")


def test_text_format_and_english_labels(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", receiver.url("/t"))
    cfg = config([chat(body_format="text")], language="en", timezone="Europe/London")
    (target,) = (cfg.channel(n) for n in cfg.channel_names_for("t"))
    assert target is not None
    alert = make_alert(1)
    assert make_sender(target).send(Message(alert.alert_id, (AlertItem(alert),)), alert.created_at).result.value == (
        "delivered"
    )
    (_, payload), = receiver.requests
    assert "«الناتو»" in payload["message"] and "**" not in payload["message"]
    assert "Why:" in payload["message"] and "Europe/London" in payload["message"]


def test_a_slow_receiver_is_a_timeout_and_retried(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_TEST_APPRISE_URLS", receiver.url("/slow"))
    receiver.delays["/slow"] = 3.0
    cfg = config([chat(timeout_seconds=0.5)])
    (target,) = (cfg.channel(n) for n in cfg.channel_names_for("t"))
    assert target is not None
    alert = make_alert(1)
    started = time.monotonic()
    outcome = make_sender(target).send(Message(alert.alert_id, (AlertItem(alert),)), alert.created_at)
    assert time.monotonic() - started < 2.5
    assert outcome.result.value == "retry" and outcome.error is not None and outcome.error.startswith("json://")
