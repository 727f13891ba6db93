"""Pages that failed temporarily, fetched again until they arrive; then their article is decided again.

A new article whose page fails with a temporary status (timeout, 5xx, 429, connection error) is decided
on the feed's headline/summary at once, so a match is not held back, but that decision is provisional:
its alerts say so and the page goes into a persisted queue (Store.queue_page_retry, in the same
transaction as the article). `PageRetries.run_due` fetches the due pages, waiting out a host's pause
(Retry-After) rather than spending a try on it, at doubling intervals from [pipeline]
page_retry_first_seconds up to page_retry_max_seconds. When the page arrives the article is decided on
its text: a provisional alert is confirmed or withdrawn (a withdrawal goes out on every channel the alert
went to), and a topic the summary did not match but the text does alerts now. After
page_retry_give_up_hours, or when the page answers with a lasting failure (404, 410, not a page), the
article keeps the decision it has, said once in the log; its provisional alerts become "unconfirmed".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from monitor.decide.decision import CorpusLookup, build_alerts, decide
from monitor.decide.redecide import settle
from monitor.errors import ExtractionError
from monitor.extract import Extractor
from monitor.fetch.client import PAGE_ACCEPT, Fetcher
from monitor.models import ExtractedText, FetchStatus, NearCopy
from monitor.settings.config import Config
from monitor.settings.sections import PipelineSettings
from monitor.store.connection import DatabaseError
from monitor.store.database import PageRetry, Store

log = logging.getLogger(__name__)

BATCH = 50  # pages looked at per run: the next run takes the rest
MAX_HOSTS_AT_ONCE = 8


def retry_delay_seconds(attempts: int, settings: PipelineSettings) -> float:
    """The wait before the next fetch after `attempts` failed fetches since the first failure."""
    return float(min(settings.page_retry_max_seconds, settings.page_retry_first_seconds * 2 ** min(attempts, 30)))


def queue_page_retry(
    store: Store, settings: PipelineSettings, article_id: str, url: str, reason: str | None, now: datetime
) -> datetime:
    """Queue the page of an article just decided on its feed text (inside the transaction storing it);
    returns when it is fetched next, for the line the caller logs once the transaction is committed."""
    next_at = now + timedelta(seconds=retry_delay_seconds(0, settings))
    store.queue_page_retry(article_id, url, reason, now, next_at)
    return next_at


class CorpusIndex(CorpusLookup, Protocol):
    def add(self, doc_id: str, text: str) -> None: ...


class Pipeline(Protocol):
    """What the retries use of runtime/poll.py's Pipeline: its parts, clock, stop flag and wake-up hook."""

    @property
    def config(self) -> Config: ...
    @property
    def store(self) -> Store: ...
    @property
    def fetcher(self) -> Fetcher: ...
    @property
    def extractor(self) -> Extractor | None: ...
    @property
    def index(self) -> CorpusIndex: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def stopping(self) -> threading.Event: ...
    @property
    def on_alerts_queued(self) -> Callable[[], None] | None: ...


