"""Dates as feeds and corpus files write them: RFC 822/2822 (`Thu, 01 Mar 2018 02:28:09 +0400`), ISO 8601
with or without a zone (`2015-07-21 10:00:00`, `2018-03-01T02:28:09Z`), or a bare date.

One parser for every reader, from the standard library: email.utils knows the RSS pubDate format
(named zones like GMT/EST, obsolete two-digit years), datetime.fromisoformat the ISO forms. A moment
without a zone is taken as UTC, so every parsed date can be compared and stored alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_date(value: object) -> datetime | None:
    """The moment `value` names, zone-aware; None when it is empty or not a date in a known format."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
