"""What the pages and the API both show, computed once: the inbox's filters read from a query string, an
article's highlighted text, search results with marked snippets, a topic tried on a text, an added feed."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.decide.topics import match_topic, matched_document
from monitor.desk import highlight
from monitor.desk.highlight import Segment
from monitor.errors import FeedError, MonitorError
from monitor.fetch.client import FEED_ACCEPT, Fetcher
from monitor.models import TopicResult
from monitor.parse.discovery import discover_feed_links
from monitor.parse.encoding import http_charset
from monitor.parse.feeds import parse_feed
from monitor.parse.inputs import InputArticle, read_inputs
from monitor.settings.sections import HttpSettings
from monitor.settings.topics import Topic
from monitor.store import desk as store
from monitor.store.search import Filters, Hit, hit_spans, make_snippet, parse_query
from monitor.store.times import format_time

# Search pages are shorter than the inbox's: each result's snippet scans its whole text for the hits.
SEARCH_PAGE_MAX = 20
# Hit markers for snippets: private-use characters, removed from the text first so the text cannot forge them.
_MARK_START, _MARK_END = "\ue000", "\ue001"


# Beyond this a page is empty anyway; the cap keeps the row offset inside SQLite's 64-bit integers.
PAGE_NUMBER_MAX = 1_000_000
# Days at the ends of the calendar cannot be shifted between time zones, so bounds are kept inside these.
_FIRST_DAY, _LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def page_number(raw: str | None) -> int:
    try:
        return min(PAGE_NUMBER_MAX, max(1, int(raw or 1)))
    except ValueError:
        return 1


def day_bound(raw: str | None, zone: str, end: bool) -> str | None:
    """A YYYY-MM-DD date in the desk's zone as the outbox's UTC stamp of its first (or after its last) moment."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    day = min(_LAST_DAY, max(_FIRST_DAY, day))
    moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), zoneinfo.ZoneInfo(zone))
    stamp = format_time(moment)
    # the end bound is inclusive in the store, so stop just before the next day's midnight
    return stamp[:-2] + "~" if end else stamp


def inbox_query(params: Mapping[str, str], user: str, zone: str, page: int, size: int,
                by_story: bool = False) -> store.InboxQuery:
    """The inbox's filters from the request; `group=story` or `group=article` overrides `by_story`."""
    read = {"read": True, "unread": False}.get(params.get("read", ""))
    group = params.get("group")
    return store.InboxQuery(
        by_story=by_story if group not in ("story", "article") else group == "story",
        user=user,
        topic=params.get("topic") or None,
        source=params.get("source") or None,
        since=day_bound(params.get("since"), zone, end=False),
        until=day_bound(params.get("until"), zone, end=True),
        read=read,
        limit=size + 1,  # one more than shown says whether there is a next page
        offset=(page - 1) * size,
    )


@dataclass(frozen=True)
class ArticlePage:
    view: store.ArticleView
    title: list[Segment]
    body: list[Segment]


def article_page(view: store.ArticleView) -> ArticlePage:
    """The article with the evidence of every matched topic marked in its title and text."""
    evidence = [e for t in view.topics if t.matched for e in t.evidence]
    return ArticlePage(
        view=view,
        title=highlight.segments(view.title, highlight.title_spans(view.title, evidence)),
        body=highlight.segments(view.text, highlight.body_spans(view.title, view.text, evidence)),
    )


@dataclass(frozen=True)
class SearchResult:
    hit: Hit
    title: list[Segment]
    snippet: list[Segment]
    date: datetime | None


def search(
    conn: store.Connection, text: str, params: Mapping[str, str], page: int, size: int
) -> tuple[list[SearchResult], bool]:
    """One page of results for the user's words (normalised as the index is) and whether more follow."""
    size = min(size, SEARCH_PAGE_MAX)
    query = parse_query(text)
    filters = Filters(
        topic=params.get("topic") or None,
        source=params.get("source") or None,
        since=params.get("since") or None,
        until=params.get("until") or None,
        limit=page * size + 1,
        # newest first unless asked for the best match: ranking scores every article holding the words
        order="rank" if params.get("order") == "rank" else "stored",
    )
    hits = store.search(conn, query, filters)
    results = []
    for hit in hits[(page - 1) * size : page * size]:
        body = hit.text.replace(_MARK_START, "").replace(_MARK_END, "")
        snippet = make_snippet(body, query, marks=(_MARK_START, _MARK_END))
        results.append(
            SearchResult(
                hit=hit,
                title=highlight.segments(hit.title, hit_spans(hit.title, query)),
                snippet=highlight.split_marked(snippet, _MARK_START, _MARK_END),
                date=store.parse_time(hit.date),
            )
        )
    return results, len(hits) > page * size


@dataclass(frozen=True)
class Trial:
    title: str
    text: str
    result: TopicResult
    marked: list[Segment]  # the matched document (title, blank line, text) with the evidence marked


def try_topic(topic: Topic, title: str, text: str, url: str, http: HttpSettings) -> Trial:
    """Match `topic` on pasted text, or on the article at `url` (fetched as `monitor topics test` does)."""
    if url:
        if urlsplit(url).scheme not in ("http", "https"):
            raise MonitorError(f"not an http(s) URL: {url!r}")
        article = next(iter(read_inputs([url], http)))
        if not isinstance(article, InputArticle):
            raise MonitorError(f"{article.label}: {article.message}")
        title, text = article.title, article.text
    result = match_topic(topic, title, text)
    document = matched_document(title, text)
    spans = [(e.start, e.start + len(e.matched)) for e in result.evidence]
    return Trial(title, text, result, highlight.segments(document, spans))


def resolve_feed(url: str, http: HttpSettings) -> tuple[str, str]:
    """(feed URL, feed title): the feed at `url`, or the first working one its page advertises."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MonitorError(f"not an http(s) URL: {url!r}")
    with Fetcher(http) as fetcher:
        result = fetcher.fetch(url, accept=FEED_ACCEPT)
        if not result.ok:
            raise MonitorError(f"cannot fetch {url}: {result.error} ({result.status.value})")
        try:
            return url, parse_feed(result.body, result.headers, result.final_url).title
        except FeedError as exc:
            not_a_feed = str(exc)
        charset = http_charset(result.headers) or "utf-8"
        try:
            html = result.body.decode(charset, errors="replace")
        except LookupError:
            html = result.body.decode("utf-8", errors="replace")
        for link in discover_feed_links(html, result.final_url):
            found = fetcher.fetch(link.url, accept=FEED_ACCEPT)
            if found.ok:
                try:
                    return link.url, parse_feed(found.body, found.headers, found.final_url).title
                except FeedError:
                    continue
    raise MonitorError(f"{url} is not a feed ({not_a_feed}) and advertises no working one")


def add_feed(conn: store.Connection, feed_url: str, name: str, title: str, now: datetime) -> str:
    """Store a feed resolved by `resolve_feed`: 'added', 're-enabled' or 'exists'."""
    name = (name or title or urlsplit(feed_url).hostname or feed_url).strip()
    with store.write(conn):
        return store.add_feed(conn, feed_url, name, now.astimezone(UTC))


def story_times(story: dict[str, Any]) -> dict[str, Any]:
    """A story (store.stories / store.story) with its stamps, and its members' stamps, as datetimes for `at`."""
    shown = {**story, "first_seen": store.parse_time(story["first_seen"]),
             "last_seen": store.parse_time(story["last_seen"])}
    if "members" in story:
        shown["members"] = [{**m, "joined_at": store.parse_time(m["joined_at"])} for m in story["members"]]
    return shown
