"""Feed autodiscovery: the `<link rel="alternate" type="application/rss+xml">` tags of a home page.

Pure: HTML text in, absolute feed URLs out (the command does the fetching).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

# In order of preference when a page offers several formats of the same feed.
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
)


@dataclass(frozen=True)
class FeedLink:
    url: str
    type: str
    title: str


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"].strip()
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";", 1)[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            self.links.append((href, kind, values.get("title", "").strip()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def discover_feed_links(html: str, page_url: str) -> list[FeedLink]:
    """Feed links a page advertises, resolved against <base> / the page URL, best format first."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    found: list[FeedLink] = []
    seen: set[str] = set()
    for href, kind, title in collector.links:
        url = urljoin(base, href)
        if url.startswith(("http://", "https://")) and url not in seen:
            seen.add(url)
            found.append(FeedLink(url, kind, title))
    # stable sort: page order within one type
    return sorted(found, key=lambda link: FEED_TYPES.index(link.type))
