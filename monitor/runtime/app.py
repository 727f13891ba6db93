"""Wiring: config -> store, fetcher, extractor, corpus index, pipeline, dispatcher; one cycle or the daemon."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from urllib.parse import urlsplit

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.deliver.dispatcher import Dispatcher
from monitor.extract import Extractor
from monitor.fetch.client import Fetcher
from monitor.runtime.cycle_summary import CycleSummary, PollTally, heartbeat_line
from monitor.runtime.lanes import PollLanes, host_of
from monitor.runtime.metrics import Metrics
from monitor.runtime.ops_http import make_ops_server
from monitor.runtime.page_retries import PageRetries
from monitor.runtime.poll import Pipeline, PollReport
from monitor.schedule.feed_health import stale_feeds
from monitor.settings.config import Config
from monitor.store.connection import DatabaseError
from monitor.store.database import FeedRow
from monitor.store.opening import open_postgres_outbox, open_store

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 5  # how often pending alerts are looked at: delivery latency, not poll load
HEALTH_CHECK_SECONDS = 300  # how often feed health is checked: warnings are about hours, not seconds
SUMMARY_MAX_SECONDS = 300  # a summary line at least this often while polls keep the lanes busy
PAGE_RETRY_SECONDS = 15  # how often the page retry queue is looked at (its own backoff says when a page is due)
HEARTBEAT_SECONDS = 600  # an idle daemon says when it polls next this often, so silence means trouble


def utc_now() -> datetime:
    return datetime.now(UTC)


def interleave_by_host(feeds: list[FeedRow]) -> list[FeedRow]:
    """Round-robin over hosts, keeping each host's own order: a config lists an outlet's feeds together,
    and polled in that order every worker would queue on one host's politeness gate at a time."""
    by_host: dict[str, list[FeedRow]] = defaultdict(list)
    for feed in feeds:
        by_host[urlsplit(feed.url).hostname or ""].append(feed)
    queues = list(by_host.values())
    return [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]


@dataclass
class CycleReport:
    polls: list[PollReport] = field(default_factory=list)

    @property
    def failed(self) -> list[PollReport]:
        return [p for p in self.polls if p.failed]

    def total(self, name: str) -> int:
        return sum(int(getattr(p, name)) for p in self.polls)


