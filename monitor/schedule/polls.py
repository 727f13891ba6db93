"""When to poll a feed next: a pure function of its state, the outcome of the last poll and the clock.

    next_poll(state: FeedSchedState, outcome: PollOutcome, now: datetime,
              settings: ScheduleSettings, rng: random.Random, fixed_minutes=None) -> ScheduledPoll

No I/O and no hidden clock: `now` and the jitter source are passed in, so the rule is testable and the
daemon stores `ScheduledPoll.state` back with the feed.

The rule, in order:
1. Publishing rate (items/day) is a time-weighted moving average of new items per successful poll; the
   first estimate can come from the spread of the publish dates in the feed window (`window_items_per_day`).
2. Interval = target_new_items_per_poll / rate, clamped to [min_interval, max_interval]; default_interval
   while the rate is unknown.
3. A poll that returned only unseen items (none seen before) may have missed some that fell out of the
   window: the shorter of this interval and the previous one is cut by `missed_items_factor` (still
   >= min_interval) and the poll is flagged.
4. Failures back off exponentially from the normal interval, capped at max_backoff (never dropped);
   a HARD failure goes straight to the cap.
5. Never earlier than the server asked: RSS <ttl>, Cache-Control max-age, Retry-After (each honoured up to
   max_server_delay, so a silly value cannot park a feed for weeks).
6. Jitter: the interval is stretched by up to `jitter_fraction` (never shortened, so rules 1-5 still hold)
   so that feeds added together do not stay in lockstep.

A feed with a fixed interval (`[[feeds]] interval_minutes`, passed as `fixed_minutes`) skips rules 1-3:
its interval is that value (clamped to [min_interval, max_interval], which the loader already enforces).
Rules 4-6 still apply: failures back off from it, the server's asks are a floor, jitter spreads it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.models import FetchStatus
from monitor.settings.sections import ScheduleSettings

# Time constant of the rate average: a poll spanning RATE_TAU counts ~63% towards the new estimate, so a
# feed's rhythm is learned in a few hours yet one quiet 10-minute gap barely moves it.
RATE_TAU = timedelta(hours=6)


@dataclass(frozen=True)
class FeedSchedState:
    """What the schedule remembers about a feed between polls (the daemon stores these fields)."""

    items_per_day: float | None = None  # smoothed publishing rate; None until first measured
    last_success_at: datetime | None = None  # last poll that came back OK or NOT_MODIFIED
    consecutive_failures: int = 0
    interval_seconds: float | None = None  # the interval planned last time (before jitter)


@dataclass(frozen=True)
class PollOutcome:
    status: FetchStatus
    new_items: int = 0  # entries not seen before
    total_items: int = 0  # entries in the feed (new_items == total_items > 0 => maybe missed some)
    ttl_minutes: float | None = None  # RSS <ttl>
    max_age_seconds: float | None = None  # Cache-Control max-age (http.cache_max_age)
    retry_after_seconds: float | None = None  # Retry-After, or the remaining host pause
    window_items_per_day: float | None = None  # rate seen in the feed window's dates (first poll)


@dataclass(frozen=True)
class ScheduledPoll:
    at: datetime  # when to poll next
    interval: timedelta  # at - now
    state: FeedSchedState  # the feed's new state, to store
    reason: str  # one line, for logs and `monitor feeds`
    possibly_missed: bool = False  # only unseen items came back: some may have been missed

    # convenience names for storing the plan in the feeds table
    @property
    def interval_seconds(self) -> float:
        return self.interval.total_seconds()

    @property
    def items_per_day(self) -> float | None:
        return self.state.items_per_day


def items_per_day_from_dates(dates: Iterable[datetime | None]) -> float | None:
    """Publishing rate implied by the publish dates in one feed window: (n - 1) items over their span."""
    known = sorted(d for d in dates if d is not None)
    if len(known) < 2:
        return None
    span_days = (known[-1] - known[0]).total_seconds() / 86400
    if span_days <= 0:
        return None
    return (len(known) - 1) / span_days


def bounds(settings: ScheduleSettings) -> tuple[timedelta, timedelta]:
    """The widest range any next_poll interval can fall in (jitter and server asks included)."""
    low = timedelta(minutes=settings.min_interval_minutes)
    high_minutes = max(
        settings.max_interval_minutes, settings.max_backoff_minutes, settings.max_server_delay_minutes
    )
    return low, timedelta(minutes=high_minutes * (1 + settings.jitter_fraction))


def next_poll(
    state: FeedSchedState,
    outcome: PollOutcome,
    now: datetime,
    settings: ScheduleSettings,
    rng: random.Random,
    fixed_minutes: float | None = None,
) -> ScheduledPoll:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    success = outcome.status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED)
    lo, hi = settings.min_interval_minutes, settings.max_interval_minutes
    missed = False

    if success:
        rate = _updated_rate(state, outcome, now)
        minutes = _clamp(_rate_interval(rate, settings) if fixed_minutes is None else fixed_minutes, lo, hi)
        reason = f"{rate:.1f} items/day" if rate is not None else "rate unknown: default interval"
        if fixed_minutes is not None:
            reason = f"fixed interval {fixed_minutes:g} min"
        all_new = outcome.new_items > 0 and outcome.new_items >= outcome.total_items
        if all_new and state.last_success_at is not None:
            missed = True
            if fixed_minutes is None:
                # shorter than both the rate's interval and the one that just let items slip past
                previous = state.interval_seconds / 60 if state.interval_seconds else minutes
                minutes = max(lo, min(minutes, previous) * settings.missed_items_factor)
                reason += "; only unseen items came back (some may be missed): interval shortened"
            else:  # the operator fixed the interval; the sitemap recovery still runs
                reason += "; only unseen items came back (some may be missed)"
    else:
        failures = state.consecutive_failures + 1
        normal = _clamp(
            _rate_interval(state.items_per_day, settings) if fixed_minutes is None else fixed_minutes, lo, hi
        )
        cap = max(settings.max_backoff_minutes, lo)
        # HARD: straight to the cap. Otherwise double per failure; the exponent is bounded first because
        # 2**(failures-1) overflows a float long before it matters.
        hard = outcome.status is FetchStatus.HARD
        minutes = cap if hard else min(cap, normal * 2 ** min(failures - 1, 60))
        reason = f"{outcome.status.value} failure #{failures}: backing off"

    floor, asked_by = _server_floor(outcome, settings)
    if floor > minutes:
        minutes = floor
        reason += f"; {asked_by} asks for {floor:g} min"

    if success:
        new_state = FeedSchedState(
            items_per_day=rate, last_success_at=now, consecutive_failures=0, interval_seconds=minutes * 60
        )
    else:
        new_state = replace(state, consecutive_failures=failures, interval_seconds=minutes * 60)
    minutes *= 1 + rng.uniform(0.0, settings.jitter_fraction)
    interval = timedelta(minutes=minutes)
    return ScheduledPoll(
        at=now + interval, interval=interval, state=new_state, reason=reason, possibly_missed=missed
    )


def _updated_rate(state: FeedSchedState, outcome: PollOutcome, now: datetime) -> float | None:
    previous = state.items_per_day
    if state.last_success_at is None:  # first poll: the window's dates are all we have
        return outcome.window_items_per_day if outcome.window_items_per_day is not None else previous
    elapsed = (now - state.last_success_at).total_seconds()
    if elapsed <= 0:  # clock went backwards or same instant: nothing to learn
        return previous
    observed = outcome.new_items * 86400 / elapsed
    if previous is None:
        return observed
    weight = 1 - math.exp(-elapsed / RATE_TAU.total_seconds())
    return previous + weight * (observed - previous)


def _rate_interval(rate: float | None, settings: ScheduleSettings) -> float:
    if rate is None:
        return settings.default_interval_minutes
    if rate <= 0:
        return settings.max_interval_minutes
    return settings.target_new_items_per_poll / rate * 1440


def _server_floor(outcome: PollOutcome, settings: ScheduleSettings) -> tuple[float, str]:
    asks = [
        (outcome.ttl_minutes, "feed <ttl>"),
        (outcome.max_age_seconds / 60 if outcome.max_age_seconds is not None else None, "Cache-Control"),
        (
            outcome.retry_after_seconds / 60 if outcome.retry_after_seconds is not None else None,
            "Retry-After",
        ),
    ]
    best, who = 0.0, ""
    for minutes, name in asks:
        if minutes is not None and math.isfinite(minutes) and minutes > best:
            best, who = minutes, name
    return min(best, settings.max_server_delay_minutes), who


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)
