"""Pure delivery decisions: status classification, retry schedule, rate limit, digest periods, signatures."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.deliver.policy import (
    Result,
    classify_http,
    digest_boundary,
    rate_limit_wait,
    retry_delay,
)
from monitor.deliver.signing import sign, signature_header, verify, webhook_headers
from monitor.fetch.rules import parse_retry_after
from monitor.settings.alerts import STANDARD_WEBHOOKS_DELAYS, Digest, RateLimit, RetryPolicy, decode_whsec
from tests.delivery_servers import verify_standard_webhook

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, Result.DELIVERED), (204, Result.DELIVERED), (299, Result.DELIVERED),
        (301, Result.FAILED), (400, Result.FAILED), (401, Result.FAILED), (404, Result.FAILED),
        (408, Result.RETRY), (410, Result.DISABLED), (413, Result.FAILED), (429, Result.RETRY),
        (500, Result.RETRY), (502, Result.RETRY), (503, Result.RETRY), (599, Result.RETRY),
    ],
)  # fmt: skip
def test_classify_http(status: int, result: Result) -> None:
    assert classify_http(status, None, NOW).result is result


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after("Mon, 23 Nov 2026 10:01:30 GMT", NOW) == 90.0
    assert parse_retry_after("garbage", NOW) is None
    assert classify_http(429, "30", NOW).retry_after == 30.0


def test_schedule_without_jitter_is_the_standard_webhooks_one() -> None:
    policy = RetryPolicy(jitter=0.0)
    rng = random.Random(1)
    got = [retry_delay(n, policy, rng, None) for n in range(1, 10)]
    # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then the last gap repeats
    assert got == [*STANDARD_WEBHOOKS_DELAYS, STANDARD_WEBHOOKS_DELAYS[-1], STANDARD_WEBHOOKS_DELAYS[-1]]


@given(st.integers(min_value=1, max_value=20), st.floats(min_value=0, max_value=1), st.integers())
def test_jitter_stays_within_bounds(attempt: int, jitter: float, seed: int) -> None:
    policy = RetryPolicy(jitter=jitter)
    base = policy.delays[min(attempt, len(policy.delays)) - 1]
    delay = retry_delay(attempt, policy, random.Random(seed), None)
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9


def test_jitter_spreads_retries() -> None:
    policy = RetryPolicy(jitter=0.2)
    rng = random.Random(7)
    assert len({retry_delay(2, policy, rng, None) for _ in range(20)}) > 10


def test_retry_after_is_a_capped_floor() -> None:
    policy = RetryPolicy(delays=(5.0,), jitter=0.0, max_retry_after=600.0)
    rng = random.Random(0)
    assert retry_delay(1, policy, rng, 60.0) == 60.0
    assert retry_delay(1, policy, rng, 1.0) == 5.0
    assert retry_delay(1, policy, rng, 10**9) == 600.0


def test_rate_limit_wait() -> None:
    limit = RateLimit(count=2, window_seconds=3600)
    assert rate_limit_wait([], NOW, limit) == 0
    assert rate_limit_wait([NOW - timedelta(minutes=10)], NOW, limit) == 0
    sent = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=10)]
    assert rate_limit_wait(sent, NOW, limit) == 600  # the older one leaves the window in 10 min
    assert rate_limit_wait([NOW - timedelta(minutes=70), *sent[1:]], NOW, limit) == 0
    assert rate_limit_wait(sent, NOW, None) == 0


@given(st.lists(st.integers(min_value=0, max_value=7200), max_size=30), st.integers(1, 5))
def test_rate_limit_never_allows_more_than_count_in_window(offsets: list[int], count: int) -> None:
    limit = RateLimit(count=count, window_seconds=3600)
    sent = [NOW - timedelta(seconds=o) for o in offsets]
    wait = rate_limit_wait(sent, NOW, limit)
    at = NOW + timedelta(seconds=wait)
    in_window = [t for t in sent if at - timedelta(seconds=3600) < t <= at]
    assert len(in_window) < count  # sending at `at` keeps within the limit
    if wait > 0:  # and not later than needed
        earlier = at - timedelta(seconds=1)
        assert len([t for t in sent if earlier - timedelta(seconds=3600) < t <= earlier]) >= count


def test_digest_boundaries() -> None:
    assert digest_boundary(Digest(), NOW) is None
    assert digest_boundary(Digest(every_minutes=30), NOW + timedelta(minutes=29)) == NOW
    assert digest_boundary(Digest(every_minutes=30), NOW + timedelta(minutes=30)) == NOW + timedelta(minutes=30)
    daily = Digest(daily_at=time(8, 0), timezone="Asia/Baghdad")  # UTC+3: 05:00 UTC
    assert digest_boundary(daily, NOW) == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert digest_boundary(daily, datetime(2026, 11, 23, 4, 59, tzinfo=UTC)) == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def test_signature_matches_the_standard_webhooks_example() -> None:
    # The worked example of the Standard Webhooks specification (spec/standard-webhooks.md)
    key = decode_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "k")
    got = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@given(st.binary(min_size=24, max_size=64), st.binary(max_size=200), st.text(min_size=1, max_size=30))
def test_sign_verify_round_trip_and_tamper(key: bytes, body: bytes, msg_id: str) -> None:
    msg_id = "msg_" + base64.urlsafe_b64encode(msg_id.encode()).decode()
    ts = int(NOW.timestamp())
    headers = webhook_headers([key], msg_id, ts, body)
    assert verify(key, headers, body, now=ts)
    assert not verify(key, headers, body + b"x", now=ts)
    assert not verify(key, headers, body, now=ts + 301)  # too old: replay protection
    assert not verify(bytes(reversed(key)) + b"!", headers, body, now=ts)


def test_independent_receiver_accepts_any_of_several_signatures() -> None:
    old, new = b"o" * 32, b"n" * 32
    ts = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": signature_header([old, new], "msg_1", ts, b"{}"),
    }
    whsec = "whsec_" + base64.b64encode(new).decode()
    assert verify_standard_webhook([whsec], headers, b"{}")
    assert not verify_standard_webhook([whsec], headers, b"{ }")
