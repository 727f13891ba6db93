"""News-sitemap recovery: the parser on its own, and a real site where a relevant article published between
two polls is only in the sitemap (the feed's window holds just the newest items)."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.models import FetchStatus
from monitor.parse.sitemap import parse_news_sitemap, recent, robots_sitemaps
from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.store.database import FeedRow
from tests.e2e_site import SEEDS, Story, article_page, fixture_articles, rss_feed
from tests.fault_server import FaultServer
from tests.test_end_to_end import _topics_as_toml

ROOT = Path(__file__).parent.parent
POSITIVE = "snn-ab0d563619d4"  # NATO approves a plan to support the Iraqi army
UNRELATED = ("ant2-AL-culture-209-20180331", "ant2-AL-culture-269-20180504")
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def news_sitemap(items: list[tuple[str, str, datetime]]) -> bytes:
    urls = "\n".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Site</news:name>"
        f"<news:language>ar</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for loc, title, when in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{urls}\n</urlset>"
    ).encode()


def test_parses_news_entries_and_skips_plain_sitemap_urls() -> None:
    body = news_sitemap([("https://site.test/a.html", "عنوان  الخبر", T0)]).replace(
        b"</urlset>", b"<url><loc>https://site.test/about.html</loc></url></urlset>"
    )
    entries = parse_news_sitemap(body, "https://site.test/rss.xml")
    assert [(e.link, e.title, e.published) for e in entries] == [("https://site.test/a.html", "عنوان الخبر", T0)]
    assert entries[0].feed_url == "https://site.test/rss.xml"


def test_refuses_entity_declarations_and_non_sitemaps() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&b;</loc></url></urlset>'
    )
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_news_sitemap(bomb, "https://site.test/rss.xml")
    with pytest.raises(FeedError, match="not a urlset"):
        parse_news_sitemap(b"<rss><channel/></rss>", "https://site.test/rss.xml")
    with pytest.raises(FeedError, match="well-formed"):
        parse_news_sitemap(b"<urlset", "https://site.test/rss.xml")


def test_robots_lines_stay_on_the_site_and_news_comes_first() -> None:
    robots = (
        "User-agent: *\nDisallow: /admin\nSitemap: https://site.test/sitemap.xml\n"
        "sitemap: /news/sitemap.xml\nSitemap: https://elsewhere.test/news.xml\n"
    )
    assert robots_sitemaps(robots, "https://site.test/") == [
        "https://site.test/news/sitemap.xml",
        "https://site.test/sitemap.xml",
    ]


def test_recent_keeps_the_window_on_the_host_newest_first_and_capped() -> None:
    body = news_sitemap(
        [
            ("https://site.test/old.html", "old", T0 - timedelta(hours=2)),
            ("https://site.test/a.html", "a", T0 + timedelta(minutes=10)),
            ("https://site.test/b.html", "b", T0 + timedelta(minutes=20)),
            ("https://other.test/c.html", "c", T0 + timedelta(minutes=30)),
            ("https://site.test/future.html", "future", T0 + timedelta(days=1)),
        ]
    )
    entries = parse_news_sitemap(body, "https://site.test/rss.xml")
    kept = recent(entries, T0, T0 + timedelta(hours=1), 5, "site.test")
    assert [e.title for e in kept] == ["b", "a"]
    assert [e.title for e in recent(entries, T0, T0 + timedelta(hours=1), 1, "site.test")] == ["b"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write_config(tmp_path: Path, feed_url: str) -> Path:
    default = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
workers = 1
[http]
allow_private_addresses = true
per_host_min_interval = 0
[ops]
enabled = false
{_topics_as_toml(default["topics"])}
[[alerts.channels]]
type = "jsonl"
name = "file"
path = "{tmp_path / "alerts.jsonl"}"
[[feeds]]
url = "{feed_url}"
name = "site"
""",
        encoding="utf-8",
    )
    return config


def rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_an_article_only_in_the_news_sitemap_is_recovered_and_alerted(tmp_path: Path) -> None:
    articles = fixture_articles()
    positive = articles[POSITIVE]
    first, second = (articles[k] for k in UNRELATED)
    clock = Clock(T0)
    with FaultServer({}) as server:
        base = server.url("")

        def window(*items: tuple[dict[str, str], str, datetime]) -> tuple[int, dict[str, str], bytes]:
            stories = [
                (Story(path, r["title"], r["text"], rfc822(when)), path, r["text"][:200]) for r, path, when in items
            ]
            return 200, {"Content-Type": "application/rss+xml"}, rss_feed("site", base, stories)

        for record, path in ((positive, "/nato-iraq.html"), (first, "/first.html"), (second, "/second.html")):
            page = article_page(record["title"], record["text"], "site")
            server.set(path, (200, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")))
        server.set("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nSitemap: /news/map.xml\n"))
        server.set("/rss.xml", window((first, "/first.html", T0 - timedelta(minutes=5))))
        app = App(load_config(write_config(tmp_path, server.url("/rss.xml"))), clock=clock)
        try:
            app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)])
            assert server.requests_for("/robots.txt") == []  # a first poll cannot tell what it missed

            # An hour later the window (one item) shows only the newest story; the NATO-Iraq article
            # published in between is only in the news sitemap, as is an item older than the last poll.
            clock.now = T0 + timedelta(hours=1)
            server.set("/rss.xml", window((second, "/second.html", T0 + timedelta(minutes=50))))
            server.set(
                "/news/map.xml",
                (
                    200,
                    {"Content-Type": "application/xml"},
                    news_sitemap(
                        [
                            (base + "/second.html", second["title"], T0 + timedelta(minutes=50)),
                            (base + "/nato-iraq.html", positive["title"], T0 + timedelta(minutes=20)),
                            (base + "/long-ago.html", "old", T0 - timedelta(hours=3)),
                        ]
                    ),
                ),
            )
            report = app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)]).polls[0]
            assert report.recovered == 1 and report.alerts == 1
            assert app.store.feeds()[0]["possibly_missed_items"] == 1
            assert len(server.requests_for("/second.html")) == 1  # the feed's own item is not processed twice
            assert server.requests_for("/long-ago.html") == []  # outside the window since the last poll
            assert server.requests_for("/sitemap-news.xml") == []  # robots.txt named the sitemap: no guessing
            row = app.store.db.execute(
                "SELECT a.feed_url, d.matched_topics FROM articles a JOIN decisions d ON d.article_id = a.id"
                " WHERE a.url = ?",
                [base + "/nato-iraq.html"],
            ).fetchone()
            assert row == (server.url("/rss.xml"), "nato_iraq")

            app.dispatcher.run_due()
            lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
            assert [json.loads(line)["data"]["article"]["url"] for line in lines] == [base + "/nato-iraq.html"]
        finally:
            app.close()


def test_without_a_news_sitemap_the_lookup_stays_bounded(tmp_path: Path) -> None:
    clock = Clock(T0)
    records = list(fixture_articles().values())
    with FaultServer({}) as server:
        base = server.url("")

        def window(record: dict[str, str], path: str) -> tuple[int, dict[str, str], bytes]:
            story = Story(path, record["title"], record["text"], rfc822(clock.now))
            return 200, {"Content-Type": "application/rss+xml"}, rss_feed("site", base, [(story, path, "x")])

        server.set("/rss.xml", window(records[2], "/a.html"))
        app = App(load_config(write_config(tmp_path, server.url("/rss.xml"))), clock=clock)
        try:
            app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)])
            clock.now = T0 + timedelta(hours=1)
            server.set("/rss.xml", window(records[3], "/b.html"))
            report = app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)]).polls[0]
            assert report.status is FetchStatus.OK and report.recovered == 0
            asked = ("/robots.txt", "/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml")
            assert [len(server.requests_for(p)) for p in asked] == [1, 1, 1, 1]
        finally:
            app.close()
