"""The one date parser of feeds, sitemaps and corpus files: every form they use, and what is not a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.parse.dates import parse_date


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("Thu, 15 Mar 2018 21:16:45 +0400", datetime(2018, 3, 15, 17, 16, 45, tzinfo=UTC)),  # ANT's pubDate
        ("Sun, 06 May 2018 14:20:34 GMT", datetime(2018, 5, 6, 14, 20, 34, tzinfo=UTC)),
        ("06 May 2018 14:20 EST", datetime(2018, 5, 6, 19, 20, tzinfo=UTC)),  # no weekday, a named zone
        ("Sun, 06 May 18 14:20:34 +0000", datetime(2018, 5, 6, 14, 20, 34, tzinfo=UTC)),  # two-digit year
        ("2018-03-15T21:16:45+03:00", datetime(2018, 3, 15, 18, 16, 45, tzinfo=UTC)),
        ("2018-03-15T21:16:45Z", datetime(2018, 3, 15, 21, 16, 45, tzinfo=UTC)),
        ("2018-03-15T21:16:45.123456Z", datetime(2018, 3, 15, 21, 16, 45, 123456, tzinfo=UTC)),
        ("2015-07-21 10:00:00", datetime(2015, 7, 21, 10, tzinfo=UTC)),  # no zone: taken as UTC
        ("2015-07-21", datetime(2015, 7, 21, tzinfo=UTC)),
        ("  2015-07-21\n", datetime(2015, 7, 21, tzinfo=UTC)),
    ],
)
def test_every_form_feeds_use_is_read(text: str, moment: datetime) -> None:
    parsed = parse_date(text)
    assert parsed == moment and parsed is not None and parsed.tzinfo is not None


def test_the_given_offset_is_kept() -> None:
    parsed = parse_date("Thu, 15 Mar 2018 21:16:45 +0400")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=4)
    riyadh = timezone(timedelta(hours=3))
    assert parse_date(datetime(2018, 1, 1, tzinfo=riyadh)) == datetime(2017, 12, 31, 21, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "   ", "yesterday", "الخميس ١٥ مارس", "Thu, 31 Feb 2018 10:00:00 +0000",
                                  "2018-13-01", "15/03/2018", None, 1520000000])
def test_what_is_not_a_date_is_none(text: object) -> None:
    assert parse_date(text) is None
