"""The Store: the one way in to the monitor's database for the pipeline, the daemon and the commands.

Callers ask for named operations (`record_article`, `due_feeds`, `counts`, `search`, ...) and get values
back, never a connection or SQL, so another backend can stand behind the same methods. The SQL is in the
modules beside this one: feeds, articles, corpus_index, search, outbox, maintenance, reads; the schema
in migrations, applied when the Store opens.

One connection is shared by the daemon's threads; `lock` serialises every use of it. `db` and
`transaction()` (which hands out the connection) remain for tests and benchmarks that inspect or
bulk-load a database; the daemon and the commands do not use them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.fetch.hosts import SharedPoliteness
from monitor.models import Alert, Decision, ExtractedText, TopicResult
from monitor.schedule.feed_health import FeedHealth, FeedWarning
from monitor.settings.sections import StorySettings
from monitor.store import articles, feeds, maintenance, outbox, page_retries, reads, search, stories
from monitor.store.articles import NewArticle
from monitor.store.connection import StoreError, open_read_only, open_read_write, write_transaction
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.store.feeds import FeedRow
from monitor.store.migrations import MIGRATIONS, schema_version
from monitor.store.page_retries import PageRetry, Settled

__all__ = ["MIGRATIONS", "FeedRow", "NewArticle", "PageRetry", "Settled", "Store", "StoreError"]


class Store:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """read_only: open without creating, migrating or writing anything (the read commands), so a
        user who may only read the file can use them; a write then fails."""
        self.path = path
        self.db = open_read_only(path) if read_only else open_read_write(path)
        self.lock = threading.RLock()
        self.corpus_index = SqliteCorpusIndex(self.db)
        self.story_settings = StorySettings()  # the config's [stories] (set by the app)
        self.story_cache = stories.StoryCache()  # open stories' rows, checked against the database on each read

    @property
    def schema_version(self) -> int:
        return schema_version(self.db.conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """Everything inside commits together or not at all; the Store's own operations called inside join it."""
        with self.lock, write_transaction(self.db) as db:
            yield db

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """The Store operations called inside commit together or not at all, and no other thread of this
        process uses the store meanwhile (a check and the write it decides run without a race)."""
        with self.transaction():
            yield

    @contextmanager
    def exclusive_job(self, name: str) -> Iterator[bool]:
        """True inside when this process may run the job `name` now. One daemon owns a SQLite file, so
        always; on PostgreSQL only one worker at a time gets True."""
        yield True

    def shared_politeness(self) -> SharedPoliteness | None:
        """The per-host politeness shared with other workers: none on SQLite (one process owns the file)."""
        return None

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()

    # -- feeds --------------------------------------------------------------------------------

    def sync_feeds(self, feed_list: list[tuple[str, str, bool]], now: datetime) -> None:
        """Make the config's feeds (url, name, enabled) what the config lists; feeds added by CLI are left alone."""
        with self.transaction() as db:
            feeds.sync(db, feed_list, now)

    def add_feed(self, url: str, name: str, now: datetime, origin: str = "cli") -> bool:
        with self.transaction() as db:
            return feeds.add(db, url, name, now, origin)

    def remove_feed(self, url: str) -> bool:
        """Disable rather than delete: the feed's articles keep their reference."""
        with self.transaction() as db:
            return feeds.disable(db, url)

    def feeds(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return feeds.rows(self.db, enabled_only)

    def due_feeds(self, now: datetime, limit: int | None = None) -> list[FeedRow]:
        """The feeds due at `now`; `limit` is for a backend shared by several workers (PostgreSQL), where a
        worker claims only as many as it can start soon: one process owns a SQLite file and takes them all."""
        with self.lock:
            return feeds.due(self.db, now)

    def claim_enabled_feeds(self, now: datetime) -> list[FeedRow]:
        """Every enabled feed, whatever its schedule (`monitor once`); on PostgreSQL only the feeds no
        other worker is polling, claimed as due_feeds claims them."""
        with self.lock:
            return [FeedRow.from_row(r) for r in feeds.rows(self.db, enabled_only=True)]

    def hold_feed(self, url: str, now: datetime) -> bool:
        """Whether this worker still holds its claim on the feed, renewed from `now` if so; asked just
        before the feed's request goes out. One process owns a SQLite file: always."""
        return True

    def update_feed(self, url: str, values: dict[str, Any]) -> None:
        with self.transaction() as db:
            feeds.update(db, url, values)

    def feed_health(self, now: datetime) -> list[FeedHealth]:
        with self.lock:
            return feeds.health(self.db, now)

    def queue_feed_warning(self, warning: FeedWarning, channel_names: Sequence[str]) -> bool:
        """Store the warning with one pending delivery per channel; False if it was queued before."""
        with self.transaction() as db:
            return outbox.enqueue(db.conn, warning, channel_names)

    # -- articles -----------------------------------------------------------------------------

    def seen_urls(self, canonical_urls: list[str]) -> set[str]:
        with self.lock:
            return articles.seen_urls(self.db, canonical_urls)

    def record_article(
        self,
        article: NewArticle,
        decision: Decision,
        alerts: Sequence[Alert] = (),
        channels_for: Callable[[str], Sequence[str]] = lambda topic: (),
        per_story: Callable[[str], bool] = lambda channel: False,
    ) -> int:
        """Commit an article with its decision, search entry, story, "also published" note and alerts (one
        pending delivery per channel `channels_for(topic)` names; on a channel `per_story` names, a later
        member of an alerted story becomes part of a story.updated message instead), all or nothing.
        Returns the alerts queued (an alert already stored is not queued again)."""
        with self.transaction() as db:
            return articles.record_decided(db, article, decision, alerts, channels_for, self.story_settings,
                                           per_story, self.story_cache)

    def record_corpus_article(self, article: NewArticle) -> bool:
        """Store a seed or imported article in the corpus (article, near-copy index, search entry) unless
        its id is already stored. True when it was added."""
        with self.transaction() as db:
            if articles.has_id(db, article.article_id):
                return False
            articles.insert_article(db, article)
            copy_of = self.corpus_index.check(article.extracted.text).duplicate_of
            articles.join_story(db, article, self.story_settings, copy_of, cache=self.story_cache)
            self.corpus_index.add(article.article_id, article.extracted.text)
            return True

    def import_corpus_articles(self, batch: Sequence[NewArticle], skip_near_copies: bool) -> tuple[int, int, int]:
        """Add a batch of imported articles to the corpus in one transaction, leaving out those already
        stored (`is_present`) and, if asked, near-copies of the corpus. Returns (added, present, near-copies)."""
        added = present = near_copies = 0
        with self.transaction() as db:
            for article in batch:
                if articles.is_present(db, article):
                    present += 1
                elif (copy_of := self.corpus_index.check(article.extracted.text).duplicate_of) and skip_near_copies:
                    near_copies += 1
                else:
                    articles.insert_article(db, article)
                    articles.join_story(db, article, self.story_settings, copy_of, cache=self.story_cache)
                    self.corpus_index.add(article.article_id, article.extracted.text)
                    added += 1
        return added, present, near_copies

    # -- stories ------------------------------------------------------------------------------

    def place_in_story(self, title: str, text: str, at: datetime, near_copy_of: str | None = None
                       ) -> stories.Placement:
        """The story an article would join now (nothing is written): `monitor check`."""
        with self.lock:
            return stories.place(self.db.conn, title, text, at, near_copy_of, self.story_settings,
                                 cache=self.story_cache)

    def stories(self, limit: int = 50, topic: str | None = None) -> list[dict[str, Any]]:
        """Stories, latest activity first."""
        with self.lock:
            return stories.recent_stories(self.db.conn, limit, topic)

    def story(self, story_id: str) -> dict[str, Any] | None:
        """A story (by its id, a merged story's id, or a member article's id) with its members."""
        with self.lock:
            return stories.story_detail(self.db.conn, story_id)

    def corpus_articles(self, include_all: bool, source: str | None, limit: int | None) -> list[dict[str, Any]]:
        """Corpus articles (or all articles) as column -> value, oldest first."""
        with self.lock:
            return articles.corpus_rows(self.db, include_all, source, limit)

    def corpus_sources(self) -> list[tuple[str, int]]:
        with self.lock:
            return articles.corpus_sources(self.db)

    # -- pages to fetch again (provisional decisions) -----------------------------------------

    def queue_page_retry(self, article_id: str, url: str, error: str | None, now: datetime, next_at: datetime) -> None:
        """Queue the stored article's page to be fetched again at `next_at` (no change if queued already).
        Call it in the `atomic()` block that records the article, so neither is stored without the other."""
        with self.transaction() as db:
            page_retries.queue(db.conn.execute, article_id, url, error, now, next_at)

    def due_page_retries(self, now: datetime, limit: int = 100) -> list[PageRetry]:
        with self.lock:
            return page_retries.due(self.db.conn.execute, now, limit)

    def page_retry_count(self) -> int:
        with self.lock:
            return page_retries.count(self.db.conn.execute)

    def postpone_page_retry(self, article_id: str, next_at: datetime, error: str | None, tried: bool = True) -> None:
        with self.transaction() as db:
            page_retries.postpone(db.conn.execute, article_id, next_at, error, tried)

    def give_up_page_retry(self, article_id: str, why: str, now: datetime) -> tuple[str, ...]:
        """The page is not fetched again: the article keeps what it was decided on, its provisional alerts
        become 'unconfirmed'. Returns their topics."""
        with self.transaction() as db:
            return page_retries.give_up(db.conn.execute, article_id, why, now)

    def article_alerts(self, article_id: str) -> dict[str, str]:
        """topic -> status of the article's alerts."""
        with self.lock:
            return page_retries.alerted(self.db.conn.execute, article_id)

    def settle_page_retry(
        self,
        article_id: str,
        extracted: ExtractedText,
        decision: Decision,
        confirmed: Sequence[TopicResult],
        withdrawn: Sequence[TopicResult],
        new_alerts: Sequence[Alert],
        channels_for: Callable[[str], Sequence[str]],
        now: datetime,
        joins_corpus: bool = False,
    ) -> Settled:
        """Record the decision on the page's text (see page_retries.settle), all or nothing."""
        with self.transaction() as db:
            return page_retries.settle(
                db.conn.execute, article_id, extracted, decision, confirmed, withdrawn, new_alerts, now,
                joins_corpus=joins_corpus,
                enqueue_alert=lambda alert: outbox.enqueue(db.conn, alert, channels_for(alert.topic)),
                index_search=lambda i, title, text: search.index_article(db.conn, i, title, text),
            )

    def insert_article(self, db: sqlite_utils.Database, **fields: Any) -> None:
        """Insert one article (and its search entry) inside an open `transaction`; for tests' fixtures."""
        extracted: ExtractedText = fields.pop("extracted")
        articles.insert_article(db, NewArticle(extracted=extracted, **fields))

    def insert_decision(self, db: sqlite_utils.Database, decision: Decision, now: datetime) -> None:
        articles.insert_decision(db, decision, now)

    def counts(self) -> dict[str, int]:
        """Feeds, articles, corpus articles, near-copies and topic matches stored."""
        with self.lock:
            return reads.store_counts(self.db.conn)

    def delivery_states(self) -> dict[str, int]:
        """Alert deliveries by state (only the states that occur)."""
        with self.lock:
            return reads.delivery_states(self.db.conn)

    # -- search and retention -----------------------------------------------------------------

    def search(self, query: search.Query, filters: search.Filters | None = None) -> list[search.Hit]:
        with self.lock:
            return search.search(self.db.conn, query, filters or search.Filters())

    def indexed_count(self) -> int:
        with self.lock:
            return search.indexed_count(self.db.conn)

    def rebuild_search_index(self) -> int:
        with self.transaction() as db:
            return search.rebuild(db.conn)

    def prune_texts(self, older_than_days: int, now: datetime, dry_run: bool = False,
                    on_progress: Callable[[int, int], None] | None = None) -> int:
        """Clear the text of articles past retention (see maintenance.py); returns how many."""
        with self.transaction() as db:
            return maintenance.prune_texts(db.conn, older_than_days, now, dry_run, on_progress)
