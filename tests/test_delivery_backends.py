"""Delivery on both backends: the dispatcher over the SQLite outbox and over the PostgreSQL one, with the
same digests, rate limits, feed warnings, retries and crash recovery; and on PostgreSQL, several workers'
dispatchers on one database sending each delivery once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.cli.main import main
from monitor.deliver.channels import Message
from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.policy import Outcome, Result
from monitor.models import Alert, Decision, ExtractedText, NearCopy
from monitor.schedule.feed_health import FeedWarning, warning_id_for
from monitor.settings.alerts import AlertsConfig
from monitor.store.articles import NewArticle
from monitor.store.database import Store
from monitor.store.opening import open_postgres_outbox, open_store
from monitor.store.outbox import AttemptRecord
from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.fake_clock import FakeClock
from tests.helpers_delivery import SECRET, T0, config, make_alert
from tests.test_delivery_cli import cli_config, run


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Backend:
    """One database, SQLite or PostgreSQL, as the pipeline writes it and the dispatcher reads it."""

    path: Path
    url: str | None
    store: Store

    def queue(self, alert: Alert, channels: list[str]) -> None:
        article = NewArticle(
            article_id=alert.article_id, canonical_url=f"https://news.test/{alert.article_id}", url=alert.url,
            feed_url=None, guid=None, source=alert.source, extracted=ExtractedText(alert.title, "نص", "ar", "page"),
            summary="", published=alert.published, seen_at=alert.created_at,
        )
        decision = Decision(alert.article_id, NearCopy(None, 0.0), ())
        assert self.store.record_article(article, decision, [alert], lambda topic: channels) == 1

    def dispatcher(self, alerts: AlertsConfig, clock: FakeClock, **kwargs: object) -> Dispatcher:
        if self.url is None:
            return Dispatcher(self.path, alerts, clock, **kwargs)  # type: ignore[arg-type]
        return Dispatcher(None, alerts, clock, outbox_store=open_postgres_outbox(self.url), **kwargs)  # type: ignore[arg-type]

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        if self.url is None:
            with self.store.transaction() as db:
                return [tuple(r) for r in db.conn.execute(sql).fetchall()]
        with psycopg.connect(self.url) as conn:
            return list(conn.execute(sql).fetchall())

    def states(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.rows("SELECT id, state FROM deliveries")}

    def attempt_results(self) -> list[str]:
        return [str(r) for (r,) in self.rows("SELECT result FROM delivery_attempts ORDER BY id")]


@pytest.fixture
def backend(tmp_path: Path, backend_url: str | None) -> Iterator[Backend]:
    path = tmp_path / "m.db"
    store = open_store(path, backend_url)
    try:
        yield Backend(path, backend_url, store)
    finally:
        store.close()


class Recording:
    """A sender that keeps what it is asked to send (the message ids), answering `result`."""

    def __init__(self, result: Result = Result.DELIVERED) -> None:
        self.result = result
        self.sent: list[Message] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def send(self, message: Message, now: datetime) -> Outcome:
        self.sent.append(message)
        self.entered.set()
        self.release.wait(10)
        return Outcome(self.result, None if self.result is Result.DELIVERED else "HTTP 503")

    def close(self) -> None:
        pass


def mail(port: int, **extra: object) -> dict[str, object]:
    from tests.config_files import email_channel

    return email_channel(port, "desk@example.test", **extra)


def test_digest_sends_one_message_per_period(backend: Backend) -> None:
    clock = FakeClock(at(0))
    with SmtpServer() as smtp:
        d = backend.dispatcher(config([mail(smtp.port, digest_minutes=30)]), clock)
        for n, minute in ((1, 1), (2, 5), (3, 20)):
            backend.queue(make_alert(n, created_at=at(minute)), ["mail"])
        clock.now = at(29)
        assert d.run_due().messages == 0
        clock.now = at(31)
        summary = d.run_due()
        assert (summary.messages, summary.delivered) == (1, 3)
        backend.queue(make_alert(4, created_at=at(40)), ["mail"])
        clock.now = at(60)
        assert d.run_due().delivered == 1
        d.close()
        assert [m["X-Monitor-Alert-Ids"] for m in smtp.messages] == ["alrt_0001 alrt_0002 alrt_0003", "alrt_0004"]
    assert set(backend.states().values()) == {"delivered"}


def test_rate_limit_holds_back_then_batches(backend: Backend) -> None:
    clock = FakeClock(at(0))
    with SmtpServer() as smtp:
        d = backend.dispatcher(config([mail(smtp.port, rate_limit_count=2, rate_limit_window_minutes=60)]), clock)
        for n in (1, 2):
            backend.queue(make_alert(n, created_at=clock.now), ["mail"])
            assert d.run_due().delivered == 1
            clock.advance(60)
        for n in (3, 4, 5):
            backend.queue(make_alert(n, created_at=clock.now), ["mail"])
            assert d.run_due().postponed >= 1
            clock.advance(60)
        assert len(smtp.messages) == 2
        clock.now = at(60) + timedelta(seconds=1)
        summary = d.run_due()
        d.close()
        assert (summary.messages, summary.delivered) == (1, 3)
        assert smtp.messages[2]["X-Monitor-Alert-Ids"] == "alrt_0003 alrt_0004 alrt_0005"
    assert set(backend.states().values()) == {"delivered"}


def test_feed_warnings_skip_the_digest(backend: Backend) -> None:
    clock = FakeClock(at(1))
    sender = Recording()
    d = backend.dispatcher(config([{"name": "x", "type": "console", "digest_minutes": 30}]), clock,
                           senders={"x": sender})
    backend.queue(make_alert(1, created_at=at(1)), ["x"])
    since = at(1) - timedelta(hours=30)
    warning = FeedWarning(warning_id_for("https://down.test/rss", since), "https://down.test/rss", "Down", None,
                          since, 5, "HTTP 500", at(1))
    assert backend.store.queue_feed_warning(warning, ["x"])
    assert not backend.store.queue_feed_warning(warning, ["x"])  # once per stale spell
    assert d.run_due().delivered == 1
    assert sender.sent[0].warning is not None
    clock.now = at(31)
    assert d.run_due().delivered == 1
    d.close()
    assert [list(m.alert_ids) for m in sender.sent[1:]] == [["alrt_0001"]]


def test_retries_then_dead_letter_and_restart_resumes(backend: Backend) -> None:
    clock = FakeClock(at(0))
    failing = Recording(Result.RETRY)
    cfg = config([{"name": "x", "type": "console"}], max_attempts=3)
    d = backend.dispatcher(cfg, clock, senders={"x": failing})
    backend.queue(make_alert(1), ["x"])
    assert d.run_due().retrying == 1
    clock.advance(4)
    assert d.run_due().messages == 0  # the retry is not due yet
    d.close()
    clock.advance(2)
    d2 = backend.dispatcher(cfg, clock)  # a new process: the scheduled retry is in the database
    assert d2.run_due().delivered == 1
    d2.close()
    assert backend.attempt_results() == ["retry", "delivered"]



def delivered_once_the_lock_is_free(dispatcher: Dispatcher, within: float = 10.0) -> int:
    """Deliveries of the first run that delivers any: on PostgreSQL a closed session's channel lock is freed
    when the server has ended that session's backend, a moment after the client closed it."""
    deadline = time.monotonic() + within
    delivered = dispatcher.run_due().delivered
    while delivered == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        delivered = dispatcher.run_due().delivered
    return delivered


