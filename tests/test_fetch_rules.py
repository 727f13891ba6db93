"""The pure fetch rules: status codes, Retry-After with and without a cap, Cache-Control max-age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.errors import BodyTooLarge, FetchError, MonitorError, TooManyRedirects
from monitor.fetch.hosts import HostBusy, HostPaused
from monitor.fetch.rules import MAX_RETRY_AFTER_SECONDS, cache_max_age, parse_retry_after, status_for_http
from monitor.fetch.ssrf import BlockedAddressError
from monitor.models import FetchStatus

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_every_code_class_has_its_status() -> None:
    assert [status_for_http(c) for c in (200, 204, 299)] == [FetchStatus.OK] * 3
    assert status_for_http(304) is FetchStatus.NOT_MODIFIED
    assert {status_for_http(c) for c in (408, 425, 429, 500, 599)} == {FetchStatus.TEMPORARY}
    assert {status_for_http(c) for c in (300, 400, 403, 404, 451)} == {FetchStatus.SOFT}
    assert status_for_http(410) is FetchStatus.HARD


def test_retry_after_cap_is_the_callers() -> None:
    assert parse_retry_after("99999999", NOW) == 99_999_999.0  # delivery: capped later by its policy
    assert parse_retry_after("99999999", NOW, cap=MAX_RETRY_AFTER_SECONDS) == MAX_RETRY_AFTER_SECONDS
    assert parse_retry_after(" 45 ", NOW, cap=30.0) == 30.0


def test_retry_after_dates_are_relative_to_now_and_never_negative() -> None:
    soon = (NOW + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(soon, NOW) == 90.0
    assert parse_retry_after(soon, NOW + timedelta(minutes=10)) == 0.0
    assert parse_retry_after("-5", NOW) is None  # not delta-seconds and not a date
    assert parse_retry_after("", NOW) is None and parse_retry_after("tomorrow", NOW) is None


def test_cache_max_age_ignores_s_maxage_and_honours_no_store() -> None:
    assert cache_max_age({"Cache-Control": 'max-age="120"'}) == 120.0
    assert cache_max_age({"cache-control": "s-maxage=60"}) is None
    assert cache_max_age({"cache-control": "private, no-store, max-age=60"}) is None
    assert cache_max_age({"etag": "x"}) is None


def test_fetch_failures_share_one_tree_and_carry_their_status() -> None:
    failures = [BodyTooLarge("big"), TooManyRedirects("loop"), HostPaused("h", 3), HostBusy("h", 1.0)]
    failures.append(BlockedAddressError("private"))
    assert all(isinstance(f, FetchError) and isinstance(f, MonitorError) for f in failures)
    assert [f.status for f in failures] == [
        FetchStatus.HARD,
        FetchStatus.SOFT,
        FetchStatus.TEMPORARY,
        FetchStatus.TEMPORARY,
        FetchStatus.HARD,
    ]
