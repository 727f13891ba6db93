"""Feed polls on one worker pool, at most `per_host` polls of one host at a time.

A poll is handed to a worker only when its host has a free lane, so a host whose feeds or pages are slow
holds at most `per_host` workers while every other host's feeds keep their schedule; a worker never sits
on the host gate waiting for a slot that the same host's other polls hold. The daemon's tick only hands
out what is due and returns: it does not wait for a slow poll to finish, and a feed still being polled
is not handed out again.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

from monitor.runtime.poll import PollReport
from monitor.store.database import FeedRow

log = logging.getLogger(__name__)


def host_of(feed: FeedRow) -> str:
    return (urlsplit(feed.url).hostname or "").lower()


class PollLanes:
    def __init__(
        self,
        poll: Callable[[FeedRow], PollReport],
        *,
        workers: int,
        per_host: int,
        on_done: Callable[[PollReport], None],
    ) -> None:
        self._poll = poll
        self._per_host = max(1, per_host)
        self._on_done = on_done
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="poll")
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[tuple[FeedRow, Future[PollReport]]]] = {}
        self._running: dict[str, int] = {}
        self._busy: set[str] = set()  # feed URLs waiting or running
        self._stopped = False

    def busy(self, url: str) -> bool:
        with self._lock:
            return url in self._busy

    def in_flight(self) -> int:
        """Polls waiting or running."""
        with self._lock:
            return len(self._busy)

    def waiting(self) -> int:
        """Polls handed in and not started yet (their host's lanes are full, or every worker is busy)."""
        with self._lock:
            return sum(len(queue) for queue in self._waiting.values()) + max(
                0, sum(self._running.values()) - self._workers)

    def idle(self) -> bool:
        """No poll waiting or running."""
        with self._lock:
            return not self._busy

    def start(self, feeds: Iterable[FeedRow]) -> list[Future[PollReport]]:
        """Queue every feed not already waiting or running (in the order given); their futures."""
        futures: list[Future[PollReport]] = []
        with self._lock:
            if self._stopped:
                return futures
            for feed in feeds:
                if feed.url in self._busy:
                    continue
                self._busy.add(feed.url)
                future: Future[PollReport] = Future()
                self._waiting.setdefault(host_of(feed), deque()).append((feed, future))
                futures.append(future)
            self._hand_out()
        return futures

    def stop(self) -> None:
        """Drop the polls not started yet and wait for the running ones (they see the pipeline's stop)."""
        with self._lock:
            self._stopped = True
            dropped = [future for queue in self._waiting.values() for _, future in queue]
            self._waiting.clear()
        for future in dropped:
            future.cancel()
        self._pool.shutdown(wait=True)

    def _hand_out(self) -> None:
        """Give each host with a free lane its next poll (called with the lock held)."""
        for host, queue in list(self._waiting.items()):
            while queue and self._running.get(host, 0) < self._per_host:
                feed, future = queue.popleft()
                self._running[host] = self._running.get(host, 0) + 1
                self._pool.submit(self._run, host, feed, future)
            if not queue:
                del self._waiting[host]

    def _run(self, host: str, feed: FeedRow, future: Future[PollReport]) -> None:
        report: PollReport | None = None
        failure: BaseException | None = None
        try:
            if self._stopped or not future.set_running_or_notify_cancel():
                future.cancel()
                return
            report = self._poll(feed)  # never raises: the pipeline records every failure
            try:
                self._on_done(report)
            except Exception:  # counting and logging must not lose the poll's result
                log.exception("feed %s: could not report the poll", feed.url, extra={"feed": feed.url})
        except BaseException as exc:
            failure = exc
            raise
        finally:
            # the feed leaves the busy set before its result is seen, so a poll started by whoever waits
            # on the result never finds it still running
            with self._lock:
                self._running[host] -= 1
                self._busy.discard(feed.url)
                if not self._stopped:
                    self._hand_out()
            if not future.done():
                if report is not None:
                    future.set_result(report)
                elif failure is not None:
                    future.set_exception(failure)
