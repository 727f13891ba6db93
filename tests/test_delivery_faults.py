"""Delivery under faults: a full database disk (a real small tmpfs), a hanging channel, stopping mid-queue.

Counted at a real webhook receiver and a real SMTP server (aiosmtpd): nothing lost, nothing doubled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.deliver.channels import Message, Sender, make_sender
from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.policy import Outcome
from tests.delivery_servers import Reply, SmtpServer, WebhookReceiver
from tests.fake_clock import FakeClock
from tests.helpers_delivery import SECRET, config, make_alert, make_db, states, store


def _mail(port: int) -> dict[str, Any]:
    return {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "monitor@example.test",
        "to": ["desk@example.test"],
        "timeout_seconds": 5,
    }


def _hook(url: str, timeout: float = 5) -> dict[str, Any]:
    return {"name": "hook", "type": "webhook", "url": url, "secrets": [SECRET], "timeout_seconds": timeout}


@contextlib.contextmanager
def small_filesystem(tmp_path: Path, megabytes: int = 4) -> Iterator[Path]:
    """A small tmpfs: a disk that really fills. Skips where the sandbox does not allow mounting."""
    mount = tmp_path / "disk"
    mount.mkdir()
    size = f"size={megabytes}m"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system holding `folder` to the last byte."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:
        for size in (65536, 512, 1):  # down to the last partial block
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def received_ids(rx: WebhookReceiver, smtp: SmtpServer) -> tuple[Counter[str], Counter[str]]:
    hooks = Counter(r.headers["webhook-id"] for r in rx.received)
    mails = Counter(str(m["Message-ID"]) for m in smtp.messages)
    return hooks, mails


def test_a_full_database_disk_sends_nothing_it_cannot_record(tmp_path: Path) -> None:
    with small_filesystem(tmp_path) as disk, WebhookReceiver(SECRET) as rx, SmtpServer() as smtp:
        db_path = disk / "m.db"
        db = make_db(db_path)
        for n in (1, 2, 3):
            store(db, make_alert(n), ["hook", "mail"])
        db.conn.close()
        d = Dispatcher(db_path, config([_hook(rx.url), _mail(smtp.port)]), FakeClock())
        filler = fill(disk)
        try:
            summary = d.run_due()
            assert rx.received == [] and smtp.messages == []  # nothing went out that could not be recorded
            assert summary.paused and summary.delivered == 0
        finally:
            filler.unlink()
        summary = d.run_due()
        assert summary.delivered == 6 and not summary.paused
        assert d.run_due().messages == 0
        d.close()
        hooks, mails = received_ids(rx, smtp)
        assert sorted(hooks.values()) == [1, 1, 1] and sorted(mails.values()) == [1, 1, 1]
        assert set(states(db_path).values()) == {"delivered"}


class _FillsTheDiskAfterSending:
    """The real sender; the disk fills while the message is on the wire, so only its record fails."""

    def __init__(self, inner: Sender, disk: Path) -> None:
        self.inner, self.disk, self.filler = inner, disk, None

    def send(self, message: Message, now: datetime) -> Outcome:
        outcome = self.inner.send(message, now)
        if self.filler is None:
            self.filler = fill(self.disk)
        return outcome

    def close(self) -> None:
        self.inner.close()


def test_an_outcome_the_full_disk_refused_is_written_later_not_sent_again(tmp_path: Path) -> None:
    with small_filesystem(tmp_path) as disk, WebhookReceiver(SECRET) as rx:
        db_path = disk / "m.db"
        db = make_db(db_path)
        for n in (1, 2, 3):
            store(db, make_alert(n), ["hook"])
        db.conn.close()
        cfg = config([_hook(rx.url)])
        channel = cfg.channel("hook")
        assert channel is not None
        sender = _FillsTheDiskAfterSending(make_sender(channel), disk)
        d = Dispatcher(db_path, cfg, FakeClock(), senders={"hook": sender})
        summary = d.run_due()
        assert len(rx.received) == 1
        again = d.run_due()
        assert len(rx.received) == 1  # still full: the dispatcher waits rather than send it again
        assert summary.paused and summary.delivered == 0  # sent, but not counted: not committed
        assert again.paused
        assert sender.filler is not None
        sender.filler.unlink()
        summary = d.run_due()
        assert summary.delivered == 3
        d.close()
        hooks = Counter(r.headers["webhook-id"] for r in rx.received)
        assert sorted(hooks) == ["alrt_0001", "alrt_0002", "alrt_0003"] and set(hooks.values()) == {1}
        assert set(states(db_path).values()) == {"delivered"}


def test_a_hanging_webhook_does_not_delay_email_or_stopping(tmp_path: Path) -> None:
    db_path = tmp_path / "m.db"
    db = make_db(db_path)
    for n in range(1, 7):
        store(db, make_alert(n), ["hook", "mail"])
    db.conn.close()
    with WebhookReceiver(SECRET) as rx, SmtpServer() as smtp:
        rx.script(*[Reply(delay=3.0)] * 6)  # every answer comes after the 1 s timeout
        d = Dispatcher(db_path, config([_hook(rx.url, timeout=1), _mail(smtp.port)]), FakeClock())
        started = time.monotonic()
        d.run_due(wait=False)
        assert smtp.wait_for(6, timeout=3.0), "emails waited for the hanging webhook"
        emails_at = time.monotonic() - started
        assert rx.wait_for(1, timeout=2.0)
        stopping = time.monotonic()
        d.stop()
        assert d.wait_idle(timeout=3.0)  # the one attempt in flight, not the five behind it
        stopped_in = time.monotonic() - stopping
        d.close()
    assert emails_at < 3.0 and stopped_in < 2.5
    assert len(rx.received) < 6  # the rest wait for the next start
    left = states(db_path)
    assert all(left[f"alrt_{n:04d}:mail"] == "delivered" for n in range(1, 7))
    assert any(left[f"alrt_{n:04d}:hook"] == "pending" for n in range(1, 7))
    assert os.path.exists(db_path)


def test_monitor_run_sends_email_on_time_and_stops_promptly_with_a_hanging_webhook(tmp_path: Path) -> None:
    from tests.config_files import email_channel, jsonl_channel, write_config
    from tests.test_daemon import start_daemon, wait_until

    with WebhookReceiver(SECRET) as rx, SmtpServer() as smtp:
        config = write_config(
            tmp_path,
            database="monitor.db",
            ops={"enabled": False},
            channels=[
                {"type": "webhook", "name": "hook", "url": rx.url, "secret_env": "E2E_WEBHOOK_SECRET",
                 "timeout_seconds": 2},
                email_channel(smtp.port, "analyst@example.test"),
                jsonl_channel(tmp_path),
            ],
        ).config
        db = make_db(tmp_path / "monitor.db")
        for n in range(1, 7):
            store(db, make_alert(n, created_at=datetime.now(UTC)), ["hook", "mail", "file"])
        db.conn.close()
        rx.script(*[Reply(delay=30.0)] * 6)  # every webhook attempt hangs past its 2 s timeout
        started = time.monotonic()
        daemon = start_daemon(config, tmp_path / "daemon.log")
        try:
            assert wait_until(lambda: len(smtp.messages) >= 6, 30), (tmp_path / "daemon.log").read_text()[-3000:]
            emails_in = time.monotonic() - started
            assert rx.wait_for(1, timeout=10)
            stopping = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
            stopped_in = time.monotonic() - stopping
        finally:
            if daemon.poll() is None:
                daemon.kill()
    # six hanging attempts in a row would take 12 s before the first email and 12 s to stop
    assert emails_in < 10, emails_in
    assert stopped_in < 6, stopped_in
    assert len(smtp.messages) == 6
