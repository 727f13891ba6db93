"""Faults a real deployment meets on the polling side: a slow host, spacing under load, 429 re-polls,
XXE behind a parser, GUID churn on link-less entries, unlisted tracking parameters, a full database.

Real parts only: FaultServer on 127.0.0.x (in a separate process where the test measures the server's
own clock under load), real SQLite files, the real Fetcher, Pipeline and App.
"""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.fetch.client import Fetcher, HttpSettings
from monitor.parse.feeds import parse_feed
from monitor.parse.opml import OpmlError, parse_opml
from monitor.parse.sitemap import parse_news_sitemap
from monitor.runtime.app import App
from monitor.settings.config import load_config
from monitor.store.database import FeedRow
from tests.e2e_site import SEEDS
from tests.fault_server import FaultServer, LoggedRequest, Reply, Route, RouteValue

RSS = {"Content-Type": "application/rss+xml"}

ROOT = Path(__file__).parent.parent

# A FaultServer in its own process: its request log is timed by a process that our test load does not slow.
_SERVER_SCRIPT = """
import json, sys
from tests.fault_server import FaultServer
with FaultServer({"/p": (200, {"Content-Type": "text/plain"}, b"ok")}) as srv:
    print(srv.port, flush=True)
    sys.stdin.readline()
    print(json.dumps([r.at for r in srv.requests]), flush=True)
"""


def _spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(2000))


def test_per_host_spacing_holds_on_the_wire_under_load() -> None:
    interval = 0.5
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER_SCRIPT], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    stop = threading.Event()
    load = [threading.Thread(target=_spin, args=(stop,), daemon=True) for _ in range(12)]
    try:
        assert server.stdout is not None and server.stdin is not None
        port = int(server.stdout.readline())
        settings = HttpSettings(
            allow_private_addresses=True, per_host_concurrency=2, per_host_min_interval=interval, total_timeout=30
        )
        for t in load:
            t.start()
        with Fetcher(settings) as fetcher:

            def fetch_some() -> None:
                for _ in range(3):
                    assert fetcher.fetch(f"http://127.0.0.1:{port}/p").ok

            workers = [threading.Thread(target=fetch_some) for _ in range(4)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=60)
        stop.set()
        server.stdin.write("done\n")
        server.stdin.flush()
        arrivals = json.loads(server.stdout.readline())
    finally:
        stop.set()
        server.kill()
        server.wait(timeout=10)
    assert len(arrivals) == 12
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # the server's clock, not ours: every start at least the interval after the previous one
    assert min(gaps) >= interval - 0.02, [round(g, 3) for g in gaps]


# --- helpers for the App-level tests --------------------------------------------------------------


def make_app(tmp_path: Path, feeds: list[str], *, pipeline: str = "", http: str = "", schedule: str = "") -> App:
    feeds_toml = "\n".join(f'[[feeds]]\nurl = "{url}"\nname = "feed{i}"\n' for i, url in enumerate(feeds))
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"""
[storage]
database = "{tmp_path / "m.db"}"
[pipeline]
seeds_dir = "{SEEDS}"
{pipeline}
[http]
allow_private_addresses = true
per_host_min_interval = 0
{http}
[schedule]
jitter_fraction = 0
{schedule}
[ops]
enabled = false
[[alerts.channels]]
type = "jsonl"
path = "{tmp_path / "alerts.jsonl"}"
{feeds_toml}
""",
        encoding="utf-8",
    )
    return App(load_config(config))


def feed_row(app: App, url: str) -> dict[str, object]:
    rows = [dict(r) for r in app.store.feeds() if r["url"] == url]
    assert len(rows) == 1
    return rows[0]


def stored_articles(app: App) -> int:
    return int(app.store.db.execute("SELECT count(*) FROM articles WHERE is_seed = 0").fetchone()[0])


def rss(items: str) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


# --- item 3: a slow host costs its own lanes only ------------------------------------------------------


