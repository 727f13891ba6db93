"""The feeds table: which feeds exist, their fetch validators, schedule and health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.schedule.feed_health import FeedHealth
from monitor.store.times import format_time, parse_time


@dataclass(frozen=True)
class FeedRow:
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None
    interval_seconds: float | None
    consecutive_failures: int
    last_success_at: datetime | None
    items_per_day: float | None
    enabled: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FeedRow:
        return cls(
            url=row["url"],
            name=row["name"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            next_poll_at=parse_time(row["next_poll_at"]),
            interval_seconds=row["interval_seconds"],
            consecutive_failures=row["consecutive_failures"] or 0,
            last_success_at=parse_time(row["last_success_at"]),
            items_per_day=row["items_per_day"],
            enabled=bool(row["enabled"]),
        )


def _new_feed(url: str, name: str, origin: str, enabled: bool, now: datetime) -> dict[str, Any]:
    return {
        "url": url,
        "name": name,
        "origin": origin,
        "enabled": int(enabled),
        "created_at": format_time(now),
        "consecutive_failures": 0,
        "items_seen": 0,
        "possibly_missed_items": 0,
    }


def sync(db: sqlite_utils.Database, feeds: list[tuple[str, str, bool]], now: datetime) -> None:
    for url, name, enabled in feeds:
        if db.execute("SELECT url FROM feeds WHERE url = ?", [url]).fetchone():
            db.table("feeds").update(url, {"name": name, "enabled": int(enabled)})
        else:
            db.table("feeds").insert(_new_feed(url, name, "config", enabled, now))


def add(db: sqlite_utils.Database, url: str, name: str, now: datetime, origin: str) -> bool:
    if db.execute("SELECT 1 FROM feeds WHERE url = ?", [url]).fetchone():
        return False
    db.table("feeds").insert(_new_feed(url, name, origin, True, now))
    return True


def disable(db: sqlite_utils.Database, url: str) -> bool:
    return db.execute("UPDATE feeds SET enabled = 0 WHERE url = ?", [url]).rowcount > 0


def rows(db: sqlite_utils.Database, enabled_only: bool) -> list[dict[str, Any]]:
    where = "WHERE enabled = 1" if enabled_only else ""
    return list(db.query(f"SELECT * FROM feeds {where} ORDER BY name"))


def due(db: sqlite_utils.Database, now: datetime) -> list[FeedRow]:
    found = db.query(
        "SELECT * FROM feeds WHERE enabled = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?) "
        "ORDER BY next_poll_at IS NOT NULL, next_poll_at",
        [format_time(now)],
    )
    return [FeedRow.from_row(r) for r in found]


def update(db: sqlite_utils.Database, url: str, values: dict[str, Any]) -> None:
    """Set columns of one feed; datetime values are stored in the one time format."""
    stored = {k: format_time(v) if isinstance(v, datetime) else v for k, v in values.items()}
    db.table("feeds").update(url, stored)


def health(db: sqlite_utils.Database, now: datetime) -> list[FeedHealth]:
    """The enabled feeds as the feed-health rule sees them."""
    return [
        FeedHealth(
            url=r["url"],
            name=r["name"],
            added_at=parse_time(r["created_at"]) or now,
            last_success_at=parse_time(r["last_success_at"]),
            consecutive_failures=r["consecutive_failures"] or 0,
            last_error=r["last_error"],
        )
        for r in rows(db, enabled_only=True)
    ]
