"""Pure delivery decisions: how an attempt's result maps to an outcome, when to retry, rate limits, digests.

No I/O and no clock reads here: the dispatcher passes `now` and a random source in, so tests can check the
decisions exactly.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.fetch.rules import parse_retry_after
from monitor.settings.alerts import Digest, RateLimit, RetryPolicy


class Result(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # temporary: try again later
    FAILED = "failed"  # permanent for this message: dead letter now
    DISABLED = "disabled"  # permanent for the endpoint (HTTP 410): stop sending to this channel


@dataclass(frozen=True)
class Outcome:
    result: Result
    error: str | None = None
    status_code: int | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait


def classify_http(status: int, retry_after: str | None, now: datetime) -> Outcome:
    """Standard Webhooks: 2xx ok; 410 disables the endpoint; 408, 429, 5xx retry; other 4xx/3xx is final."""
    if 200 <= status < 300:
        return Outcome(Result.DELIVERED, status_code=status)
    if status == 410:
        return Outcome(Result.DISABLED, "HTTP 410 Gone: endpoint disabled", status)
    if status in (408, 429) or status >= 500:
        # uncapped here: retry_delay caps it with the channel's own retry.max_retry_after_seconds
        return Outcome(Result.RETRY, f"HTTP {status}", status, parse_retry_after(retry_after, now))
    # 3xx included: redirects are not followed because a signed POST must not be replayed elsewhere
    return Outcome(Result.FAILED, f"HTTP {status} (permanent)", status)


def retry_delay(attempts_made: int, policy: RetryPolicy, rng: random.Random, retry_after: float | None) -> float:
    """Seconds to wait before the next attempt, after `attempts_made` (>= 1) attempts failed.

    Jitter spreads retries so that an outage does not end in a thundering herd. A receiver's Retry-After
    is a floor (capped so a hostile or buggy header cannot park a delivery for a year).
    """
    base = policy.delays[min(max(attempts_made, 1) - 1, len(policy.delays) - 1)]
    delay = base * rng.uniform(1.0 - policy.jitter, 1.0 + policy.jitter) if policy.jitter else base
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return max(0.0, delay)


def rate_limit_wait(sent_at: Sequence[datetime], now: datetime, limit: RateLimit | None) -> float:
    """Seconds until the channel may send another message (0 = now), given when its recent messages went."""
    if limit is None:
        return 0.0
    window = timedelta(seconds=limit.window_seconds)
    recent = sorted(t for t in sent_at if now - window < t <= now)
    if len(recent) < limit.count:
        return 0.0
    # the slot frees when the message that keeps us at the limit leaves the window
    oldest_blocking = recent[len(recent) - limit.count]
    return max(0.0, (oldest_blocking + window - now).total_seconds())


def digest_boundary(digest: Digest, now: datetime) -> datetime | None:
    """The most recent period end at or before `now` (UTC); alerts stored before it belong to a closed period.

    None for immediate channels. Periods of N minutes are aligned to the epoch (so restarts do not shift
    them); daily periods end at `daily_at` in the channel's time zone.
    """
    if digest.every_minutes is not None:
        step = digest.every_minutes * 60
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % step, tz=UTC)
    if digest.daily_at is not None:
        tz = ZoneInfo(digest.timezone)
        local = now.astimezone(tz)
        end = datetime.combine(local.date(), digest.daily_at, tzinfo=tz)
        if end > local:
            end = datetime.combine(local.date() - timedelta(days=1), digest.daily_at, tzinfo=tz)
        return end.astimezone(UTC)
    return None


def digest_period_start(digest: Digest, boundary: datetime) -> datetime:
    """Start of the period that ends at `boundary` (for the digest's heading)."""
    if digest.every_minutes is not None:
        return boundary - timedelta(minutes=digest.every_minutes)
    tz = ZoneInfo(digest.timezone)
    local = boundary.astimezone(tz)
    return datetime.combine(local.date() - timedelta(days=1), local.timetz()).astimezone(UTC)
