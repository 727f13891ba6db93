"""Dispatcher behaviour across channels: digests, rate limits, JSONL, console, volume control, robustness."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.deliver.channels import Message
from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.policy import Outcome, Result
from monitor.deliver.render import alert_payload
from monitor.models import AlertItem, AlsoPublished
from monitor.schedule.feed_health import FeedWarning, warning_id_for
from monitor.store import outbox
from tests.delivery_servers import SmtpServer
from tests.helpers_delivery import ARTICLE_ROW, T0, FakeClock, attempts, config, make_alert, make_db, states, store


def mail(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "monitor@example.test",
        "to": ["desk@example.test"],
        **extra,
    }


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_digest_every_30_minutes_sends_one_message_per_period(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock(at(0))  # T0 is on a 30-minute boundary
    with SmtpServer() as smtp:
        d = Dispatcher(db_path, config([mail(smtp.port, digest_minutes=30)]), clock)
        for n, minute in ((1, 1), (2, 5), (3, 20)):
            store(db, make_alert(n, created_at=at(minute)), ["mail"])
        clock.now = at(29)
        assert d.run_due().messages == 0  # the period is still open
        clock.now = at(31)
        summary = d.run_due()
        assert summary.messages == 1 and summary.delivered == 3
        store(db, make_alert(4, created_at=at(40)), ["mail"])
        clock.now = at(45)
        assert d.run_due().messages == 0
        clock.now = at(60)
        assert d.run_due().delivered == 1
        d.close()
        assert len(smtp.messages) == 2
        first, second = smtp.messages
    assert first["Subject"] == "[monitor] ملخص: 3 تنبيهات (nato_iraq)"
    body = first.get_body(preferencelist=("html",))
    assert body is not None
    html = body.get_content()
    assert all(make_alert(n).title in html for n in (1, 2, 3)) and make_alert(4).title not in html
    assert first["X-Monitor-Alert-Ids"] == "alrt_0001 alrt_0002 alrt_0003"
    assert second["Subject"] == "[monitor] ملخص: تنبيه واحد (nato_iraq)"
    assert set(states(db_path).values()) == {"delivered"}


def test_daily_digest_in_local_time(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock(at(0))  # 10:00 UTC = 13:00 in Baghdad
    cfg = config([{"name": "file", "type": "jsonl", "path": str(tmp_path / "a.jsonl"),
                   "digest_daily_at": "14:00", "digest_timezone": "Asia/Baghdad"}])  # fmt: skip
    d = Dispatcher(db_path, cfg, clock)
    store(db, make_alert(1, created_at=at(10)), ["file"])
    clock.now = at(59)
    assert d.run_due().messages == 0
    clock.now = at(60)  # 11:00 UTC = 14:00 Baghdad
    assert d.run_due().delivered == 1
    d.close()


def test_rate_limit_holds_back_then_batches_never_drops(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock(at(0))
    with SmtpServer() as smtp:
        cfg = config([mail(smtp.port, rate_limit_count=2, rate_limit_window_minutes=60)])
        d = Dispatcher(db_path, cfg, clock)
        for n in (1, 2):
            store(db, make_alert(n, created_at=clock.now), ["mail"])
            assert d.run_due().delivered == 1
            clock.advance(60)
        for n in (3, 4, 5):
            store(db, make_alert(n, created_at=clock.now), ["mail"])
            assert d.run_due().postponed >= 1
            clock.advance(60)
        assert len(smtp.messages) == 2
        clock.now = at(60) + timedelta(seconds=1)  # the first message leaves the window
        summary = d.run_due()
        d.close()
        assert summary.messages == 1 and summary.delivered == 3
        assert len(smtp.messages) == 3
        assert smtp.messages[2]["X-Monitor-Alert-Ids"] == "alrt_0003 alrt_0004 alrt_0005"
    assert set(states(db_path).values()) == {"delivered"}


def feed_warning(feed_url: str, created_at: datetime) -> FeedWarning:
    since = created_at - timedelta(hours=30)
    return FeedWarning(warning_id_for(feed_url, since), feed_url, "Down Daily", None, since, 5, "HTTP 500", created_at)


def test_feed_warnings_skip_digests_and_the_rate_limit_and_do_not_use_it_up(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock(at(1))
    with SmtpServer() as smtp:
        cfg = config([mail(smtp.port, digest_minutes=30, rate_limit_count=1, rate_limit_window_minutes=60)])
        d = Dispatcher(db_path, cfg, clock)
        store(db, make_alert(1, created_at=at(1)), ["mail"])
        for n, minute in ((1, 1), (2, 2)):
            with db.conn:
                outbox.enqueue(db, feed_warning(f"https://down{n}.test/rss.xml", at(minute)), ["mail"])
            clock.now = at(minute)
            summary = d.run_due()
            assert (summary.messages, summary.delivered, summary.postponed) == (1, 1, 0)  # now, not at 10:30
        clock.now = at(31)
        summary = d.run_due()  # the two warnings did not use up the one message an hour
        d.close()
        assert (summary.messages, summary.delivered, summary.postponed) == (1, 1, 0)
        assert [m["X-Monitor-Feed-Warning"] is not None for m in smtp.messages] == [True, True, False]
        assert smtp.messages[2]["X-Monitor-Alert-Ids"] == "alrt_0001"
    assert set(states(db_path).values()) == {"delivered"}


def test_jsonl_line_is_the_webhook_payload_and_survives_torn_writes(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    path = tmp_path / "out" / "alerts.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"type":"alert.created","data":{"alert_id":"old"}}\n{"type":"alert.cr')  # torn line
    alert = make_alert(1)
    store(db, alert, ["file"])
    with db.conn:
        db.conn.execute(ARTICLE_ROW, ("copy",))
        outbox.record_also_published(db, alert.article_id, "copy", "Al Jazeera", "https://aj.example/1")
    d = Dispatcher(db_path, config([{"name": "file", "type": "jsonl", "path": str(path)}]), FakeClock())
    assert d.run_due().delivered == 1
    d.close()
    lines = path.read_bytes().split(b"\n")
    assert lines[1] == b'{"type":"alert.cr'  # the torn write stays on its own line
    written = json.loads(lines[2])
    expected = alert_payload(AlertItem(alert, (AlsoPublished("copy", "Al Jazeera", "https://aj.example/1"),)))
    assert written == expected
    assert "الناتو" in lines[2].decode()  # readable Arabic, not \u escapes


def test_console_logs_alert_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    alert = make_alert(1)
    store(db, alert, ["console"])
    with caplog.at_level(logging.INFO, logger="monitor.alerts"):
        d = Dispatcher(db_path, config([{"name": "console", "type": "console"}]), FakeClock())
        assert d.run_due().delivered == 1
        d.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "monitor.alerts"]
    assert len(lines) == 1 and alert.alert_id in lines[0] and alert.url in lines[0]


def test_enqueue_is_idempotent_and_part_of_the_callers_transaction(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    alert = make_alert(1)
    assert store(db, alert, ["a", "b", "a"]) is True
    assert store(db, alert, ["a", "b"]) is False
    assert sorted(states(db_path)) == ["alrt_0001:a", "alrt_0001:b"]
    # a failure later in the caller's transaction takes the alert with it
    with pytest.raises(RuntimeError), db.conn:
        db.conn.execute(ARTICLE_ROW, ("art2",))
        outbox.enqueue(db, make_alert(2), ["a"])
        raise RuntimeError("decision insert failed")
    other = sqlite3.connect(db_path)
    assert other.execute("SELECT count(*) FROM alerts WHERE id = 'alrt_0002'").fetchone() == (0,)
    other.close()


def test_foreign_key_to_articles_is_enforced(tmp_path: Path) -> None:
    db = make_db(tmp_path / "m.db")
    with pytest.raises(sqlite3.IntegrityError), db.conn:
        outbox.enqueue(db, make_alert(9), ["a"])  # no article row 'art9'


def test_unknown_or_disabled_channel_is_dead_lettered_with_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    store(db, make_alert(1), ["gone", "off"])
    cfg = config([{"name": "off", "type": "console", "enabled": False}])
    with caplog.at_level(logging.ERROR, logger="monitor.deliver"):
        d = Dispatcher(db_path, cfg, FakeClock())
        assert d.run_due().failed == 2
        d.close()
    assert states(db_path) == {"alrt_0001:gone": "failed", "alrt_0001:off": "failed"}
    messages = [r.getMessage() for r in caplog.records]
    assert any("alrt_0001" in m and "gone" in m and "not in the configuration" in m for m in messages)


class _Boom:
    def send(self, message: Message, now: datetime) -> Outcome:
        raise ValueError("bug in sender")

    def close(self) -> None:
        pass


class _Slow:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def send(self, message: Message, now: datetime) -> Outcome:
        self.entered.set()
        self.release.wait(5)
        return Outcome(Result.DELIVERED)

    def close(self) -> None:
        pass


def test_run_due_never_raises_and_a_sender_bug_is_a_retry(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    store(db, make_alert(1), ["x"])
    clock = FakeClock()
    d = Dispatcher(db_path, config([{"name": "x", "type": "console"}]), clock, senders={"x": _Boom()})
    summary = d.run_due()
    assert summary.retrying == 1
    (got,) = attempts(db_path, "alrt_0001:x")
    assert got[0] == "retry" and "bug in sender" in (got[2] or "")
    d.conn.execute("DROP TABLE delivery_attempts")  # a broken database: logged, not raised
    d.conn.commit()
    clock.advance(5)
    summary = d.run_due()
    d.close()
    assert summary.errors


def test_overlapping_runs_do_not_double_send(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    store(db, make_alert(1), ["x"])
    slow = _Slow()
    d = Dispatcher(db_path, config([{"name": "x", "type": "console"}]), FakeClock(), senders={"x": slow})
    t = threading.Thread(target=d.run_due)
    t.start()
    assert slow.entered.wait(5)
    assert d.run_due().busy  # the scheduler fired again while the first run is still sending
    slow.release.set()
    t.join()
    d.close()
    assert [r for r, _, _ in attempts(db_path, "alrt_0001:x")] == ["delivered"]


def test_restart_resumes_scheduled_retries(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    clock = FakeClock()
    store(db, make_alert(1), ["x"])
    d = Dispatcher(db_path, config([{"name": "x", "type": "console"}]), clock, senders={"x": _Boom()})
    d.run_due()
    d.close()
    clock.advance(5)
    d2 = Dispatcher(db_path, config([{"name": "x", "type": "console"}]), clock)
    assert d2.run_due().delivered == 1
    d2.close()


def test_a_second_dispatcher_on_the_same_database_stands_aside(tmp_path: Path) -> None:
    # e.g. `monitor once` started while the daemon is delivering: flock is per open file, like a process
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    store(db, make_alert(1), ["x"])
    slow = _Slow()
    cfg = config([{"name": "x", "type": "console"}])
    first = Dispatcher(db_path, cfg, FakeClock(), senders={"x": slow})
    second = Dispatcher(db_path, cfg, FakeClock())
    t = threading.Thread(target=first.run_due)
    t.start()
    assert slow.entered.wait(5)
    assert second.run_due().busy
    slow.release.set()
    t.join()
    assert second.run_due().messages == 0  # already delivered by the first
    first.close()
    second.close()
    assert [r for r, _, _ in attempts(db_path, "alrt_0001:x")] == ["delivered"]