def test_a_send_whose_outcome_was_never_recorded_is_sent_again_with_its_message_id(backend: Backend) -> None:
    # a worker killed between the send and its record: the reservation is all that is left
    clock = FakeClock(at(0))
    cfg = config([{"name": "x", "type": "console"}])
    backend.queue(make_alert(1), ["x"])
    dead = backend.dispatcher(cfg, clock)
    (row,) = dead.outbox.pending()
    dead.outbox.reserve_attempt([row], "msg-1", clock.now)
    dead.outbox.close()  # the process is gone: its session (and channel lock) with it
    sender = Recording()
    d = backend.dispatcher(cfg, clock, senders={"x": sender})
    assert delivered_once_the_lock_is_free(d) == 1
    d.close()
    assert [m.message_id for m in sender.sent] == [make_alert(1).alert_id]
    assert backend.attempt_results() == ["interrupted", "delivered"]


# --- several workers on one PostgreSQL database ----------------------------------------------------------


def test_two_workers_dispatchers_send_each_delivery_once(pg_url: str, tmp_path: Path) -> None:
    store = open_store(tmp_path / "unused.db", pg_url)
    backend = Backend(tmp_path, pg_url, store)
    clock = FakeClock(at(0))
    cfg = config([{"name": "a", "type": "console"}, {"name": "b", "type": "console"}])
    senders = [{"a": Recording(), "b": Recording()} for _ in range(2)]
    workers = [backend.dispatcher(cfg, clock, senders=s) for s in senders]  # type: ignore[arg-type]
    for n in range(1, 41):
        backend.queue(make_alert(n), ["a", "b"])
    for _ in range(3):
        runs = [threading.Thread(target=w.run_due) for w in workers]
        for t in runs:
            t.start()
        for t in runs:
            t.join()
    for w in workers:
        w.close()
    for channel in ("a", "b"):
        sent = [m.message_id for s in senders for m in s[channel].sent]
        assert sorted(sent) == sorted(make_alert(n).alert_id for n in range(1, 41))  # each once
    assert set(backend.states().values()) == {"delivered"}
    store.close()


