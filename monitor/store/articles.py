"""Articles and their decisions, and the one write that records an article with everything it causes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.decide.stories import Terms
from monitor.models import Alert, Decision, ExtractedText
from monitor.settings.sections import StorySettings
from monitor.store import outbox, search, stories
from monitor.store.times import format_time


@dataclass(frozen=True)
class NewArticle:
    article_id: str
    canonical_url: str
    url: str
    feed_url: str | None
    guid: str | None
    source: str
    extracted: ExtractedText
    summary: str
    published: datetime | None
    seen_at: datetime
    is_seed: bool = False
    in_corpus: bool = False
    # The search index's (title, body) terms of extracted.title/text, when computed already (decide/analysis.py)
    search_terms: tuple[str, str] | None = None
    story_terms: Terms | None = None  # from the text work (decide/analysis.py); else computed when stored


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


# The per-article rows are written by plain statements: sqlite-utils' insert() rebuilds its statement from
# the dict's keys on every call, which cost ~40 us per row against ~9 for the statement.
_ARTICLE_COLUMNS = ("id", "canonical_url", "url", "feed_url", "guid", "source", "title", "published", "seen_at",
                    "text", "summary", "language", "extraction", "fallback_reason", "is_seed", "in_corpus")
_INSERT_ARTICLE = _insert("articles", _ARTICLE_COLUMNS)
_DECISION_COLUMNS = ("article_id", "decided_at", "duplicate_of", "similarity", "duplicate_kind", "duplicate_passage",
                     "matched_topics", "topics_json")
_INSERT_DECISION = _insert("decisions", _DECISION_COLUMNS)


def insert_article(db: sqlite_utils.Database, article: NewArticle) -> None:
    extracted = article.extracted
    db.conn.execute(_INSERT_ARTICLE, (
        article.article_id, article.canonical_url, article.url, article.feed_url, article.guid, article.source,
        extracted.title, format_time(article.published), format_time(article.seen_at), extracted.text,
        article.summary, extracted.language, extracted.method, extracted.fallback_reason, int(article.is_seed),
        int(article.in_corpus),
    ))
    search.index_article(db.conn, article.article_id, article.extracted.title, article.extracted.text,
                         article.search_terms)


def insert_decision(db: sqlite_utils.Database, decision: Decision, now: datetime) -> None:
    near = decision.near_copy
    db.conn.execute(_INSERT_DECISION, (
        decision.article_id, format_time(now), near.duplicate_of, near.similarity, near.kind, near.passage,
        ",".join(t.name for t in decision.matched_topics),
        json.dumps([t.to_json() for t in decision.topics], ensure_ascii=False),
    ))


def join_story(db: sqlite_utils.Database, article: NewArticle, settings: StorySettings,
               near_copy_of: str | None = None, topics: Sequence[str] = (),
               cache: stories.StoryCache | None = None) -> stories.Placement:
    """The stored article joins its story (in the caller's transaction)."""
    return stories.join(
        db.conn, article_id=article.article_id, source=article.source, title=article.extracted.title,
        text=article.extracted.text, at=stories.article_time(article.published, article.seen_at),
        near_copy_of=near_copy_of, topics=topics, settings=settings, terms=article.story_terms, cache=cache,
    )


def record_decided(
    db: sqlite_utils.Database,
    article: NewArticle,
    decision: Decision,
    alerts: Sequence[Alert],
    channels_for: Callable[[str], Sequence[str]],
    story_settings: StorySettings | None = None,
    per_story: Callable[[str], bool] = lambda channel: False,
    story_cache: stories.StoryCache | None = None,
) -> int:
    """Article, decision, search entry, story, "also published" note and alerts; returns how many alerts
    were queued. Runs in the caller's transaction, so all of it commits together."""
    insert_article(db, article)
    insert_decision(db, decision, article.seen_at)
    settings = story_settings or StorySettings()
    placed = join_story(db, article, settings, decision.duplicate_of, [t.name for t in decision.matched_topics],
                        story_cache)
    original = decision.duplicate_of
    if original is not None and db.execute("SELECT 1 FROM alerts WHERE article_id = ? LIMIT 1", [original]).fetchone():
        # a near-copy of an alerted article is noted on that alert rather than alerted again
        outbox.record_also_published(db.conn, original, article.article_id, article.source, article.url)
    queued = 0
    for alert in alerts:
        names = channels_for(alert.topic)
        if not outbox.enqueue(db.conn, alert, names):
            continue
        queued += 1
        if placed.choice.story_id is None:
            continue  # the story starts here: its first alert, on every channel
        for name in dict.fromkeys(names):
            if per_story(name):
                stories.route_alert(
                    db.conn, alert_id=alert.alert_id, article_id=alert.article_id, topic=alert.topic,
                    score=alert.score, story_id=placed.choice.story_id, channel=name,
                    delivery_id=outbox.delivery_id(alert.alert_id, name), now=alert.created_at, settings=settings,
                )
    return queued


def has_id(db: sqlite_utils.Database, article_id: str) -> bool:
    return db.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone() is not None


def seen_urls(db: sqlite_utils.Database, canonical_urls: list[str]) -> set[str]:
    if not canonical_urls:
        return set()
    marks = ",".join("?" * len(canonical_urls))
    found = db.execute(f"SELECT canonical_url FROM articles WHERE canonical_url IN ({marks})", canonical_urls)
    return {r[0] for r in found.fetchall()}


def is_present(db: sqlite_utils.Database, article: NewArticle) -> bool:
    """Same id (same text), same URL, or the very article under its own id (a seed file imported again)."""
    found = db.execute(
        "SELECT 1 FROM articles WHERE id = ? OR canonical_url = ? OR (id = ? AND text = ?)",
        [article.article_id, article.canonical_url, article.guid, article.extracted.text],
    )
    return found.fetchone() is not None


def corpus_rows(
    db: sqlite_utils.Database, include_all: bool, source: str | None, limit: int | None
) -> list[dict[str, Any]]:
    where = [] if include_all else ["in_corpus = 1"]
    params: list[Any] = []
    if source:
        where.append("source = ?")
        params.append(source)
    sql = ("SELECT id, title, text, url, source, published, seen_at, is_seed, in_corpus FROM articles"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seen_at, id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return list(db.query(sql, params))


def corpus_sources(db: sqlite_utils.Database) -> list[tuple[str, int]]:
    """(source, articles) in the corpus, largest first."""
    found = db.execute(
        "SELECT source, count(*) FROM articles WHERE in_corpus = 1 GROUP BY source ORDER BY count(*) DESC"
    )
    return [(str(s), int(n)) for s, n in found.fetchall()]