def test_a_host_with_slow_pages_does_not_hold_back_another_hosts_feed(tmp_path: Path) -> None:
    pages = 8  # each page times out after read_timeout = 1 s: the slow feed's first poll takes ~8 s
    slow_items = "".join(
        f"<item><title>slow {i}</title><link>/page{i}.html</link><guid>slow-{i}</guid>"
        f"<description>summary {i}</description></item>"
        for i in range(pages)
    )
    slow_routes: dict[str, Route] = {"/rss.xml": (200, RSS, rss(slow_items))}
    for i in range(pages):
        slow_routes[f"/page{i}.html"] = Reply(200, {"Content-Type": "text/html"}, b"<html></html>", headers_delay=5)
    with (
        FaultServer({"/rss.xml": (200, RSS, rss(""))}) as control,
        FaultServer(slow_routes, host="127.0.0.2") as slow,
    ):
        app = make_app(
            tmp_path,
            [slow.url("/rss.xml"), control.url("/rss.xml")],
            pipeline="cycle_seconds = 1\nfetch_pages = true",
            http="read_timeout = 1\ntotal_timeout = 2",
            # a 2.4 s interval for every feed: the control feed should be polled every 2.4-3.4 s
            schedule="min_interval_minutes = 0.04\nmax_interval_minutes = 0.04\ndefault_interval_minutes = 0.04",
        )
        stop = threading.Event()
        daemon = threading.Thread(target=app.run_forever, args=(stop,))
        try:
            daemon.start()
            deadline = time.monotonic() + 30
            while len(control.requests_for("/rss.xml")) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            daemon.join(timeout=30)
            app.close()
        polls = [r.at for r in control.requests_for("/rss.xml")]
        last_page_asked = max(r.at for r in slow.requests)
    assert not daemon.is_alive()
    assert len(polls) >= 3, "the control feed was polled fewer than three times in 30 s"
    gaps = [b - a for a, b in itertools.pairwise(polls[:3])]
    # planned 2.4 s, plus up to one 1 s scheduler tick, plus generous slack for a loaded machine
    assert max(gaps) < 5.0, [round(g, 2) for g in gaps]
    assert last_page_asked > polls[1]  # the control feed was polled again while the slow one was at its pages


# --- item 9: a 429's re-poll, and a healthy feed on the paused host -----------------------------------


def test_a_host_pause_is_waited_out_or_left_due_never_counted_as_a_failure(tmp_path: Path) -> None:
    ok_feed = (200, RSS, rss("<item><title>x</title><link>/x.html</link><guid>x</guid></item>"))
    routes: dict[str, Route] = {"/a.xml": [(429, {"Retry-After": "2"}, b""), ok_feed], "/b.xml": ok_feed}
    with FaultServer(routes) as srv:
        app = make_app(
            tmp_path,
            [srv.url("/a.xml"), srv.url("/b.xml")],
            pipeline="fetch_pages = false",
            http="per_host_concurrency = 1",  # one lane for the host: a.xml is polled first, then b.xml
        )
        try:
            first = app.poll([FeedRow.from_row(r) for r in app.store.feeds(enabled_only=True)])
            statuses = {p.feed_url: p.label for p in first.polls}
            paused = {p.feed_url: getattr(p, "paused", None) for p in first.polls}
            b_after_first = feed_row(app, srv.url("/b.xml"))
            # re-poll a.xml with half a second left on the pause, as an early scheduler tick would
            (asked,) = srv.requests_for("/a.xml")
            time.sleep(max(0.0, asked.at + 1.5 - time.monotonic()))
            second = app.poll([FeedRow.from_row(r) for r in app.store.feeds() if r["url"] == srv.url("/a.xml")])
            a_after_second = feed_row(app, srv.url("/a.xml"))
        finally:
            app.close()
        a_requests = [r.at for r in srv.requests_for("/a.xml")]
    assert statuses[srv.url("/a.xml")] == "temporary"  # the 429 itself is the server's answer
    # b.xml was refused by the pause: not a poll, no failure, still due
    assert b_after_first["consecutive_failures"] == 0 and b_after_first["last_status"] is None
    assert srv.requests_for("/b.xml") == []
    # the early re-poll waited out the last half second instead of failing
    assert [p.label for p in second.polls] == ["ok"]
    assert a_after_second["consecutive_failures"] == 0 and a_after_second["last_status"] == "ok"
    assert len(a_requests) == 2 and 1.95 <= a_requests[1] - a_requests[0] < 3.5
    assert paused == {srv.url("/a.xml"): False, srv.url("/b.xml"): True}


# --- item 9: GUID churn on link-less entries, and an unlisted tracking parameter -----------------------


def test_churning_guids_and_tracking_tokens_do_not_store_an_entry_again(tmp_path: Path) -> None:
    serial = itertools.count()

    def churn(_request: LoggedRequest) -> RouteValue:
        n = next(serial)
        return (
            200,
            RSS,
            rss(
                f"<item><title>بيان بلا رابط</title><guid isPermaLink='false'>minted-{n}</guid>"
                "<description>نص البيان كما نشر</description></item>"
                f"<item><title>خبر</title><link>/news/1.html?mkt_tok=tok{n}&amp;_hsenc=e{n}</link>"
                f"<guid>/news/1.html?mkt_tok=tok{n}</guid><description>ملخص</description></item>"
            ),
        )

    with FaultServer({"/rss.xml": churn}) as srv:
        app = make_app(tmp_path, [srv.url("/rss.xml")], pipeline="fetch_pages = false")
        try:
            reports = [app.poll([FeedRow.from_row(r) for r in app.store.feeds()]).polls[0] for _ in range(3)]
            stored = stored_articles(app)
        finally:
            app.close()
    assert [r.new for r in reports] == [2, 0, 0]
    assert stored == 2