def test_a_channel_stays_with_its_worker_until_that_worker_goes(pg_url: str, tmp_path: Path) -> None:
    store = open_store(tmp_path / "unused.db", pg_url)
    backend = Backend(tmp_path, pg_url, store)
    clock = FakeClock(at(0))
    cfg = config([{"name": "x", "type": "console"}])
    slow, other = Recording(), Recording()
    slow.release.clear()
    first = backend.dispatcher(cfg, clock, senders={"x": slow})
    second = backend.dispatcher(cfg, clock, senders={"x": other})
    backend.queue(make_alert(1), ["x"])
    t = threading.Thread(target=first.run_due)
    t.start()
    assert slow.entered.wait(5)
    assert second.run_due().messages == 0  # the channel is the first worker's while it is sending
    assert second.outbox.pending() == []
    slow.release.set()
    t.join()
    backend.queue(make_alert(2), ["x"])
    first.outbox.close()  # the first worker's connection is gone (killed, network lost)
    assert delivered_once_the_lock_is_free(second) == 1
    assert [list(m.alert_ids) for m in other.sent] == [["alrt_0002"]]
    first.close()
    second.close()
    store.close()


def test_a_reservation_fails_once_the_channel_is_lost(pg_url: str, tmp_path: Path) -> None:
    store = open_store(tmp_path / "unused.db", pg_url)
    backend = Backend(tmp_path, pg_url, store)
    backend.queue(make_alert(1), ["x"])
    clock = FakeClock(at(0))
    cfg = config([{"name": "x", "type": "console"}])
    first, second = (backend.dispatcher(cfg, clock) for _ in range(2))
    (row,) = first.outbox.pending()
    first.outbox.close()  # connection lost: the lock with it (freed once the server has ended that session)
    deadline = time.monotonic() + 10
    while not second.outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(second.outbox.pending()) == 1  # the other worker takes the channel
    with pytest.raises(Exception, match="another worker"):
        first.outbox.reserve_attempt([row], "m", clock.now)  # nothing may be sent by the first now
    reservation = second.outbox.reserve_attempt([row], "m", clock.now)
    second.outbox.finish_attempt(reservation, AttemptRecord("m", clock.now, clock.now, "delivered", 200, None),
                                 new_status="delivered", next_attempt_at=None)
    first.close()
    second.close()
    assert backend.states() == {"alrt_0001:x": "delivered"}
    store.close()


def test_the_alerts_commands_list_and_requeue_on_either_backend(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend.url:  # the same config file; the environment points it at PostgreSQL
        monkeypatch.setenv("MONITOR_DATABASE_URL", backend.url)
    with WebhookReceiver(SECRET) as rx:
        cfg_path = cli_config(tmp_path, rx.url)
        rx.script(400)
        backend.queue(make_alert(1), ["hook"])
        d = backend.dispatcher(config([{"name": "hook", "type": "webhook", "url": rx.url, "secrets": [SECRET]}]),
                               FakeClock(at(0)))
        d.run_due()
        assert backend.states() == {"alrt_0001:hook": "failed"}
        assert run(["alerts", "list", "--failed", "--config", str(cfg_path)]) == 0
        out = capsys.readouterr().out
        assert "alrt_0001:hook  FAILED" in out and "HTTP 400 (permanent)" in out and make_alert(1).title[:20] in out
        assert run(["alerts", "retry", "alrt_0001", "--config", str(cfg_path)]) == 0
        assert "re-queued alrt_0001:hook" in capsys.readouterr().out
        assert backend.states() == {"alrt_0001:hook": "pending"}
        d.close()


def test_db_prune_clears_old_texts_on_either_backend_and_check_refuses_postgresql(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend.url:
        monkeypatch.setenv("MONITOR_DATABASE_URL", backend.url)
    cfg_path = cli_config(tmp_path, "http://127.0.0.1:9/hook")
    old = datetime.now(UTC) - timedelta(days=40)
    article = NewArticle(
        article_id="a_old", canonical_url="https://news.test/a_old", url="https://news.test/a_old", feed_url=None,
        guid=None, source="s", extracted=ExtractedText("عنوان قديم", "نص قديم عن الطقس", "ar", "page"),
        summary="", published=old, seen_at=old,
    )
    backend.store.record_article(article, Decision("a_old", NearCopy(None, 0.0), ()), [], lambda topic: [])
    assert main(["db", "prune", "--config", str(cfg_path), "--older-than-days", "30"]) == 0
    assert "cleared the text of 1 articles" in capsys.readouterr().out
    assert backend.rows("SELECT text FROM articles WHERE id = 'a_old'") == [("",)]
    if backend.url:  # check and backup work on a SQLite file: refused with what to use instead
        assert main(["db", "check", "--config", str(cfg_path)]) == 1
        assert "pg_dump" in capsys.readouterr().err
