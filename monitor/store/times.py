"""The one time format in the database: UTC ISO 8601, fixed width, "2026-11-23T10:00:00.000000Z".

Fixed width and one zone make string order time order, so SQL compares times as text
(`next_poll_at <= ?`, `finished_at > ?`) and indexes on them stay usable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@overload
def format_time(moment: datetime) -> str: ...
@overload
def format_time(moment: None) -> None: ...
def format_time(moment: datetime | None) -> str | None:
    """The stored text of `moment` (a naive datetime is taken as UTC); None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime's %Y does not pad such years the way isoformat does
        return utc.strftime(_FORMAT)
    # the same text as strftime(_FORMAT), ~30% cheaper (the store formats times many times per article)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(value: str | None) -> datetime | None:
    """An aware UTC datetime from stored text (any ISO 8601 form, so older rows read too); "" and None -> None."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
