"""Pure HTTP rules shared by fetching and delivery: what a status code means for polling, Retry-After,
Cache-Control max-age. No I/O and no clock reads: callers pass `now`."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from monitor.models import FetchStatus

# A server may ask for any Retry-After; a fetch honours up to a day so a typo or a hostile value cannot
# park a host forever (the feed is never dropped, only delayed).
MAX_RETRY_AFTER_SECONDS = 86_400.0
# 429 without Retry-After still means "slow down": pause the host this long.
DEFAULT_429_PAUSE_SECONDS = 60.0
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def status_for_http(code: int) -> FetchStatus:
    """What a final (non-redirect) HTTP status code means for polling."""
    if 200 <= code < 300:
        return FetchStatus.OK
    if code == 304:
        return FetchStatus.NOT_MODIFIED
    if code in (408, 425, 429) or code >= 500:
        return FetchStatus.TEMPORARY
    if code == 410:  # the server says it is gone for good
        return FetchStatus.HARD
    return FetchStatus.SOFT


def parse_retry_after(value: str | None, now: datetime, *, cap: float | None = None) -> float | None:
    """Retry-After (delta-seconds or HTTP-date, RFC 9110 §10.2.3) as seconds from `now`.

    Never negative; at most `cap` seconds when a cap is given. None when absent or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    seconds: float
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max((when - now).total_seconds(), 0.0)
    return seconds if cap is None else min(seconds, cap)


_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """Cache-Control max-age in seconds (None when absent or no-cache/no-store)."""
    value = next((v for k, v in headers.items() if k.lower() == "cache-control"), None)
    if not value:
        return None
    lowered = value.lower()
    if "no-cache" in lowered or "no-store" in lowered:
        return None
    ages = [int(m.group(2)) for m in _MAX_AGE.finditer(value) if m.group(1).lower() == "max-age"]
    return float(ages[0]) if ages else None