@dataclass
class RetryReport:
    fetched: int = 0  # pages that arrived and were decided on
    confirmed: int = 0
    withdrawn: int = 0
    raised: int = 0  # alerts the page's text raised that the summary had not
    postponed: int = 0
    given_up: int = 0  # kept their provisional decision: out of time, or the page is gone for good
    errors: int = 0

    def add(self, other: RetryReport) -> None:
        for name in ("fetched", "confirmed", "withdrawn", "raised", "postponed", "given_up", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PageRetries:
    """Runs the page retry queue of one pipeline (its store, fetcher, extractor, index and clock)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def run_due(self) -> RetryReport:
        report = RetryReport()
        p = self.pipeline
        try:
            due = p.store.due_page_retries(p.clock(), BATCH)
        except (DatabaseError, OSError) as exc:
            log.error("page retries: cannot read the queue: %s: %s", type(exc).__name__, exc)
            report.errors += 1
            return report
        # One host's pages one after another, hosts side by side: a host whose pages time out costs its
        # own turn only, and the host gate keeps the per-host spacing either way.
        by_host: dict[str, list[PageRetry]] = {}
        for retry in due:
            by_host.setdefault(urlsplit(retry.url).hostname or "", []).append(retry)
        if by_host:
            workers = max(1, min(len(by_host), p.config.pipeline.workers, MAX_HOSTS_AT_ONCE))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page-retry") as pool:
                reports = list(pool.map(self._host, by_host.values()))
            for part in reports:
                report.add(part)
        if (report.raised or report.withdrawn) and p.on_alerts_queued is not None:
            p.on_alerts_queued()  # after the commit: the dispatcher reads committed rows only
        return report

    def _host(self, retries: list[PageRetry]) -> RetryReport:
        report = RetryReport()
        for retry in retries:
            if self.pipeline.stopping.is_set():
                break
            try:
                self._one(retry, report)
            except (DatabaseError, OSError) as exc:  # the next run tries again: the row is still queued
                log.error("article %s: page retry not recorded: %s: %s", retry.url, type(exc).__name__, exc,
                          extra={"article": retry.url, "article_id": retry.article_id})
                report.errors += 1
            except Exception:
                log.exception("article %s: page retry failed", retry.url,
                              extra={"article": retry.url, "article_id": retry.article_id})
                report.errors += 1
        return report

    def _one(self, retry: PageRetry, report: RetryReport) -> None:
        p = self.pipeline
        settings = p.config.pipeline
        now = p.clock()
        give_up_at = retry.first_failed_at + timedelta(hours=settings.page_retry_give_up_hours)
        if now >= give_up_at:
            self._give_up(retry, f"the page kept failing for {settings.page_retry_give_up_hours:g} hours"
                                 f" ({retry.attempts + 1} fetches; last: {retry.last_error or 'unknown'})", report)
            return
        host = urlsplit(retry.url).hostname or ""
        pause = p.fetcher.gate.paused_for(host)
        if pause > 0:  # the host asked us to wait: not a try, and not a reason to give up sooner
            p.store.postpone_page_retry(retry.article_id, min(now + timedelta(seconds=pause), give_up_at),
                                        retry.last_error, tried=False)
            report.postponed += 1
            return
        page = p.fetcher.fetch(retry.url, accept=PAGE_ACCEPT)
        if page.status is FetchStatus.TEMPORARY:
            error = page.error or f"HTTP {page.http_status}"
            wait = max(retry_delay_seconds(retry.attempts + 1, settings), page.retry_after_seconds or 0.0)
            next_at = min(now + timedelta(seconds=wait), give_up_at)
            p.store.postpone_page_retry(retry.article_id, next_at, error)
            report.postponed += 1
            log.info("article %s: page failed again (%s); next try at %s", retry.url, error, next_at.isoformat(),
                     extra={"article": retry.url, "article_id": retry.article_id})
            return
        if not page.ok:
            self._give_up(retry, f"the page answered {page.error or page.status.value}", report)
            return
        if p.extractor is None:
            self._give_up(retry, "page extraction is off", report)
            return
        try:
            extracted = p.extractor.extract(page.body, page.final_url)
        except ExtractionError as exc:
            self._give_up(retry, f"page extraction failed: {exc}", report)
            return
        text = ExtractedText(title=retry.title or extracted.title or "", text=extracted.text,
                             language=extracted.language, method="page")
        self._decide_again(retry, text, report)

    def _give_up(self, retry: PageRetry, why: str, report: RetryReport) -> None:
        pending = self.pipeline.store.give_up_page_retry(retry.article_id, why, self.pipeline.clock())
        report.given_up += 1
        outcome = (f"its provisional alert(s) for {', '.join(pending)} stand as sent, marked unconfirmed" if pending
                   else "it stays decided on its feed headline/summary")
        log.warning("article %s: page retries given up: %s; %s", retry.url, why, outcome,
                    extra={"article": retry.url, "article_id": retry.article_id, "feed": retry.feed_url})

    def _decide_again(self, retry: PageRetry, text: ExtractedText, report: RetryReport) -> None:
        p = self.pipeline
        now = p.clock()
        with p.store.lock:
            with p.store.atomic():
                alerted = p.store.article_alerts(retry.article_id)
                decision = decide(retry.article_id, text.title, text.text, p.index, p.config.topics)
                if decision.near_copy.duplicate_of == retry.article_id:  # not its own earlier text
                    decision = replace(decision, near_copy=NearCopy(None, 0.0))
                settlement = settle(alerted, decision)
                raised = {r.name for r in settlement.raised}
                new_alerts = [
                    a for a in build_alerts(decision, title=text.title, url=retry.url, source=retry.source,
                                            published=retry.published, text=text.text, now=now)
                    if a.topic in raised
                ]
                joins_corpus = not retry.in_corpus and decision.duplicate_of is None and (
                    p.config.pipeline.corpus_policy == "all" or bool(decision.matched_topics)
                )
                settled = p.store.settle_page_retry(
                    retry.article_id, text, decision, settlement.confirmed, settlement.withdrawn, new_alerts,
                    p.config.alerts.channel_names_for, now, joins_corpus=joins_corpus,
                )
            if joins_corpus:
                p.index.add(retry.article_id, text.text)
        report.fetched += 1
        report.confirmed += len(settled.confirmed)
        report.withdrawn += len(settled.withdrawn)
        report.raised += settled.raised
        extra = {"article": retry.url, "article_id": retry.article_id, "feed": retry.feed_url}
        for result, alert_id in zip(settlement.confirmed, settled.confirmed, strict=False):
            log.info("article %s: page arrived; provisional alert %s confirmed (%s)", retry.url, alert_id,
                     result.reason, extra={**extra, "alert": alert_id})
        for result, alert_id in zip(settlement.withdrawn, settled.withdrawn, strict=False):
            log.warning("article %s: page arrived; provisional alert %s withdrawn (%s); withdrawal queued",
                        retry.url, alert_id, result.reason, extra={**extra, "alert": alert_id})
        for alert in new_alerts:
            log.info("article %s: page arrived and matches topic %s (score %.2f >= %.2f), alert %s queued",
                     retry.url, alert.topic, alert.score, alert.threshold, alert.alert_id,
                     extra={**extra, "alert": alert.alert_id})
        if not settlement.changed:
            log.info("article %s: page arrived after %d tries; decided again on its text (no alert)",
                     retry.url, retry.attempts + 1, extra=extra)
