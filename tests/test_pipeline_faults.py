"""The pipeline's side of "nothing lost": counts from what was committed (a real full tmpfs), and an
article that meets a long lock held by another process is stored once the lock goes, with one log line."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.store import connection
from monitor.store.database import FeedRow
from tests.e2e_site import SEEDS, article_page, fixture_articles
from tests.fault_server import FaultServer, Reply
from tests.test_delivery_faults import fill, small_filesystem
from tests.test_end_to_end import POSITIVE, html_reply

RSS = {"Content-Type": "application/rss+xml"}
TEXT = "أعلن حلف الناتو توسيع بعثته في العراق لتدريب القوات العراقية. "


def make_app(folder: Path, feed_url: str, *, topic_terms: list[str] | None = None) -> App:
    fetch_pages = "true" if topic_terms else "false"
    terms = ", ".join(f'"{t}"' for t in (topic_terms or ["الناتو"]))
    config = folder / "monitor.toml"
    config.write_text(
        f"""
[storage]
database = "{folder / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
fetch_pages = {fetch_pages}
[http]
allow_private_addresses = true
per_host_min_interval = 0
[schedule]
jitter_fraction = 0
[ops]
enabled = false
[[alerts.channels]]
type = "jsonl"
path = "{folder / "alerts.jsonl"}"
[topics.nato]
threshold = 1.0
require = ["nato"]
[topics.nato.groups.nato]
terms = [{terms}]
[[feeds]]
url = "{feed_url}"
name = "feed"
""",
        encoding="utf-8",
    )
    return App(load_config(config))


def rss(count: int) -> bytes:
    items = "".join(
        f"<item><title>خبر {i}</title><link>/n/{i}.html</link><description>{TEXT * 3} {i}</description></item>"
        for i in range(count)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def alerts_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])


def test_poll_counts_only_alerts_the_database_committed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with small_filesystem(tmp_path, megabytes=16) as disk, FaultServer({"/rss.xml": (200, RSS, rss(4))}) as srv:
        app = make_app(disk, srv.url("/rss.xml"))
        filler = fill(disk)
        try:
            with caplog.at_level(logging.INFO, logger="monitor"):
                report = app.poll([FeedRow.from_row(r) for r in app.store.feeds()]).polls[0]
        finally:
            filler.unlink()
            app.close()
        held = alerts_in(disk / "m.db")
    assert len(report.article_errors) == 4
    assert report.alerts == held == 0
    assert not [r for r in caplog.records if "queued" in r.getMessage()]


def test_an_article_waits_out_a_long_lock_within_its_budget(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store's busy timeout cut to 0.5 s so that a 3 s lock stands for the 40 s one against the real 30 s.
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_SECONDS", 0.5)
    with FaultServer({"/rss.xml": (200, RSS, rss(2))}) as srv:
        app = make_app(tmp_path, srv.url("/rss.xml"))
        holder = sqlite3.connect(tmp_path / "m.db", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(3.0, holder.execute, args=("COMMIT",))
        release.start()
        try:
            with caplog.at_level(logging.INFO, logger="monitor"):
                report = app.poll([FeedRow.from_row(r) for r in app.store.feeds()]).polls[0]
        finally:
            release.join()
            holder.close()
            app.close()
    assert report.article_errors == []
    assert report.alerts == alerts_in(tmp_path / "m.db") >= 1  # the second is a near-copy of the first
    assert not [r for r in caplog.records if r.exc_info]
    waits = [r for r in caplog.records if "locked by another process" in r.getMessage()]
    assert len(waits) == 1


@pytest.mark.parametrize(
    "first",
    [Reply(500), Reply(429, {"Retry-After": "1"}), Reply(503), Reply(reset=True)],
    ids=["500", "429", "503", "reset"],
)
def test_a_page_that_fails_once_still_raises_its_alert(tmp_path: Path, first: Reply) -> None:
    record = fixture_articles()[POSITIVE]
    page = html_reply(article_page(record["title"], record["text"], "عكاظ"))
    # the summary alone does not match: only the full page does
    item = "<item><title>خبر</title><link>/n/1.html</link><description>ملخص قصير بلا موضوع</description></item>"
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    feed = f"{head}{item}</channel></rss>".encode()
    with FaultServer({"/rss.xml": (200, RSS, feed), "/n/1.html": [first, page]}) as srv:
        app = make_app(tmp_path, srv.url("/rss.xml"), topic_terms=["الناتو", "الأطلسي"])
        try:
            report = app.poll([FeedRow.from_row(r) for r in app.store.feeds()]).polls[0]
        finally:
            app.close()
        asked = len(srv.requests_for("/n/1.html"))
    assert asked == 2
    assert report.alerts == alerts_in(tmp_path / "m.db") == 1