class App:
    """Everything one process needs, opened in dependency order and closed in reverse."""

    def __init__(self, config: Config, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.store = open_store(config.database_path, config.database_url, lease_seconds=config.lease_seconds)
        self.store.story_settings = config.stories
        self.extractor = (
            Extractor(config.pipeline.extract_timeout_seconds, topics=config.topics)
            if config.pipeline.fetch_pages
            else None
        )
        self.fetcher = Fetcher(config.http)
        shared = self.store.shared_politeness()
        if shared is not None:  # several workers: the per-host limits hold across all of them
            self.fetcher.gate.share_with(shared)
        self.index = self.store.corpus_index
        self.pipeline = Pipeline(config, self.store, self.fetcher, self.extractor, self.index, clock)
        self.page_retries = PageRetries(self.pipeline)
        if config.database_url:  # every worker dispatches; the outbox gives each channel to one at a time
            outbox = open_postgres_outbox(config.database_url)
            self.dispatcher: Dispatcher | None = Dispatcher(None, config.alerts, clock, outbox_store=outbox)
        else:
            self.dispatcher = Dispatcher(config.database_path, config.alerts, clock)
        self.metrics = Metrics()
        self.tally = PollTally()
        self._last_summary = time.monotonic()
        self._last_heartbeat: float | None = None
        self.lanes = PollLanes(
            self.pipeline.poll_feed,
            workers=config.pipeline.workers,
            per_host=config.http.per_host_concurrency,
            on_done=self._observe_poll,
        )
        # Several workers share the due feeds (PostgreSQL): each claims only what its free lanes can start
        # now, and claims again as soon as a lane frees, instead of one worker claiming them all (or a
        # queue of them, which would sit there while another worker's lanes are idle).
        self._lanes = config.pipeline.workers if config.database_url else None
        self._claiming = threading.Lock()  # one claim for free lanes at a time; a request meanwhile repeats it
        self._claim_again = threading.Event()
        self._claim_failing = False
        self._claim_on_done = False  # the daemon's lanes claim as they free; `once` polls what it claimed
        self.store.sync_feeds([(f.url, f.name, f.enabled) for f in config.feeds], clock())
        self.pipeline.load_seeds()

    def poll(self, feeds: list[FeedRow]) -> CycleReport:
        """Poll `feeds` now and wait for all of them (a feed already being polled is not polled again)."""
        report = CycleReport()
        if not feeds:
            return report
        started = time.monotonic()
        futures = self.lanes.start(interleave_by_host(feeds))
        wait(futures)
        report.polls = [f.result() for f in futures if not f.cancelled()]
        self.metrics.observe_cycle(time.monotonic() - started, ok=True)
        return report

    def _observe_poll(self, poll: PollReport) -> None:
        self.tally.add(poll)
        if self._claim_on_done and self._lanes is not None and self.lanes.waiting() == 0:
            self._claim_for_free_lanes()  # this poll's lane frees and nothing waits for it: claim one now
        if poll.paused:
            log.debug("feed %s: host paused, polled once the pause ends", poll.feed_url, extra={"feed": poll.feed_url})
        if not poll.made:
            return
        self.metrics.observe_poll(
            poll.label,
            poll.new,
            poll.duplicates,
            poll.matches,
            poll.alerts,
            poll.seconds,
            article_errors=len(poll.article_errors),
        )
        if poll.new:  # a failure was logged once where it happened, in the pipeline
            log.info(
                "feed %s: %s, %d entries, %d new, %d near-copies, %d matches, %d alerts%s",
                poll.feed_url,
                poll.label,
                poll.entries,
                poll.new,
                poll.duplicates,
                poll.matches,
                poll.alerts,
                f" ({poll.error})" if poll.error else "",
                extra={"feed": poll.feed_url},
            )

    def _claim_for_free_lanes(self) -> None:
        """Claim the due feeds this worker's free lanes can start now (PostgreSQL), in the calling thread."""
        if not self._claiming.acquire(blocking=False):
            self._claim_again.set()  # the claim in progress runs once more when done
            return
        try:
            while True:
                self._claim_again.clear()
                busy = self.lanes.in_flight()  # (counts the poll now ending: its lane is the one to fill)
                assert self._lanes is not None
                limit = busy + max(1, self._lanes - busy)
                due = [f for f in self.store.due_feeds(self.clock(), limit)
                       if not self.lanes.busy(f.url) and not self.fetcher.gate.refuses(host_of(f))]
                self.lanes.start(interleave_by_host(due))
                self._claim_failing = False
                if not self._claim_again.is_set():
                    return
        except Exception as exc:  # the database is away: the poll job's next tick claims again
            if not self._claim_failing:
                self._claim_failing = True
                log.warning("could not claim more due feeds: %s: %s", type(exc).__name__, exc)
        finally:
            self._claiming.release()

    def run_once(self) -> CycleReport:
        """Fetch the due pages of provisional decisions, poll every enabled feed now whatever its schedule,
        then deliver what is due."""
        self.retry_pages()
        report = self.poll(self.store.claim_enabled_feeds(self.clock()))
        self.log_summary()
        self.check_feed_health()
        if self.dispatcher is not None:
            self.dispatcher.run_due()
        return report

    def retry_pages(self) -> None:
        try:
            self.page_retries.run_due()
        except Exception:  # a scheduled job must not die; the queue is still there for the next run
            log.exception("page retries failed")
            self.metrics.observe_error("page_retries")

    def check_feed_health(self) -> int:
        """Queue one warning per enabled feed without a success for [schedule] warn_after_hours. Returns
        how many were new; a feed already warned about (same stale spell) is not queued again."""
        warn_after = timedelta(hours=self.config.schedule.warn_after_hours)
        if warn_after <= timedelta(0):
            return 0
        try:
            feeds = self.store.feed_health(self.clock())
            # Every enabled channel: topic filters choose articles, and a silent feed concerns every topic.
            channels = [c.name for c in self.config.alerts.delivery_channels()]
            queued = 0
            for warning in stale_feeds(feeds, self.clock(), warn_after):
                if not self.store.queue_feed_warning(warning, channels):
                    continue
                queued += 1
                log.warning(
                    "feed %s (%s): no successful poll for %.1f hours (%d failures, last error: %s); warning %s queued",
                    warning.feed_url,
                    warning.feed_name,
                    warning.hours_without_success,
                    warning.consecutive_failures,
                    warning.last_error or "none",
                    warning.warning_id,
                    extra={"feed": warning.feed_url, "alert": warning.warning_id},
                )
            return queued
        except Exception:  # a scheduled job must not die; the next check tries again
            log.exception("feed health check failed")
            self.metrics.observe_error("feed_health")
            return 0

    def run_due_feeds(self) -> None:
        try:
            started = time.monotonic()
            # Hand out what is due and return: slow polls finish on their own lanes, and a feed whose
            # host is paused is not due until the pause ends.
            # (the limit counts the feeds this worker is polling: it may claim those again, see due_feeds)
            busy = self.lanes.in_flight()
            limit = None if self._lanes is None else busy + max(1, self._lanes - busy)
            due = [
                feed
                for feed in self.store.due_feeds(self.clock(), limit)
                if not self.lanes.busy(feed.url) and not self.fetcher.gate.refuses(host_of(feed))
            ]
            self.lanes.start(interleave_by_host(due))
            self.metrics.observe_cycle(time.monotonic() - started, ok=True)
            self._log_progress(due_now=bool(due))
        except Exception:  # never let an exception escape a scheduled job
            log.exception("poll cycle failed")
            self.metrics.observe_cycle(0.0, ok=False)
            self.metrics.observe_error("cycle")

    def log_summary(self) -> CycleSummary | None:
        """One line for the polls finished since the last summary; a warning when none reached its feed."""
        self._last_summary = time.monotonic()
        summary = self.tally.take()
        if summary is not None:
            log.log(*summary.line())
        return summary

    def _log_progress(self, *, due_now: bool) -> None:
        idle = self.lanes.idle()
        if idle or time.monotonic() - self._last_summary >= SUMMARY_MAX_SECONDS:
            self.log_summary()
        if due_now or not idle:
            return
        if self._last_heartbeat is not None and time.monotonic() - self._last_heartbeat < HEARTBEAT_SECONDS:
            return
        self._last_heartbeat = time.monotonic()
        feeds = [FeedRow.from_row(r) for r in self.store.feeds(enabled_only=True)]
        scheduled = [f for f in feeds if f.next_poll_at is not None]
        following = min(scheduled, key=lambda f: f.next_poll_at or self.clock(), default=None)
        log.info(heartbeat_line(self.clock(), following.next_poll_at if following else None,
                                following.url if following else None))

    def dispatch(self) -> None:
        try:
            if self.dispatcher is not None:
                self.dispatcher.run_due(wait=False)  # a hanging channel must not hold the others' next run
        except Exception:
            log.exception("alert dispatch failed")
            self.metrics.observe_error("dispatch")

    def apply_retention(self) -> None:
        """Clear the text of old articles that neither matched nor alerted ([ops] retention_days)."""
        try:
            cleared = self.store.prune_texts(self.config.ops.retention_days, self.clock())
            if cleared:
                log.info(
                    "retention: cleared the text of %d articles older than %d days",
                    cleared,
                    self.config.ops.retention_days,
                )
        except Exception:
            log.exception("retention job failed")
            self.metrics.observe_error("retention")

    def exclusively(self, name: str, job: Callable[[], object]) -> Callable[[], None]:
        """`job` as a scheduled job that runs only while no other worker sharing the database runs it."""

        def run() -> None:
            try:
                with self.store.exclusive_job(name) as mine:
                    if mine:
                        job()
            except Exception:  # the lock itself failed (database gone): the next run tries again
                log.exception("%s job failed", name)
                self.metrics.observe_error(name)

        return run

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """The daemon: poll due feeds and deliver alerts until SIGINT/SIGTERM (or `stop` is set)."""
        stop = stop or threading.Event()
        # imported here: the desk's web stack (Starlette, Jinja2, uvicorn) is the service's, not `monitor once`'s
        from monitor.desk.server import make_desk_server

        desk = make_desk_server(self.config.desk, self.config.database_url or self.config.database_path,
                                self.config.topics, self.config.http, self.clock)

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if stop.is_set():
                return
            log.info("received %s: finishing the work in flight, then stopping", signal.Signals(signum).name)
            self.pipeline.stopping.set()
            if self.dispatcher is not None:
                self.dispatcher.stop()  # no new attempts; the ones in flight finish within their timeout
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
        scheduler = BackgroundScheduler(timezone=UTC)
        jobs: list[tuple[str, Callable[[], object], float]] = [
            ("poll", self.run_due_feeds, self.config.pipeline.cycle_seconds),
            ("dispatch", self.dispatch, DISPATCH_SECONDS),
            ("page_retries", self.exclusively("page_retries", self.retry_pages), PAGE_RETRY_SECONDS),
        ]
        if self.config.schedule.warn_after_hours > 0:
            jobs.append(("feed_health", self.exclusively("feed_health", self.check_feed_health), HEALTH_CHECK_SECONDS))
        if self.config.ops.retention_days > 0:
            jobs.append(("retention", self.exclusively("retention", self.apply_retention), 24 * 3600))
        for job_id, job, seconds in jobs:
            # One instance at a time; runs missed while busy collapse into one; all start now.
            scheduler.add_job(job, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True,
                              next_run_time=self.clock())
        scheduler.start()

        def deliver_now() -> None:
            # Run the dispatch job at once rather than at its next tick; if it is running, it runs again
            # right after (coalesced), so an alert queued mid-run is not left for the next interval.
            try:
                scheduler.modify_job("dispatch", next_run_time=datetime.now(UTC))
            except Exception:  # the scheduler is shutting down: the next start delivers it
                log.debug("could not wake the dispatcher", exc_info=True)

        self.pipeline.on_alerts_queued = deliver_now
        self._claim_on_done = True
        ops_server = None
        if self.config.ops.enabled:
            ops_server = make_ops_server(
                self.config.ops,
                self.config.database_url or self.config.database_path,
                self.metrics,
                scheduler_alive=lambda: bool(scheduler.running),
                topics=[t.name for t in self.config.topics],
                language=self.config.alerts.language,
                timezone=self.config.alerts.timezone,
            )
            try:
                ops_server.start()  # logs where it listens
            except OSError as exc:  # a busy port must not stop the monitoring itself
                log.error("ops endpoint not started on %s:%d: %s", self.config.ops.host, self.config.ops.port, exc)
                ops_server = None
        if desk is not None:
            try:
                desk.start()  # logs where it listens
            except (OSError, DatabaseError) as exc:  # as for the ops endpoint: the monitoring goes on without it
                log.error("desk not started on %s:%d: %s", desk.ctx.settings.host, desk.ctx.settings.port, exc)
                desk = None
        log.info(
            "monitor running: %d feeds, %d topics, database %s",
            len(self.store.feeds(enabled_only=True)),
            len(self.config.topics),
            self.config.database_path,
        )
        try:
            # Wake up now and then: a signal the kernel hands to another thread only sets a flag, and the
            # main thread runs the handler once it wakes, so an untimed wait could sleep through SIGTERM.
            while not stop.wait(0.5):
                pass
        finally:
            self.pipeline.stopping.set()
            if self.dispatcher is not None:
                self.dispatcher.stop()
            scheduler.shutdown(wait=True)  # jobs in flight finish and commit what they hold
            self.lanes.stop()  # polls in flight too; the ones not started are left for the next start
            if ops_server is not None:
                ops_server.stop()
            if desk is not None:
                desk.stop()
            log.info("monitor stopped")

    def close(self) -> None:
        self.lanes.stop()
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.fetcher.close()
        if self.extractor is not None:
            self.extractor.close()
        self.store.close()
