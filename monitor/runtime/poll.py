"""Poll one feed and carry each new entry through fetch -> extract -> decide -> store -> outbox.

This is the one place where a failure of a feed or an article is caught, logged with the URL it
concerns, and turned into recorded state; nothing raised here reaches the scheduler.

Order matters for "nothing lost": an article, its decision and its alerts are committed in one
transaction before any alert is delivered, and a feed's ETag/Last-Modified only advance after all
entries of that poll are committed, so a killed process re-reads the feed and skips what it stored.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from monitor.decide.analysis import Analysis, analyse
from monitor.decide.decision import CorpusLookup, article_id_for, build_alerts, decide_analysed
from monitor.decide.near_copies import Fingerprint
from monitor.errors import ExtractionError, FeedError
from monitor.extract import Extractor
from monitor.fetch.client import PAGE_ACCEPT, Fetcher
from monitor.fetch.rules import cache_max_age
from monitor.models import Alert, Decision, Entry, ExtractedText, FetchResult, FetchStatus
from monitor.parse.article_files import read_seeds
from monitor.parse.feeds import entry_fingerprint, parse_feed
from monitor.parse.sitemap import news_sitemap_entries
from monitor.runtime.page_retries import queue_page_retry
from monitor.schedule.polls import FeedSchedState, PollOutcome, ScheduledPoll, items_per_day_from_dates, next_poll
from monitor.settings.config import Config
from monitor.store.connection import DatabaseError, is_busy
from monitor.store.database import FeedRow, NewArticle, Store
from monitor.text.urls import canonical_url

log = logging.getLogger(__name__)

# An article waits this long in all for a write lock another process holds (beyond the store's busy
# timeout per try) before it is left for the next poll; LOCKED_RETRY_SECONDS between tries.
ARTICLE_WRITE_BUDGET_SECONDS = 120
LOCKED_RETRY_SECONDS = 1.0
# A page that fails temporarily is fetched again after these delays (a host's Retry-After, if longer, is
# honoured up to PAGE_RETRY_MAX_WAIT_SECONDS) before the article is decided on its feed summary.
PAGE_RETRY_DELAYS_SECONDS = (1.0, 4.0)
PAGE_RETRY_MAX_WAIT_SECONDS = 15.0


def entry_keys(entry: Entry) -> tuple[str, ...]:
    """The keys an entry may already be stored under (articles.canonical_url); it is stored under the first.

    An entry without a link is known by its title and summary, since some feeds mint a new GUID on every
    fetch; its GUID key is looked up too, so an article stored under that is not stored again.
    """
    if entry.link:
        return (canonical_url(entry.link),)
    return (f"content:{entry_fingerprint(entry)}", f"guid:{entry.guid}")


class CorpusIndex(CorpusLookup, Protocol):
    def add(self, doc_id: str, text: str) -> None: ...

    def add_fingerprint(self, doc_id: str, fp: Fingerprint) -> None: ...


@dataclass(frozen=True)
class ReadArticle:
    """An entry's text, and the text work on it when an extraction worker did it (decide/analysis.py)."""

    extracted: ExtractedText
    analysis: Analysis | None


@dataclass
class PollReport:
    feed_url: str
    status: FetchStatus = FetchStatus.OK
    crashed: bool = False  # the poll raised (a bug, a store failure): counted and stored as "error"
    error: str | None = None
    entries: int = 0
    new: int = 0
    duplicates: int = 0
    matches: int = 0
    alerts: int = 0
    fallbacks: int = 0
    deferred: int = 0  # new entries left for the next poll (over pipeline.max_entries_per_poll)
    recovered: int = 0  # new entries found in the site's news sitemap after a possibly-missed poll
    seconds: float = 0.0
    article_errors: list[str] = field(default_factory=list)
    # No request was made: the host asked us to wait and the feed stays due until the pause ends. Not a
    # poll outcome, so nothing about the feed is recorded (no failure counted).
    paused: bool = False
    # No request was made: the claim on the feed ran out before it (another worker polls it now).
    handed_over: bool = False

    @property
    def made(self) -> bool:
        """A request was made (or tried): the poll has an outcome to record and count."""
        return not (self.paused or self.handed_over)

    @property
    def failed(self) -> bool:
        return self.crashed or self.status not in (FetchStatus.OK, FetchStatus.NOT_MODIFIED)

    @property
    def label(self) -> str:
        """The status as feeds.last_status, the metrics and the log show it."""
        return "error" if self.crashed else self.status.value



