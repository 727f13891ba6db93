"""Which feeds have gone too long without a successful poll: a pure rule, clock passed in.

    stale_feeds(feeds, now, warn_after) -> list[FeedWarning]

A feed is stale when `now - (last success, or when it was added if it never succeeded) >= warn_after`.
The warning's id is derived from the feed and that reference time, so it is stable while the feed stays
stale (the outbox stores it once: never sent twice) and changes only once the feed has succeeded again
(a new last success): a feed that recovers and goes stale again raises a new warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FeedHealth:
    url: str
    name: str
    added_at: datetime
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class FeedWarning:
    """One "feed unhealthy" warning, as stored in the outbox and rendered by the channels."""

    warning_id: str  # stable: the idempotency key (webhook-id, Message-ID)
    feed_url: str
    feed_name: str
    last_success_at: datetime | None  # None: never succeeded since it was added
    since: datetime  # the reference time: last success, or when the feed was added
    consecutive_failures: int
    last_error: str | None
    created_at: datetime

    @property
    def hours_without_success(self) -> float:
        return (self.created_at - self.since).total_seconds() / 3600


def warning_id_for(feed_url: str, since: datetime) -> str:
    digest = hashlib.sha256(f"{feed_url}\n{since.isoformat()}".encode()).hexdigest()[:24]
    return f"feedwarn_{digest}"


def stale_feeds(feeds: Iterable[FeedHealth], now: datetime, warn_after: timedelta) -> list[FeedWarning]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if warn_after <= timedelta(0):  # 0 = warnings off
        return []
    out: list[FeedWarning] = []
    for feed in feeds:
        since = feed.last_success_at or feed.added_at
        if now - since < warn_after:
            continue
        out.append(
            FeedWarning(
                warning_id=warning_id_for(feed.url, since),
                feed_url=feed.url,
                feed_name=feed.name,
                last_success_at=feed.last_success_at,
                since=since,
                consecutive_failures=feed.consecutive_failures,
                last_error=feed.last_error,
                created_at=now,
            )
        )
    return out
