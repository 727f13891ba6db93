"""Per-host politeness: at most N requests in flight to one host, a minimum gap between request starts,
and a pause when the host asked us to back off (429/503 with Retry-After).

Shared by every fetch in the process (feeds and article pages alike), so it is keyed by host name only and
guarded by one lock. Clock and sleep are injectable so the rules can be tested without waiting.

Workers in several processes (PostgreSQL) share the rules through a `SharedPoliteness` (`share_with`): once
the process's own gate lets a request through, it also takes one of the host's slots in the shared state
and the next start time the shared spacing gives it, and gives the slot back when the request is done.

The spacing is measured from when a request really went out (the holder calls `SlotTicket.started()` as
its request headers have been written), not from when its slot was granted: a thread delayed between the two
(a new connection, a busy interpreter) would otherwise let the next request follow it too closely. So
request starts to one host are taken one at a time: the next holder waits until the previous one has
started (or given up), then keeps the interval from that moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from monitor.errors import FetchError


class HostPaused(FetchError):
    """The host asked us to wait (Retry-After); `remaining` seconds are left on the pause."""

    def __init__(self, host: str, remaining: float) -> None:
        super().__init__(f"host {host} paused for another {remaining:.0f}s (it asked us to back off)")
        self.host = host
        self.remaining = remaining


# A pause with at most this long left is waited out instead of refused: a re-poll planned for the end of
# a pause arrives a little early (scheduler ticks, whole-second timestamps), and refusing it would turn a
# wait of a fraction of a second into a wasted poll.
SHORT_PAUSE_SECONDS = 1.0


class HostBusy(FetchError):
    """Every slot for the host stayed taken for the whole wait."""

    def __init__(self, host: str, waited: float) -> None:
        super().__init__(f"host {host} busy: no free request slot within {waited:g}s")
        self.host = host


class SharedPoliteness(Protocol):
    """The per-host concurrency and spacing shared by every worker (see the module doc)."""

    def acquire(self, host: str, *, concurrency: int, min_interval: float, max_wait: float) -> tuple[object, float]:
        """A slot of the host's `concurrency` (waiting up to `max_wait`, else HostBusy) and the seconds to
        wait before starting the request; the token goes back to `release`."""
        ...

    def release(self, token: object) -> None: ...


@dataclass
class _HostState:
    semaphore: threading.BoundedSemaphore
    # held from a slot's grant until its request has started: starts to one host happen one at a time
    start_turn: threading.Lock = field(default_factory=threading.Lock)
    last_start: float | None = None  # monotonic time the last request to the host went out
    paused_until: float = 0.0  # monotonic time until which the host asked us to stay away


class SlotTicket:
    """A granted slot. Call `started()` when the request goes on the wire; the next request to the host
    keeps the spacing from that moment. A ticket never started counts from when its slot ended."""

    def __init__(self, gate: HostGate, state: _HostState) -> None:
        self._gate = gate
        self._state = state
        self._open = True

    def started(self) -> None:
        if self._open:
            self._open = False
            self._gate._mark_start(self._state)

    def _finish(self) -> None:
        self.started()


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
        self._shared: SharedPoliteness | None = None

    def share_with(self, shared: SharedPoliteness) -> None:
        """Keep the host rules across every worker that shares `shared`, besides within this process."""
        self._shared = shared

    @property
    def concurrency(self) -> int:
        return self._concurrency

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

    def refuses(self, host: str) -> bool:
        """Whether `slot` would refuse the host now (paused for longer than SHORT_PAUSE_SECONDS)."""
        return self.paused_for(host) > SHORT_PAUSE_SECONDS

    def pause(self, host: str, seconds: float) -> None:
        """Keep new requests away from `host` for `seconds`; a shorter pause never cuts a longer one."""
        state = self._state(host.lower())
        with self._lock:
            state.paused_until = max(state.paused_until, self._clock() + seconds)

    def _mark_start(self, state: _HostState) -> None:
        with self._lock:
            state.last_start = self._clock()
        state.start_turn.release()

    def _wait_out_short_pause(self, host: str) -> None:
        """Raise HostPaused for a long pause; sleep through a short one."""
        remaining = self.paused_for(host)
        if remaining > SHORT_PAUSE_SECONDS:
            raise HostPaused(host, remaining)
        if remaining > 0:
            self._sleep(remaining)

    @contextmanager
    def slot(self, host: str, *, max_wait: float) -> Iterator[SlotTicket]:
        """Hold one of the host's concurrency slots, starting no sooner than the spacing allows.

        Raises HostPaused at once (without waiting) when the host is paused for longer than
        SHORT_PAUSE_SECONDS: a pause can last minutes or hours, and a worker thread must not sit on it
        while other hosts are waiting. A shorter pause is slept through.
        `max_wait` bounds the wait for a free slot and for the turn to start; past it HostBusy is raised.
        """
        host = host.lower()
        state = self._state(host)
        self._wait_out_short_pause(host)
        waited_from = self._clock()
        if not state.semaphore.acquire(timeout=max_wait):
            raise HostBusy(host, max_wait)
        try:
            left = max(0.0, max_wait - (self._clock() - waited_from))
            if not state.start_turn.acquire(timeout=left):
                raise HostBusy(host, max_wait)
            try:
                # a pause may have begun while we queued (another request got a 429)
                self._wait_out_short_pause(host)
            except BaseException:
                state.start_turn.release()
                raise
            ticket = SlotTicket(self, state)
            try:
                with self._lock:
                    now = self._clock()
                    due = now if state.last_start is None else state.last_start + self._min_interval
                delay = due - now
                if delay > 0:
                    self._sleep(delay)
                with self._shared_slot(host, max(0.0, max_wait - (self._clock() - waited_from))):
                    yield ticket
            finally:
                ticket._finish()
        finally:
            state.semaphore.release()

    @contextmanager
    def _shared_slot(self, host: str, max_wait: float) -> Iterator[None]:
        if self._shared is None:
            yield
            return
        token, delay = self._shared.acquire(
            host, concurrency=self._concurrency, min_interval=self._min_interval, max_wait=max_wait
        )
        try:
            if delay > 0:
                self._sleep(delay)
            yield
        finally:
            self._shared.release(token)