def _worth_retrying_now(page: FetchResult) -> bool:
    return page.status is FetchStatus.TEMPORARY and "timed out" not in (page.error or "")

class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        extractor: Extractor | None,
        index: CorpusIndex,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.extractor = extractor
        self.index = index
        self.clock = clock
        self.rng = rng or random.Random()
        self.stopping = threading.Event()
        # Called after a transaction queued alerts: the daemon uses it to deliver now, not at the next tick.
        self.on_alerts_queued: Callable[[], None] | None = None

    # -- seeds --------------------------------------------------------------------------------

    def load_seeds(self) -> int:
        """Put the seed articles into the store and the corpus once; later starts find them there."""
        added = 0
        for seed in read_seeds(self.config.pipeline.seeds_dir):
            seed_article = NewArticle(
                article_id=seed.id,
                canonical_url=f"seed:{seed.id}",
                url="",
                feed_url=None,
                guid=None,
                source="seed",
                extracted=ExtractedText(title=seed.title, text=seed.text, language="ar", method="seed"),
                summary="",
                published=None,
                seen_at=self.clock(),
                is_seed=True,
                in_corpus=True,
            )
            added += self.store.record_corpus_article(seed_article)
        if added:
            log.info("loaded %d seed articles from %s", added, self.config.pipeline.seeds_dir)
        return added

    # -- one feed -----------------------------------------------------------------------------

    def poll_feed(self, feed: FeedRow) -> PollReport:
        report = PollReport(feed_url=feed.url)
        started = time.monotonic()
        try:
            self._poll(feed, report)
        except Exception as exc:  # the catch-all: a bug or a store failure must not kill the daemon
            log.exception("feed %s: poll failed unexpectedly", feed.url, extra={"feed": feed.url})
            report.status, report.crashed = FetchStatus.TEMPORARY, True
            report.error = f"{type(exc).__name__}: {exc}"
            self._record(feed, report, PollOutcome(status=FetchStatus.TEMPORARY))
        report.seconds = time.monotonic() - started
        return report

    def _poll(self, feed: FeedRow, report: PollReport) -> None:
        result = self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified,
                                    before_request=lambda: self._still_held(feed))
        if result.withdrawn:
            report.handed_over = True
            return
        if self._refused_by_pause(result):
            report.paused = True
            return
        if result.status is FetchStatus.NOT_MODIFIED:
            report.status = result.status
            self._record(
                feed,
                report,
                PollOutcome(
                    status=result.status,
                    max_age_seconds=cache_max_age(result.headers),
                    retry_after_seconds=result.retry_after_seconds,
                ),
                etag=result.etag or feed.etag,
                last_modified=result.last_modified or feed.last_modified,
                http_status=result.http_status,
            )
            return
        if not result.ok:
            report.status, report.error = result.status, result.error or f"HTTP {result.http_status}"
            log.warning("feed %s: %s (%s)", feed.url, report.error, result.status.value, extra={"feed": feed.url})
            self._record(
                feed,
                report,
                PollOutcome(status=result.status, retry_after_seconds=result.retry_after_seconds),
                http_status=result.http_status,
            )
            return
        try:
            parsed = parse_feed(result.body, result.headers, result.final_url)
        except FeedError as exc:
            report.status, report.error = FetchStatus.SOFT, f"not a usable feed: {exc}"
            log.warning("feed %s: %s", feed.url, report.error, extra={"feed": feed.url})
            self._record(feed, report, PollOutcome(status=FetchStatus.SOFT), http_status=result.http_status)
            return
        if parsed.warning:
            log.info(
                "feed %s: recovered %d entries from a malformed feed (%s)",
                feed.url,
                len(parsed.entries),
                parsed.warning,
                extra={"feed": feed.url},
            )
        report.entries = len(parsed.entries)
        self._process_entries(feed, parsed.entries, report)
        if self.stopping.is_set():
            return  # keep the old validators: the rest of this poll is redone on the next start
        unfinished = bool(report.article_errors or report.deferred)
        window_rate = (
            items_per_day_from_dates(e.published for e in parsed.entries) if feed.items_per_day is None else None
        )
        planned = self._record(
            feed,
            report,
            PollOutcome(
                status=FetchStatus.OK,
                new_items=report.new,
                total_items=report.entries,
                ttl_minutes=parsed.ttl_minutes,
                max_age_seconds=cache_max_age(result.headers),
                retry_after_seconds=result.retry_after_seconds,
                window_items_per_day=window_rate,
            ),
            # An article that failed to store, or was deferred, must be seen again: keep the old validators
            # so the next poll is a full fetch, not a 304 that would hide it for good.
            etag=feed.etag if unfinished else result.etag,
            last_modified=feed.last_modified if unfinished else result.last_modified,
            http_status=result.http_status,
        )
        if planned.possibly_missed and feed.last_success_at is not None and not self.stopping.is_set():
            self._recover_from_sitemap(feed, report, feed.last_success_at)

    def _still_held(self, feed: FeedRow) -> bool:
        """Renew the claim on the feed just before its request; no request without it. A database that
        cannot answer leaves the poll to the next claim, as the outcome could not be recorded either."""
        try:
            held = self.store.hold_feed(feed.url, self.clock())
        except Exception as exc:
            log.warning("feed %s: the claim on it cannot be renewed (%s: %s); polled on its next claim",
                        feed.url, type(exc).__name__, exc, extra={"feed": feed.url})
            return False
        if not held:
            log.info("feed %s: another worker took it over while this one waited; left to it", feed.url,
                     extra={"feed": feed.url})
        return held

    def _refused_by_pause(self, result: FetchResult) -> bool:
        """The fetch never reached the server because its host is paused (a 429/503 elsewhere asked us to
        wait). A network failure that coincides with a pause counts the same: it could not be retried
        before the pause ends anyway, and the next poll shows it."""
        if result.status is not FetchStatus.TEMPORARY or result.http_status is not None:
            return False
        host = urlsplit(result.final_url).hostname or ""
        return self.fetcher.gate.paused_for(host) > 0

    def _recover_from_sitemap(self, feed: FeedRow, report: PollReport, since: datetime) -> None:
        """Look in the site's news sitemap for what was published since the last good poll.

        Runs after the poll is recorded, so the feed's own entries are safe whatever happens here; the
        recovered entries go through the same dedup/match/alert path, so ones the feed did show are skipped.
        """
        try:
            found = news_sitemap_entries(
                self.fetcher, feed.url, since, self.clock(), self.config.pipeline.max_entries_per_poll
            )
        except Exception:  # recovery is best effort: it must never turn a good poll into a failure
            log.exception("feed %s: news sitemap recovery failed", feed.url, extra={"feed": feed.url})
            return
        if found.sitemap_url is None:
            log.info("feed %s: possibly missed items, but the site has no readable news sitemap", feed.url,
                     extra={"feed": feed.url})
            return
        if not found.entries or self.stopping.is_set():
            log.info("feed %s: news sitemap %s lists nothing new since %s", feed.url, found.sitemap_url,
                     since.isoformat(), extra={"feed": feed.url})
            return
        sub = PollReport(feed_url=feed.url)
        self._process_entries(feed, found.entries, sub)
        report.recovered = sub.new - sub.deferred - len(sub.article_errors)
        report.duplicates += sub.duplicates
        report.matches += sub.matches
        report.alerts += sub.alerts
        report.article_errors.extend(sub.article_errors)
        log.warning(
            "feed %s: recovered %d missed items from news sitemap %s (%d matches, %d alerts)",
            feed.url,
            report.recovered,
            found.sitemap_url,
            sub.matches,
            sub.alerts,
            extra={"feed": feed.url},
        )

    def _process_entries(self, feed: FeedRow, entries: tuple[Entry, ...], report: PollReport) -> None:
        keyed = [(entry_keys(e), e) for e in entries]
        seen = self.store.seen_urls([k for keys, _ in keyed for k in keys])
        fresh: dict[str, Entry] = {}
        for keys, entry in keyed:
            if not seen.intersection(keys) and keys[0] not in fresh:
                fresh[keys[0]] = entry
        report.new = len(fresh)
        # Feeds list newest first; deciding oldest first makes the earliest version the original.
        todo = list(fresh.items())[: self.config.pipeline.max_entries_per_poll][::-1]
        report.deferred = len(fresh) - len(todo)
        errors_before = len(report.article_errors)
        for key, entry in todo:
            if self.stopping.is_set():
                break
            try:
                decision = self.process_entry(feed, key, entry, report)
            except (DatabaseError, OSError) as exc:
                # The database or its disk is failing (full, locked): every article meets the same error, so
                # one line each, not a traceback each.
                log.error("article %s (feed %s): not stored: %s: %s", entry.link or entry.guid, feed.url,
                          type(exc).__name__, exc, extra={"feed": feed.url, "article": entry.link or entry.guid})
                log.debug("article %s: traceback", entry.link or entry.guid, exc_info=True)
                report.article_errors.append(f"{entry.link or entry.guid}: {type(exc).__name__}: {exc}")
                continue
            except Exception as exc:
                log.exception("article %s (feed %s): processing failed", entry.link or entry.guid, feed.url,
                              extra={"feed": feed.url, "article": entry.link or entry.guid})
                report.article_errors.append(f"{entry.link or entry.guid}: {type(exc).__name__}: {exc}")
                continue
            if decision is None:
                continue
            if decision.duplicate_of:
                report.duplicates += 1
            if decision.matched_topics:
                report.matches += 1
        failed = report.article_errors[errors_before:]
        if failed:
            log.warning("feed %s: %d of %d new articles failed (first: %s); the feed is read again in full next poll",
                        feed.url, len(failed), len(todo), failed[0], extra={"feed": feed.url})

    def fetch_page(self, url: str) -> FetchResult:
        """The article page, retried on a short backoff while it fails temporarily (5xx, 429, a reset or
        refused connection): deciding on the feed summary alone loses the alert a full page would raise.
        A host pause (Retry-After) longer than the backoff is waited out when it is short, else given up.
        Timeouts are not retried here: a silent host would cost its lanes a full timeout per try."""
        page = self.fetcher.fetch(url, accept=PAGE_ACCEPT)
        for delay in PAGE_RETRY_DELAYS_SECONDS:
            if not _worth_retrying_now(page) or self.stopping.is_set():
                break
            wait = max(delay, page.retry_after_seconds or 0.0)
            if wait > PAGE_RETRY_MAX_WAIT_SECONDS:
                break
            log.info("article %s: page failed (%s); trying again in %.0fs", url, page.error or page.status.value, wait,
                     extra={"article": url})
            if self.stopping.wait(wait):
                break
            page = self.fetcher.fetch(url, accept=PAGE_ACCEPT)
        return page

    def article_text(self, entry: Entry) -> ExtractedText:
        """The page's main text, or the feed's own title + summary when the page cannot be used."""
        return self.read_article(entry).extracted

    def read_article(self, entry: Entry) -> ReadArticle:
        """article_text, with the text work the extraction worker did on a page (None on the feed's text)."""
        feed_text = "\n".join(part for part in (entry.title, entry.summary) if part)
        reason: str | None
        if not self.config.pipeline.fetch_pages or self.extractor is None:
            reason = "page fetching disabled"
        elif not entry.link:
            reason = "entry has no link"
        else:
            page = self.fetch_page(entry.link)
            if not page.ok:
                reason = f"page fetch failed: {page.error or page.status.value}"
                if page.status is FetchStatus.TEMPORARY:
                    # fetched again later (runtime/page_retries.py); decided provisionally meanwhile
                    pending = ExtractedText(title=entry.title, text=feed_text, language=None, method="feed",
                                            fallback_reason=reason, page_pending=True)
                    return ReadArticle(pending, None)
            else:
                try:
                    analysed = self.extractor.analyse(page.body, page.final_url, entry.title)
                except ExtractionError as exc:
                    reason = f"page extraction failed: {exc}"
                else:
                    extracted = ExtractedText(
                        title=analysed.title, text=analysed.page.text, language=analysed.page.language, method="page"
                    )
                    # A pool started with other topics than this pipeline's: its topic results would be wrong.
                    same_topics = self.extractor.topics == tuple(self.config.topics)
                    return ReadArticle(extracted, analysed.analysis if same_topics else None)
        if entry.link and reason not in ("page fetching disabled",):
            log.info("article %s: using feed summary (%s)", entry.link, reason, extra={"article": entry.link})
        summary = ExtractedText(title=entry.title, text=feed_text, language=None, method="feed", fallback_reason=reason)
        return ReadArticle(summary, None)

    def process_entry(self, feed: FeedRow, key: str, entry: Entry, report: PollReport) -> Decision | None:
        read = self.read_article(entry)
        extracted = read.extracted
        if extracted.method == "feed":
            report.fallbacks += 1
        # Text work not done by a worker (the feed's own text) is done here, outside the store lock.
        analysis = read.analysis or analyse(extracted.title, extracted.text, self.config.topics)
        deadline = time.monotonic() + ARTICLE_WRITE_BUDGET_SECONDS
        waited = False
        while True:
            try:
                stored = self._decide_and_store(feed, key, entry, extracted, analysis)
                break
            except DatabaseError as exc:
                # Another process holding the write lock past the busy timeout (a long backup, a
                # `monitor db` command): wait on, within the article's budget, with one line for it.
                if not is_busy(exc) or time.monotonic() >= deadline or self.stopping.is_set():
                    raise
                if not waited:
                    waited = True
                    log.warning("article %s: the database is locked by another process; retrying for up to %ds",
                                entry.link or entry.guid, ARTICLE_WRITE_BUDGET_SECONDS,
                                extra={"feed": feed.url, "article": entry.link or entry.guid})
                time.sleep(LOCKED_RETRY_SECONDS)
        if stored is None:
            return None
        decision, alerts, queued = stored
        article_id = article_id_for(key)
        report.alerts += queued  # counted once committed: the log and metrics say what the database holds
        if extracted.page_pending:
            log.info("article %s: %s; decided provisionally on the feed's headline/summary, page queued to be"
                     " fetched again", entry.link, extracted.fallback_reason,
                     extra={"feed": feed.url, "article": entry.link, "article_id": article_id})
        if decision.duplicate_of:
            log.info(
                "article %s: near-copy of %s (%.2f)", entry.link, decision.duplicate_of, decision.near_copy.similarity,
                extra={"feed": feed.url, "article": entry.link, "article_id": article_id},
            )
        if queued and self.on_alerts_queued is not None:
            self.on_alerts_queued()  # after the commit: the dispatcher reads committed rows only
        for alert in alerts:
            log.info(
                "article %s: matches topic %s (score %.2f >= %.2f), alert %s queued",
                entry.link,
                alert.topic,
                alert.score,
                alert.threshold,
                alert.alert_id,
                extra={"feed": feed.url, "article": entry.link, "article_id": article_id, "alert": alert.alert_id},
            )
        return decision

    def _decide_and_store(
        self, feed: FeedRow, key: str, entry: Entry, extracted: ExtractedText, analysis: Analysis
    ) -> tuple[Decision, list[Alert], int] | None:
        """Decide and store in one transaction; None if another worker stored the article meanwhile."""
        article_id = article_id_for(key)
        now = self.clock()
        # Decide, store and index under the store lock: two workers holding copies of one story must not
        # both miss each other in the index and both alert. The index learns the article only once it is
        # committed, so a failed commit leaves no copy-of-nothing behind.
        with self.store.lock:
            with self.store.atomic():
                if self.store.seen_urls([key]):
                    return None
                decision = decide_analysed(article_id, analysis, self.index)
                # A provisional article joins the corpus with its page's text, once that arrives: the index
                # keeps an article's first text, and near-copies are found on full texts.
                joins_corpus = decision.duplicate_of is None and not extracted.page_pending and (
                    self.config.pipeline.corpus_policy == "all" or bool(decision.matched_topics)
                )
                alerts = build_alerts(
                    decision,
                    title=extracted.title,
                    url=entry.link,
                    source=feed.name,
                    published=entry.published,
                    text=extracted.text,
                    now=now,
                    provisional=extracted.page_pending,
                )
                article = NewArticle(
                    article_id=article_id,
                    canonical_url=key,
                    url=entry.link,
                    feed_url=feed.url,
                    guid=entry.guid,
                    source=feed.name,
                    extracted=extracted,
                    summary=entry.summary,
                    published=entry.published,
                    seen_at=now,
                    in_corpus=joins_corpus,
                    search_terms=(analysis.title_terms, analysis.body_terms),
                    story_terms=analysis.story_terms,
                )
                queued = self.store.record_article(article, decision, alerts, self.config.alerts.channel_names_for,
                                                   self.config.alerts.alerts_per_story)
                if extracted.page_pending:  # in the article's transaction: neither is stored without the other
                    queue_page_retry(self.store, self.config.pipeline, article_id, entry.link,
                                     extracted.fallback_reason, now)
            if joins_corpus:
                self.index.add_fingerprint(article_id, analysis.fingerprint)
        return decision, alerts, queued

    # -- feed state ---------------------------------------------------------------------------

    def _record(
        self,
        feed: FeedRow,
        report: PollReport,
        outcome: PollOutcome,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        http_status: int | None = None,
    ) -> ScheduledPoll:
        """Store the poll's outcome and the next poll time (the pure schedule rule decides it)."""
        now = self.clock()
        state = FeedSchedState(
            items_per_day=feed.items_per_day,
            last_success_at=feed.last_success_at,
            consecutive_failures=feed.consecutive_failures,
            interval_seconds=feed.interval_seconds,
        )
        fixed = self.config.feed_interval_minutes(feed.url)
        planned = next_poll(state, outcome, now, self.config.schedule, self.rng, fixed)
        values: dict[str, object] = {
            "last_polled_at": now,
            "last_status": report.label,
            "last_http_status": http_status,
            "next_poll_at": planned.at,
            "interval_seconds": planned.state.interval_seconds,
            "consecutive_failures": planned.state.consecutive_failures,
            "items_per_day": planned.state.items_per_day,
        }
        if planned.state.consecutive_failures == 0:
            values.update(
                {
                    "etag": etag,
                    "last_modified": last_modified,
                    "last_success_at": now,
                    "last_error": None,
                    "new_items_last_poll": report.new,
                }
            )
            if planned.possibly_missed:
                log.warning("feed %s: every entry was new; some may have been missed (%s)", feed.url, planned.reason,
                            extra={"feed": feed.url})
                values["possibly_missed_items"] = 1
        else:
            values["last_error"] = report.error
        try:
            self.store.update_feed(feed.url, values)
        except (DatabaseError, OSError) as exc:  # the database or its disk is failing: one line
            log.error("feed %s: could not record the poll outcome: %s: %s", feed.url, type(exc).__name__, exc,
                      extra={"feed": feed.url})
        except Exception:
            log.exception("feed %s: could not record the poll outcome", feed.url, extra={"feed": feed.url})
        return planned
