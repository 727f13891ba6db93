"""What the operator sees between polls: one summary line per cycle and an idle heartbeat.

A dead network shows as "0/20 feeds reachable" once per cycle instead of twenty lines that look like
twenty separate problems, and a daemon waiting for its next poll says so instead of going silent.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from monitor.runtime.poll import PollReport

UNREACHABLE_HINT = "check the network or proxy"


@dataclass(frozen=True)
class CycleSummary:
    polled: int
    reachable: int
    new: int
    matches: int
    alerts: int

    @property
    def all_failed(self) -> bool:
        return self.polled > 0 and self.reachable == 0

    def line(self) -> tuple[int, str]:
        """(log level, message): a warning when no feed could be reached, else info."""
        if self.all_failed:
            return logging.WARNING, f"0/{self.polled} feeds reachable: {UNREACHABLE_HINT}"
        return logging.INFO, (
            f"{self.reachable}/{self.polled} feeds reachable: {self.new} new articles, "
            f"{self.matches} topic matches, {self.alerts} alerts queued"
        )


def summarize(polls: list[PollReport]) -> CycleSummary:
    """Polls refused by a host pause made no request and are left out."""
    made = [p for p in polls if p.made]
    return CycleSummary(
        polled=len(made),
        reachable=sum(not p.failed for p in made),
        new=sum(p.new for p in made),
        matches=sum(p.matches for p in made),
        alerts=sum(p.alerts for p in made),
    )


class PollTally:
    """Collects the polls finished since the last summary; poll workers add to it concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._polls: list[PollReport] = []

    def add(self, poll: PollReport) -> None:
        with self._lock:
            self._polls.append(poll)

    def take(self) -> CycleSummary | None:
        """The summary of what was added since the last take, or None when no request was made."""
        with self._lock:
            polls, self._polls = self._polls, []
        summary = summarize(polls)
        return summary if summary.polled else None


def heartbeat_line(now: datetime, next_poll_at: datetime | None, feed_url: str | None) -> str:
    if next_poll_at is None:
        return "idle: no enabled feeds to poll"
    minutes = max(0.0, (next_poll_at - now).total_seconds() / 60)
    return (f"idle: next poll at {next_poll_at.isoformat(timespec='seconds')} "
            f"(in {minutes:.0f} min, {feed_url})")
