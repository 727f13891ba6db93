"""The one fake clock of the tests: a UTC instant that a test sets or advances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class FakeClock:
    """Pass the clock itself where code wants `Callable[[], datetime]` (App, Dispatcher), and
    `clock.seconds` where it wants `Callable[[], float]` in the manner of time.time or time.monotonic."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
