"""The pipeline's bookkeeping with a real feed server and a real database: conditional GET, deferred
entries, and the feed-summary fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.models import FetchStatus
from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.store.database import FeedRow
from tests.e2e_site import SEEDS, Story, fixture_articles, rss_feed
from tests.fault_server import FaultServer, LoggedRequest

ETAG = '"v1"'


def feed_with_etag(body: bytes) -> object:
    def reply(request: LoggedRequest) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("if-none-match") == ETAG:
            return 304, {"ETag": ETAG}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": ETAG}, body

    return reply


def make_app(tmp_path: Path, feed_url: str, max_entries: int) -> App:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
fetch_pages = false
max_entries_per_poll = {max_entries}
[http]
allow_private_addresses = true
per_host_min_interval = 0
[ops]
enabled = false
[[alerts.channels]]
type = "jsonl"
path = "{tmp_path / "alerts.jsonl"}"
[[feeds]]
url = "{feed_url}"
""",
        encoding="utf-8",
    )
    return App(load_config(config))


def stories() -> list[tuple[Story, str, str]]:
    records = list(fixture_articles().values())
    return [
        (Story(r["id"], r["title"], r["text"], "Mon, 23 Nov 2026 09:00:00 GMT"), f"/a/{i}.html", r["text"][:300])
        for i, r in enumerate(records)
    ]


def poll_all(app: App) -> None:
    app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)])


def test_entries_over_the_per_poll_cap_wait_for_the_next_poll_without_a_304_hiding_them(tmp_path: Path) -> None:
    with FaultServer({}) as server:
        server.set("/rss.xml", feed_with_etag(rss_feed("feed", server.url(""), stories())))
        app = make_app(tmp_path, server.url("/rss.xml"), max_entries=3)
        try:
            poll_all(app)
            assert app.store.counts()["articles"] - 5 == 3  # 5 seeds, 3 of the 4 entries
            assert app.store.feeds()[0]["etag"] is None  # one entry is still waiting
            poll_all(app)
            assert app.store.counts()["articles"] - 5 == 4
            assert app.store.feeds()[0]["etag"] == ETAG
            poll_all(app)  # now a conditional GET: 304, nothing parsed
            requests = server.requests_for("/rss.xml")
            assert [r.headers.get("if-none-match") for r in requests] == [None, None, ETAG]
            assert app.store.feeds()[0]["last_status"] == "not_modified"
        finally:
            app.close()


def test_feed_summary_is_used_and_recorded_when_pages_are_not_fetched(tmp_path: Path) -> None:
    with FaultServer({}) as server:
        server.set("/rss.xml", feed_with_etag(rss_feed("feed", server.url(""), stories()[:1])))
        app = make_app(tmp_path, server.url("/rss.xml"), max_entries=10)
        try:
            poll_all(app)
            row = app.store.db.execute(
                "SELECT extraction, fallback_reason, text FROM articles WHERE is_seed = 0"
            ).fetchone()
            assert row[0] == "feed" and row[1] == "page fetching disabled"
            assert stories()[0][0].title in row[2]
            assert server.requests_for("/a/0.html") == []
        finally:
            app.close()


def test_feeds_are_polled_round_robin_over_hosts() -> None:
    from monitor.runtime.app import interleave_by_host

    def row(url: str) -> FeedRow:
        return FeedRow(
            url=url,
            name=url,
            etag=None,
            last_modified=None,
            next_poll_at=None,
            interval_seconds=None,
            consecutive_failures=0,
            last_success_at=None,
            items_per_day=None,
            enabled=True,
        )

    feeds = [row(u) for u in ("https://a/1", "https://a/2", "https://a/3", "https://b/1", "https://c/1", "https://c/2")]
    order = [f.url for f in interleave_by_host(feeds)]
    assert order == ["https://a/1", "https://b/1", "https://c/1", "https://a/2", "https://c/2", "https://a/3"]
    assert interleave_by_host([]) == []


def test_a_poll_status_is_the_enum_in_the_report_and_its_value_in_the_feeds_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultServer({}) as server:
        server.set("/rss.xml", lambda request: (200, {"Content-Type": "text/html"}, b"<html><body>x</body></html>"))
        app = make_app(tmp_path, server.url("/rss.xml"), max_entries=3)
        try:
            feeds = [FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)]
            html = app.poll(feeds)
            assert [(p.status, p.crashed) for p in html.polls] == [(FetchStatus.SOFT, False)]
            assert html.failed == html.polls and app.store.feeds()[0]["last_status"] == "soft"

            server.set("/rss.xml", lambda request: (410, {}, b""))
            gone = app.poll(feeds)
            assert gone.polls[0].status is FetchStatus.HARD and app.store.feeds()[0]["last_status"] == "hard"

            def broken(*args: object) -> None:
                raise KeyError("parser bug")

            server.set("/rss.xml", feed_with_etag(rss_feed("feed", server.url(""), stories())))
            monkeypatch.setattr("monitor.runtime.poll.parse_feed", broken)
            crashed = app.poll(feeds).polls[0]
            assert crashed.crashed and crashed.failed and "parser bug" in (crashed.error or "")
            assert app.store.feeds()[0]["last_status"] == "error"  # the stored label, not an enum value
        finally:
            app.close()
