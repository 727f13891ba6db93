"""Per-host politeness: at most N requests in flight to one host, a minimum gap between request starts,
and a pause when the host asked us to back off (429/503 with Retry-After).

Shared by every fetch in the process (feeds and article pages alike), so it is keyed by host name only and
guarded by one lock. Clock and sleep are injectable so the rules can be tested without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from monitor.errors import FetchError


class HostPaused(FetchError):
    """The host asked us to wait (Retry-After); `remaining` seconds are left on the pause."""

    def __init__(self, host: str, remaining: float) -> None:
        super().__init__(f"host {host} paused for another {remaining:.0f}s (it asked us to back off)")
        self.host = host
        self.remaining = remaining


class HostBusy(FetchError):
    """Every slot for the host stayed taken for the whole wait."""

    def __init__(self, host: str, waited: float) -> None:
        super().__init__(f"host {host} busy: no free request slot within {waited:g}s")
        self.host = host


@dataclass
class _HostState:
    semaphore: threading.BoundedSemaphore
    next_start: float = 0.0  # monotonic time before which no new request may start
    paused_until: float = 0.0  # monotonic time until which the host asked us to stay away


class HostGate:
    def __init__(
        self,
        *,
        concurrency: int,
        min_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._concurrency = concurrency
        self._min_interval = max(0.0, min_interval)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = _HostState(threading.BoundedSemaphore(self._concurrency))
                self._hosts[host] = state
            return state

    def paused_for(self, host: str) -> float:
        """Seconds left on the host's pause (0 when not paused)."""
        state = self._state(host.lower())
        with self._lock:
            return max(0.0, state.paused_until - self._clock())

    def pause(self, host: str, seconds: float) -> None:
        """Keep new requests away from `host` for `seconds`; a shorter pause never cuts a longer one."""
        state = self._state(host.lower())
        with self._lock:
            state.paused_until = max(state.paused_until, self._clock() + seconds)

    @contextmanager
    def slot(self, host: str, *, max_wait: float) -> Iterator[None]:
        """Hold one of the host's concurrency slots, starting no sooner than the spacing allows.

        Raises HostPaused at once (without waiting) when the host is paused: a pause can last minutes or
        hours, and a worker thread must not sit on it while other hosts are waiting.
        `max_wait` bounds the wait for a free slot; past it HostBusy is raised.
        """
        host = host.lower()
        state = self._state(host)
        remaining = self.paused_for(host)
        if remaining > 0:
            raise HostPaused(host, remaining)
        if not state.semaphore.acquire(timeout=max_wait):
            raise HostBusy(host, max_wait)
        try:
            with self._lock:
                now = self._clock()
                if state.paused_until > now:
                    raise HostPaused(host, state.paused_until - now)
                start = max(now, state.next_start)
                # reserve our start time now so concurrent callers queue up behind us, spaced out
                state.next_start = start + self._min_interval
            delay = start - now
            if delay > 0:
                self._sleep(delay)
            yield
        finally:
            state.semaphore.release()
