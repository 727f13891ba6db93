"""Shared bits for the delivery tests: sample alerts, a database with the tables delivery needs, a clock."""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.models import Alert, Evidence
from monitor.settings.alerts import AlertsConfig, parse_alerts
from monitor.store import outbox
from monitor.store.connection import open_read_write

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
SECRET2 = "whsec_" + base64.b64encode(b"r" * 32).decode()
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_alert(n: int = 1, **changes: Any) -> Alert:
    sentence = "أعلن حلف الناتو توسيع مهمته في العراق لتدريب القوات العراقية."
    alert = Alert(
        alert_id=f"alrt_{n:04d}",
        article_id=f"art{n}",
        topic="nato_iraq",
        score=0.83,
        threshold=0.5,
        evidence=(
            Evidence(group="nato", term="الناتو", matched="الناتو", start=8, sentence=sentence),
            Evidence(group="iraq", term="العراق", matched="العراق", start=30, sentence=sentence),
        ),
        title=f"الناتو يوسع مهمته في العراق {n}",
        url=f"https://example.com/news/{n}",
        source="BBC Arabic",
        published=T0 - timedelta(minutes=5),
        snippet="قال الأمين العام للحلف إن البعثة ستتوسع.",
        created_at=T0,
        reason="groups nato+iraq in one sentence",
    )
    return replace(alert, **changes)


def make_db(path: Path) -> sqlite_utils.Database:
    """The monitor's database (every table, WAL, FKs enforced), as the store opens it."""
    return open_read_write(Path(path))


ARTICLE_ROW = "INSERT OR IGNORE INTO articles (id, title, text, seen_at, extraction) VALUES (?, '', '', '', 'page')"


def store(db: sqlite_utils.Database, alert: Alert, channels: list[str]) -> bool:
    """What the pipeline does: article row and alert in one transaction."""
    with db.conn:
        db.conn.execute(ARTICLE_ROW, (alert.article_id,))
        return outbox.enqueue(db, alert, channels)


def config(channels: list[dict[str, Any]], **retry: Any) -> AlertsConfig:
    spec: dict[str, Any] = {"retry_delays_seconds": [5, 300, 1800], "retry_jitter": 0.0, **retry}
    spec["channels"] = channels
    return parse_alerts(spec)


def states(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(str(db_path))
    try:
        return dict(conn.execute("SELECT id, state FROM deliveries").fetchall())
    finally:
        conn.close()


def attempts(db_path: Path, delivery_id: str) -> list[tuple[str, int | None, str | None]]:
    conn = sqlite3.connect(str(db_path))
    try:
        return conn.execute(
            "SELECT result, status_code, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        ).fetchall()
    finally:
        conn.close()
