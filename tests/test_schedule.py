"""The scheduling rule: pure, adaptive, polite to server asks, backs off, never drops a feed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ConfigError
from monitor.models import FetchStatus
from monitor.schedule.polls import (
    FeedSchedState,
    PollOutcome,
    ScheduledPoll,
    bounds,
    items_per_day_from_dates,
    next_poll,
)
from monitor.settings.sections import ScheduleSettings, parse_schedule_settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NO_JITTER = ScheduleSettings(jitter_fraction=0.0)
OK, NOT_MODIFIED = FetchStatus.OK, FetchStatus.NOT_MODIFIED


def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def run(
    state: FeedSchedState, outcome: PollOutcome, s: ScheduleSettings = NO_JITTER, now: datetime = NOW
) -> ScheduledPoll:
    return next_poll(state, outcome, now, s, random.Random(7))


def test_unknown_rate_uses_default_interval() -> None:
    result = run(FeedSchedState(), PollOutcome(OK, new_items=0))
    assert minutes(result.interval) == NO_JITTER.default_interval_minutes
    assert result.at == NOW + result.interval
    assert result.state.last_success_at == NOW and result.state.consecutive_failures == 0


def test_first_poll_rate_from_window_dates() -> None:
    dates = [NOW - timedelta(hours=h) for h in range(0, 24, 2)]  # 12 items over 22 hours
    rate = items_per_day_from_dates([*dates, None])
    assert rate is not None and rate == pytest.approx(11 / (22 / 24))
    result = run(FeedSchedState(), PollOutcome(OK, new_items=12, window_items_per_day=rate))
    assert result.state.items_per_day == pytest.approx(rate)
    assert minutes(result.interval) == pytest.approx(NO_JITTER.target_new_items_per_poll / rate * 1440)
    assert not result.possibly_missed  # a first poll is all-new by nature


def test_busy_feed_is_polled_more_often_than_a_quiet_one() -> None:
    last = NOW - timedelta(hours=1)
    busy = run(FeedSchedState(items_per_day=200, last_success_at=last), PollOutcome(OK, 8, 28))
    quiet = run(FeedSchedState(items_per_day=2, last_success_at=last), PollOutcome(NOT_MODIFIED))
    assert busy.interval < quiet.interval
    assert minutes(busy.interval) >= NO_JITTER.min_interval_minutes
    assert minutes(quiet.interval) == NO_JITTER.max_interval_minutes  # clamped


def test_rate_adapts_towards_what_is_observed() -> None:
    state = FeedSchedState(items_per_day=10, last_success_at=NOW - timedelta(hours=6))
    faster = run(state, PollOutcome(OK, new_items=25, total_items=30))  # 100/day observed
    slower = run(state, PollOutcome(NOT_MODIFIED))
    assert 10 < (faster.state.items_per_day or 0) < 100
    assert 0 < (slower.state.items_per_day or 0) < 10


def test_only_unseen_items_shortens_and_flags() -> None:
    state = FeedSchedState(items_per_day=48, last_success_at=NOW - timedelta(minutes=60))
    normal = run(state, PollOutcome(OK, new_items=2, total_items=20))
    overflow = run(state, PollOutcome(OK, new_items=2, total_items=2))
    assert overflow.possibly_missed and not normal.possibly_missed
    assert overflow.interval < normal.interval
    assert "missed" in overflow.reason


def test_failures_back_off_exponentially_up_to_the_cap_and_never_stop() -> None:
    state = FeedSchedState(items_per_day=48, last_success_at=NOW - timedelta(days=1))
    intervals = []
    for _ in range(12):
        result = run(state, PollOutcome(FetchStatus.TEMPORARY))
        intervals.append(minutes(result.interval))
        state = result.state
    assert state.consecutive_failures == 12
    assert intervals[1] == pytest.approx(2 * intervals[0]) and intervals[2] == pytest.approx(4 * intervals[0])
    assert max(intervals) == NO_JITTER.max_backoff_minutes == intervals[-1]
    assert all(i > 0 for i in intervals)
    # one success resets the count and the interval
    recovered = run(state, PollOutcome(OK, new_items=1, total_items=11))
    assert recovered.state.consecutive_failures == 0
    assert minutes(recovered.interval) <= NO_JITTER.max_interval_minutes


def test_hard_failure_goes_to_the_cap() -> None:
    result = run(FeedSchedState(), PollOutcome(FetchStatus.HARD))
    assert minutes(result.interval) == NO_JITTER.max_backoff_minutes
    assert result.state.consecutive_failures == 1


@pytest.mark.parametrize(
    ("outcome", "expected_minutes", "who"),
    [
        (PollOutcome(OK, 5, 10, ttl_minutes=90), 90, "ttl"),
        (PollOutcome(NOT_MODIFIED, max_age_seconds=3600), 60, "Cache-Control"),
        (PollOutcome(FetchStatus.TEMPORARY, retry_after_seconds=7200), 120, "Retry-After"),
        (PollOutcome(OK, 5, 10, ttl_minutes=10**7), 1440, "ttl"),  # a silly ask is honoured up to a day
    ],
)
def test_never_earlier_than_the_server_asks(outcome: PollOutcome, expected_minutes: float, who: str) -> None:
    busy = FeedSchedState(items_per_day=500, last_success_at=NOW - timedelta(minutes=10))
    result = run(busy, outcome)
    assert minutes(result.interval) == pytest.approx(expected_minutes)
    assert who in result.reason


def test_jitter_only_lengthens_and_spreads() -> None:
    s = ScheduleSettings(jitter_fraction=0.2)
    state = FeedSchedState(items_per_day=96, last_success_at=NOW - timedelta(minutes=30))
    outcome = PollOutcome(OK, new_items=2, total_items=22, ttl_minutes=40)  # 96/day alone would give 30
    results = {minutes(next_poll(state, outcome, NOW, s, random.Random(seed)).interval) for seed in range(30)}
    assert len(results) > 20  # feeds do not poll in lockstep
    assert min(results) >= 40 and max(results) <= 40 * 1.2 + 1e-9
    # and the same seed gives the same answer: the rule is deterministic given its inputs
    again = next_poll(state, outcome, NOW, s, random.Random(3))
    assert again == next_poll(state, outcome, NOW, s, random.Random(3))


def test_clock_going_backwards_keeps_the_rate() -> None:
    state = FeedSchedState(items_per_day=24, last_success_at=NOW + timedelta(hours=1))
    assert run(state, PollOutcome(OK, 3, 6)).state.items_per_day == 24


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        next_poll(FeedSchedState(), PollOutcome(OK), datetime(2026, 1, 1), NO_JITTER, random.Random(1))


def test_parse_schedule_settings() -> None:
    s = parse_schedule_settings(
        {"min_interval_minutes": 2, "max_interval_minutes": 60, "jitter_fraction": 0.3}
    )
    assert (s.min_interval_minutes, s.max_interval_minutes, s.jitter_fraction) == (2.0, 60.0, 0.3)
    assert s.default_interval_minutes == 30.0


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"min_interval": 5}, "schedule.min_interval"),
        ({"min_interval_minutes": "5"}, "schedule.min_interval_minutes"),
        ({"min_interval_minutes": True}, "schedule.min_interval_minutes"),
        ({"min_interval_minutes": 0}, "schedule.min_interval_minutes"),
        ({"min_interval_minutes": 500}, "schedule.min_interval_minutes"),
        ({"jitter_fraction": 1.5}, "schedule.jitter_fraction"),
        ({"default_interval_minutes": 1}, "schedule.default_interval_minutes"),
        ({"max_backoff_minutes": 1}, "schedule.max_backoff_minutes"),
        ({"missed_items_factor": 0}, "schedule.missed_items_factor"),
        ({"max_interval_minutes": float("nan")}, "schedule.max_interval_minutes"),
    ],
)
def test_parse_schedule_settings_errors(spec: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_schedule_settings(spec)
    assert info.value.key == key


# --- property: whatever happens, the next poll is within bounds and never earlier than asked -------

settings_st = st.builds(
    lambda lo, span, default_pos, backoff_extra, jitter, target, missed, server: ScheduleSettings(
        min_interval_minutes=lo,
        max_interval_minutes=lo + span,
        default_interval_minutes=lo + span * default_pos,
        max_backoff_minutes=lo + span + backoff_extra,
        jitter_fraction=jitter,
        target_new_items_per_poll=target,
        missed_items_factor=missed,
        max_server_delay_minutes=server,
    ),
    st.floats(0.5, 60),
    st.floats(0, 1000),
    st.floats(0, 1),
    st.floats(0, 5000),
    st.floats(0, 1),
    st.floats(0.1, 50),
    st.floats(0.05, 1),
    st.floats(1, 5000),
)
opt_pos = st.none() | st.floats(0, 1e9, allow_nan=False)
state_st = st.builds(
    FeedSchedState,
    items_per_day=st.none() | st.floats(0, 1e6),
    last_success_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    consecutive_failures=st.integers(0, 10_000),
    interval_seconds=st.none() | st.floats(0, 1e7),
)
outcome_st = st.builds(
    PollOutcome,
    status=st.sampled_from(list(FetchStatus)),
    new_items=st.integers(0, 10_000),
    total_items=st.integers(0, 10_000),
    ttl_minutes=opt_pos,
    max_age_seconds=opt_pos,
    retry_after_seconds=opt_pos,
    window_items_per_day=st.none() | st.floats(0, 1e6),
)


@settings(max_examples=400, deadline=None)
@given(settings_st, state_st, outcome_st, st.integers(0, 2**32))
def test_next_poll_is_always_within_bounds(
    s: ScheduleSettings, state: FeedSchedState, outcome: PollOutcome, seed: int
) -> None:
    result = next_poll(state, outcome, NOW, s, random.Random(seed))
    low, high = bounds(s)
    assert low - timedelta(microseconds=1) <= result.interval <= high + timedelta(microseconds=1)
    assert result.at == NOW + result.interval
    asks = [
        outcome.ttl_minutes,
        None if outcome.max_age_seconds is None else outcome.max_age_seconds / 60,
        None if outcome.retry_after_seconds is None else outcome.retry_after_seconds / 60,
    ]
    floor = min(max([a for a in asks if a is not None], default=0), s.max_server_delay_minutes)
    assert minutes(result.interval) >= floor * (1 - 1e-9)
    failed = outcome.status not in (FetchStatus.OK, FetchStatus.NOT_MODIFIED)
    assert result.state.consecutive_failures == (state.consecutive_failures + 1 if failed else 0)


def test_missed_items_shorten_relative_to_the_interval_that_let_them_slip() -> None:
    # the rate (~17/day after this poll) says ~2.7 h, but the last planned interval was 1 h and still
    # only unseen items came back: the cut applies to the 1 h
    state = FeedSchedState(items_per_day=12, last_success_at=NOW - timedelta(hours=1), interval_seconds=3600)
    result = run(state, PollOutcome(OK, new_items=2, total_items=2))
    assert minutes(run(state, PollOutcome(OK, new_items=2, total_items=9)).interval) > 120
    assert result.possibly_missed and minutes(result.interval) == pytest.approx(30)
    assert result.interval_seconds == result.interval.total_seconds()
    assert result.items_per_day == result.state.items_per_day
    assert result.state.interval_seconds == pytest.approx(1800)
