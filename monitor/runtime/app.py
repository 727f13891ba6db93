"""Wiring: config -> store, fetcher, extractor, corpus index, pipeline, dispatcher; one cycle or the daemon."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.adapters.corpus_index import SqliteCorpusIndex
from monitor.adapters.extract import Extractor
from monitor.adapters.http import Fetcher
from monitor.adapters.store import FeedRow, Store
from monitor.config import Config
from monitor.delivery.dispatcher import Dispatcher
from monitor.runtime.pipeline import Pipeline, PollReport

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 5  # how often pending alerts are looked at: delivery latency, not poll load


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CycleReport:
    polls: list[PollReport] = field(default_factory=list)

    @property
    def failed(self) -> list[PollReport]:
        return [p for p in self.polls if p.status not in ("ok", "not_modified")]

    def total(self, name: str) -> int:
        return sum(int(getattr(p, name)) for p in self.polls)


class App:
    """Everything one process needs, opened in dependency order and closed in reverse."""

    def __init__(self, config: Config, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.store = Store(config.database_path)
        self.extractor = (Extractor(config.pipeline.extract_timeout_seconds)
                          if config.pipeline.fetch_pages else None)
        self.fetcher = Fetcher(config.http)
        self.index = SqliteCorpusIndex(self.store.db)
        self.pipeline = Pipeline(config, self.store, self.fetcher, self.extractor, self.index, clock)
        self.dispatcher = Dispatcher(config.database_path, config.alerts, clock)
        self.store.sync_feeds([(f.url, f.name, f.enabled) for f in config.feeds], clock())
        self.pipeline.load_seeds()

    def poll(self, feeds: list[FeedRow]) -> CycleReport:
        report = CycleReport()
        if not feeds:
            return report
        with ThreadPoolExecutor(max_workers=self.config.pipeline.workers, thread_name_prefix="poll") as pool:
            report.polls = list(pool.map(self.pipeline.poll_feed, feeds))
        for poll in report.polls:
            if poll.new or poll.status not in ("ok", "not_modified"):
                log.info("feed %s: %s, %d entries, %d new, %d near-copies, %d matches, %d alerts%s",
                         poll.feed_url, poll.status, poll.entries, poll.new, poll.duplicates, poll.matches,
                         poll.alerts, f" ({poll.error})" if poll.error else "")
        return report

    def run_once(self) -> CycleReport:
        """Poll every enabled feed now, whatever its schedule, then deliver what is due."""
        feeds = [FeedRow.from_row(r) for r in self.store.feeds(enabled_only=True)]
        report = self.poll(feeds)
        self.dispatcher.run_due()
        return report

    def run_due_feeds(self) -> None:
        try:
            self.poll(self.store.due_feeds(self.clock()))
        except Exception:  # never let an exception escape a scheduled job
            log.exception("poll cycle failed")

    def dispatch(self) -> None:
        try:
            self.dispatcher.run_due()
        except Exception:
            log.exception("alert dispatch failed")

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """The daemon: poll due feeds and deliver alerts until SIGINT/SIGTERM (or `stop` is set)."""
        stop = stop or threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: finishing the work in flight, then stopping", signal.Signals(signum).name)
            self.pipeline.stopping.set()
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(self.run_due_feeds, "interval", seconds=self.config.pipeline.cycle_seconds,
                          id="poll", max_instances=1, coalesce=True, next_run_time=self.clock())
        scheduler.add_job(self.dispatch, "interval", seconds=DISPATCH_SECONDS, id="dispatch",
                          max_instances=1, coalesce=True, next_run_time=self.clock())
        scheduler.start()
        log.info("monitor running: %d feeds, %d topics, database %s", len(self.store.feeds(enabled_only=True)),
                 len(self.config.topics), self.config.database_path)
        try:
            stop.wait()
        finally:
            self.pipeline.stopping.set()
            scheduler.shutdown(wait=True)  # jobs in flight finish and commit what they hold
            log.info("monitor stopped")

    def close(self) -> None:
        self.dispatcher.close()
        self.fetcher.close()
        if self.extractor is not None:
            self.extractor.close()
        self.store.close()
