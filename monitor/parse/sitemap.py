"""A site's Google News sitemap, to recover items that fell out of a feed's window between two polls.

    news_sitemap_entries(fetcher, feed_url, since, until, limit) -> SitemapRecovery
        finds the site's news sitemap (robots.txt `Sitemap:` lines first, then the usual paths) and
        returns its entries published in [since, until], newest first, at most `limit`, as feed Entries.
    parse_news_sitemap(body, feed_url) -> list[Entry]      pure; raises FeedError on unusable XML

Bounded on purpose: at most MAX_FETCHES requests per recovery, all through the pipeline's Fetcher, so the
per-host politeness, size limits and the SSRF guard apply exactly as for feeds.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from monitor.errors import FeedError
from monitor.fetch.client import Fetcher
from monitor.models import Entry

log = logging.getLogger(__name__)

WELL_KNOWN_PATHS = ("/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml")
MAX_FETCHES = 4  # robots.txt + three sitemap candidates: a recovery must not turn into a crawl
MAX_ROBOTS_SITEMAPS = 3
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"
ROBOTS_ACCEPT = "text/plain, */*;q=0.1"

_SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class SitemapRecovery:
    sitemap_url: str | None  # the news sitemap used, None when the site has none we could read
    entries: tuple[Entry, ...]  # newest first
    fetches: int  # requests made


def robots_sitemaps(robots_text: str, site_root: str) -> list[str]:
    """`Sitemap:` URLs from robots.txt on the site's own host, news-looking ones first (pure)."""
    host = urlsplit(site_root).hostname
    found = [urljoin(site_root, m.group(1)) for m in _SITEMAP_LINE.finditer(robots_text)]
    same_host = [u for u in dict.fromkeys(found) if urlsplit(u).hostname == host]
    return sorted(same_host, key=lambda u: "news" not in u.lower())[:MAX_ROBOTS_SITEMAPS]


def candidate_urls(robots_listed: list[str], site_root: str) -> list[str]:
    """Where to look, in order, without repeats (pure)."""
    well_known = [urljoin(site_root, p) for p in WELL_KNOWN_PATHS]
    return list(dict.fromkeys([*robots_listed, *well_known]))


def parse_news_sitemap(body: bytes, feed_url: str) -> list[Entry]:
    """The <url> elements that carry <news:news>, as Entries for `feed_url`. Ordinary sitemap URLs are
    skipped: without a title and publication date they cannot be placed in the missed window."""
    try:
        # A sitemap never needs a DTD: the parser itself refuses any DOCTYPE, entity or external reference.
        root = defusedxml.ElementTree.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FeedError(f"refused: the sitemap declares a DOCTYPE (entity-expansion / XXE risk): {exc!r}") from None
    except ET.ParseError as exc:
        raise FeedError(f"sitemap is not well-formed XML: {exc}") from None
    if root.tag != f"{_SM}urlset":
        raise FeedError(f"not a urlset sitemap (root {root.tag})")
    entries: list[Entry] = []
    for url in root.iter(f"{_SM}url"):
        loc = (url.findtext(f"{_SM}loc") or "").strip()
        news = url.find(f"{_NEWS}news")
        if not loc or news is None:
            continue
        title = " ".join((news.findtext(f"{_NEWS}title") or "").split())
        published = _w3c_date(news.findtext(f"{_NEWS}publication_date"))
        entries.append(Entry(feed_url=feed_url, guid=loc, link=loc, title=title, summary="", published=published))
    return entries


def recent(entries: list[Entry], since: datetime, until: datetime, limit: int, host: str | None) -> list[Entry]:
    """Entries on `host` published in [since, until], newest first, at most `limit` (pure)."""
    kept = [
        e
        for e in entries
        if e.published is not None and since <= e.published <= until and urlsplit(e.link).hostname == host
    ]
    kept.sort(key=lambda e: e.published or since, reverse=True)
    return kept[: max(0, limit)]


def news_sitemap_entries(
    fetcher: Fetcher, feed_url: str, since: datetime, until: datetime, limit: int
) -> SitemapRecovery:
    parts = urlsplit(feed_url)
    site_root = f"{parts.scheme}://{parts.netloc}/"
    fetches = 1
    robots = fetcher.fetch(urljoin(site_root, "/robots.txt"), accept=ROBOTS_ACCEPT)
    listed = robots_sitemaps(robots.body.decode("utf-8", "replace"), site_root) if robots.ok else []
    for candidate in candidate_urls(listed, site_root):
        if fetches >= MAX_FETCHES:
            break
        fetches += 1
        result = fetcher.fetch(candidate, accept=SITEMAP_ACCEPT)
        if not result.ok:
            continue
        try:
            parsed = parse_news_sitemap(result.body, feed_url)
        except FeedError as exc:
            log.info("feed %s: sitemap %s not usable: %s", feed_url, candidate, exc)
            continue
        if not parsed:
            continue  # a plain sitemap (or an empty one): keep looking for the news one
        return SitemapRecovery(candidate, tuple(recent(parsed, since, until, limit, parts.hostname)), fetches)
    return SitemapRecovery(None, (), fetches)


def _w3c_date(value: str | None) -> datetime | None:
    """W3C datetime as news sitemaps use it: a date, or a date-time with an offset or Z."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