# --- item 9: a full database logs one line per article and one summary ------------------------------


def test_a_full_database_logs_one_line_per_article_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items = "".join(
        f"<item><title>خبر {i}</title><link>/n/{i}.html</link><description>{'نص ' * 400}</description></item>"
        for i in range(4)
    )
    with FaultServer({"/rss.xml": (200, RSS, rss(items))}) as srv:
        app = make_app(tmp_path, [srv.url("/rss.xml")], pipeline="fetch_pages = false")
        try:
            # SQLite's own page cap: writes fail with the real SQLITE_FULL, "database or disk is full"
            pages = app.store.db.execute("PRAGMA page_count").fetchone()[0]
            app.store.db.execute(f"PRAGMA max_page_count = {pages}")
            with caplog.at_level(logging.INFO, logger="monitor"):
                report = app.poll([FeedRow.from_row(r) for r in app.store.feeds()]).polls[0]
        finally:
            app.close()
    assert len(report.article_errors) == 4 and "full" in report.article_errors[0]
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks == []
    per_article = [r for r in caplog.records if r.levelno == logging.ERROR and "not stored" in r.getMessage()]
    assert len(per_article) == 4
    summaries = [r for r in caplog.records if "4 of 4 new articles failed" in r.getMessage()]
    assert len(summaries) == 1


# --- item 7: XML entities refused by the parser, however the declaration is hidden --------------------


def xxe_documents(base: str) -> dict[str, bytes]:
    item = "<item><title>&xxe;</title><link>/a.html</link></item>"
    return {
        # a comment holding "]" ahead of the declaration, all on the prolog's line
        "comment": (
            f'<?xml version="1.0"?><!DOCTYPE rss [<!-- ] --><!ENTITY xxe SYSTEM "{base}/leak">]>'
            f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
        ).encode(),
        "external dtd": (
            f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/evil.dtd">'
            '<rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'
        ).encode(),
        # broken ahead of the DOCTYPE, so feedparser falls back to its lenient parser with the entity kept
        "lenient fallback": (
            '<?xml version="1.0"?>\n<!-- a -- b -->\n<!DOCTYPE rss [\n<!-- ] -->\n<!ENTITY xxe "'
            + "A" * 1000
            + '">\n]>\n<rss version="2.0"><channel><title>t</title><item><title>'
            + "&xxe;" * 1000
            + "</title></item></channel></rss>"
        ).encode(),
    }


def test_xml_entities_and_external_dtds_in_a_feed_are_refused_by_the_parser() -> None:
    routes: dict[str, Route] = {
        "/leak": (200, {"Content-Type": "text/plain"}, b"SECRET"),
        "/evil.dtd": (200, {"Content-Type": "application/xml-dtd"}, b'<!ENTITY xxe "SECRET">'),
    }
    with FaultServer(routes) as srv, Fetcher(HttpSettings(allow_private_addresses=True)) as fetcher:
        outcomes: dict[str, str] = {}
        for name, body in xxe_documents(srv.url("")).items():
            srv.set("/feed.xml", (200, RSS, body))
            fetched = fetcher.fetch(srv.url("/feed.xml"))
            assert fetched.ok
            try:
                parsed = parse_feed(fetched.body, fetched.headers, fetched.final_url)
            except FeedError as exc:
                outcomes[name] = str(exc)
            else:
                outcomes[name] = f"parsed: {[e.title[:20] for e in parsed.entries]}"
        fetched_by_parser = srv.requests_for("/leak") + srv.requests_for("/evil.dtd")
    assert fetched_by_parser == []
    assert all(o.startswith("refused:") for o in outcomes.values()), outcomes


def test_opml_and_sitemap_entities_are_refused_by_the_parser() -> None:
    hidden = '<!DOCTYPE x [<!-- ] --><!ENTITY e "expanded">]>'
    opml = f'<?xml version="1.0"?>{hidden}<opml version="2.0"><body><outline text="&e;" xmlUrl="http://a/f"/></body></opml>'
    padding = "<!-- " + "p" * 70_000 + " -->"  # beyond any prefix a pattern would look at
    sitemap = (
        f'<?xml version="1.0"?>{padding}{hidden}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>http://a/&e;</loc></url></urlset>"
    )
    with pytest.raises(OpmlError, match="refused"):
        parse_opml(opml.encode())
    with pytest.raises(FeedError, match="refused"):
        parse_news_sitemap(sitemap.encode(), "http://a/feed")
