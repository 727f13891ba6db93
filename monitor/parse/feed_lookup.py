"""A feed given by its own URL or by a page that advertises it (`monitor feeds add`)."""

from __future__ import annotations

from monitor.errors import FeedError, MonitorError
from monitor.fetch.client import FEED_ACCEPT, Fetcher
from monitor.models import ParsedFeed
from monitor.parse.discovery import discover_feed_links
from monitor.parse.encoding import http_charset
from monitor.parse.feeds import parse_feed


def resolve_feed(fetcher: Fetcher, url: str) -> tuple[str, ParsedFeed, str | None]:
    """The feed at `url`, or the first working feed the page at `url` advertises.

    Returns (feed URL, parsed feed, note about discovery or None).
    """
    result = fetcher.fetch(url, accept=FEED_ACCEPT)
    if not result.ok:
        raise MonitorError(f"cannot fetch {url}: {result.error} ({result.status.value})")
    try:
        return url, parse_feed(result.body, result.headers, result.final_url), None
    except FeedError as exc:
        not_a_feed = str(exc)
    charset = http_charset(result.headers) or "utf-8"
    try:
        html = result.body.decode(charset, errors="replace")
    except LookupError:
        html = result.body.decode("utf-8", errors="replace")
    links = discover_feed_links(html, result.final_url)
    if not links:
        raise MonitorError(
            f"{url} is not a feed ({not_a_feed}) and advertises none "
            '(no <link rel="alternate" type="application/rss+xml|atom+xml">)'
        )
    problems = []
    for link in links:
        found = fetcher.fetch(link.url, accept=FEED_ACCEPT)
        if not found.ok:
            problems.append(f"{link.url}: {found.error}")
            continue
        try:
            parsed = parse_feed(found.body, found.headers, found.final_url)
        except FeedError as exc:
            problems.append(f"{link.url}: {exc}")
            continue
        return link.url, parsed, f"discovered {link.url} ({link.type}) on {url}"
    raise MonitorError(f"{url} advertises feeds but none works: " + "; ".join(problems))
