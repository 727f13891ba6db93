"""The hostile-world run, in one: `monitor once` cycles against one local server whose feeds each misbehave
in a classic way, beside a healthy control feed carrying one relevant story, delivering to a
signature-checking webhook receiver, aiosmtpd and a JSONL file, with the database on a real small tmpfs
that fills up between cycles. Counted per alert and channel: 0 lost, 0 doubled.

Faults covered here: slow body, silent server, connection reset, redirect loop, private-address redirect,
oversized body, gzip bomb, entity expansion, XXE, truncated XML, wrong charset, HTML instead of a feed,
429 with Retry-After, 500, empty body, bad dates, entries without links, malformed JSON Feed, binary
page; webhook 500 and hanging, SMTP 451, a full database disk while deliveries are due; article pages
that time out once (a provisional alert withdrawn on every channel when the page arrives, and an alert
the summary missed raised then). Covered by their
own tests: SIGTERM mid-run and a hanging channel (test_delivery_faults), kill -9 between store and send
and between send and record (test_delivery_crash; bench/kill_window.py for many aimed kills), long
database locks (test_pipeline_faults), a slow host and per-host spacing (test_polling_faults).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from pathlib import Path

from monitor.runtime.app import App
from monitor.settings.config import load_config
from tests.config_files import LOOPBACK_HTTP, email_channel, jsonl_channel, shipped_topics, write_config
from tests.delivery_servers import Reply as HookReply
from tests.delivery_servers import SmtpServer, WebhookReceiver
from tests.e2e_site import Story, article_page, fixture_articles, rss_feed
from tests.fault_server import FaultServer, Reply, gzip_bomb
from tests.helpers_delivery import SECRET
from tests.test_delivery_faults import fill, small_filesystem
from tests.test_end_to_end import POSITIVE, html_reply
from tests.test_page_retries import (
    LATE_TEXT,
    MEETING_SUMMARY,
    MEETING_TITLE,
    VISIT_HEADING,
    VISIT_TEXT,
    VISIT_TITLE,
)

RSS = {"Content-Type": "application/rss+xml"}
ITEM = "<item><title>{t}</title><link>{link}</link><pubDate>{date}</pubDate><description>{d}</description></item>"


def rss(items: str) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def classic_faults(base: str) -> dict[str, object]:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    plain = rss(ITEM.format(t="خبر عادي", link=f"{base}/plain.html", date="Mon, 23 Nov 2026 08:00:00 GMT", d="نص"))
    return {
        "/slow.xml": Reply(200, RSS, plain, chunk_size=16, chunk_delay=0.5),
        "/silent.xml": Reply(200, RSS, plain, headers_delay=30),
        "/reset.xml": Reply(reset=True),
        "/loop.xml": (302, {"Location": "/loop.xml?again"}, b""),
        "/private.xml": (302, {"Location": "http://10.0.0.1/feed"}, b""),
        "/huge.xml": Reply(200, RSS, b"<" * 65536, repeat=1600),
        "/bomb.xml": Reply(200, {**RSS, "Content-Encoding": "gzip"}, gzip_bomb()),
        "/laughs.xml": (200, RSS, f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
                        "<rss version='2.0'><channel><title>&l9;</title></channel></rss>".encode()),
        "/xxe.xml": (200, RSS, b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b"<rss version='2.0'><channel><title>&x;</title></channel></rss>"),
        "/truncated.xml": (200, RSS, plain[: len(plain) // 2]),
        "/charset.xml": (200, {"Content-Type": "application/rss+xml; charset=iso-8859-1"}, plain),
        "/html.xml": (200, {"Content-Type": "text/html"}, b"<html><body>not a feed</body></html>"),
        "/429.xml": (429, {"Retry-After": "6"}, b""),
        "/500.xml": (500, {}, b"oops"),
        "/empty.xml": (200, RSS, b""),
        "/dates.xml": (200, RSS, rss(ITEM.format(t="تاريخ", link=f"{base}/plain.html", date="yesterday-ish", d="x"))),
        "/nolink.xml": (200, RSS, rss("<item><title>بلا رابط</title><description>نص</description></item>")),
        "/bad.json": (
            200,
            {"Content-Type": "application/feed+json"},
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [{',
        ),
        "/binary.xml": (200, RSS, rss(ITEM.format(t="ثنائي", link=f"{base}/binary.html", date="", d="x"))),
        "/binary.html": (200, {"Content-Type": "text/html"}, bytes(range(256)) * 64),
        "/plain.html": html_reply(article_page("خبر عادي", "نص عادي لا يخص أي موضوع.", "موقع")),
    }


def counts(rx: WebhookReceiver, smtp: SmtpServer, jsonl: Path) -> dict[str, Counter[str]]:
    lines = [ln for ln in jsonl.read_text(encoding="utf-8").splitlines() if ln.strip()] if jsonl.exists() else []
    answered = [r.headers["webhook-id"] for r, status in zip(rx.received, rx.replies, strict=True) if status < 300]
    return {
        "hook": Counter(answered),
        # Message-ID is <ALERT_ID.CHANNEL@domain>, the same on every resend
        "mail": Counter(str(m["Message-ID"]).strip("<>").split("@")[0].rsplit(".", 1)[0] for m in smtp.messages),
        # a withdrawal line names its alert, but is keyed by its own id
        "file": Counter((d := json.loads(ln)["data"]).get("withdrawal_id") or d["alert_id"] for ln in lines),
    }


def test_classic_and_delivery_faults_lose_nothing_and_double_nothing(tmp_path: Path) -> None:
    record = fixture_articles()[POSITIVE]
    story = Story("okaz", record["title"], record["text"], "Mon, 23 Nov 2026 09:00:00 GMT")
    with (
        small_filesystem(tmp_path, megabytes=48) as disk,
        FaultServer({}) as server,
        WebhookReceiver(SECRET) as rx,
        SmtpServer() as smtp,
    ):
        base = server.url("")
        for path, route in classic_faults(base).items():
            server.set(path, route)  # type: ignore[arg-type]
        control = rss_feed("عكاظ", base, [(story, "/nato.html", record["text"][:200])])
        server.set("/control.xml", (200, RSS, control))
        server.set("/nato.html", html_reply(article_page(story.title, story.text, "عكاظ")))
        # pages that time out on the first cycle and answer on the next
        flaky = rss_feed("وكالة", base, [(Story("visit", VISIT_TITLE, "", story.published), "/visit.html", ""),
                                         (Story("meet", MEETING_TITLE, "", story.published), "/meet.html",
                                          MEETING_SUMMARY)])
        server.set("/flaky.xml", (200, RSS, flaky))
        server.set("/visit.html", [Reply(headers_delay=5), html_reply(article_page(VISIT_HEADING, VISIT_TEXT, "و"))])
        server.set("/meet.html", [Reply(headers_delay=5), html_reply(article_page(MEETING_TITLE, LATE_TEXT, "و"))])
        faulty = [server.url(p) for p in classic_faults(base) if p.endswith((".xml", ".json"))]
        feeds = [server.url("/control.xml"), server.url("/flaky.xml"), *faulty]
        config = write_config(
            disk,
            database="monitor.db",
            pipeline={"workers": 4, "extract_timeout_seconds": 30, "page_retry_first_seconds": 1},
            ops={"enabled": False},
            http={**LOOPBACK_HTTP, "connect_timeout": 2, "read_timeout": 2, "total_timeout": 4},
            topics=shipped_topics(),
            channels=[
                {"type": "webhook", "name": "hook", "url": rx.url, "secret_env": "E2E_WEBHOOK_SECRET",
                 "timeout_seconds": 2},
                email_channel(smtp.port, "analyst@example.test"),
                jsonl_channel(disk),
            ],
            feeds=[{"url": url, "name": f"feed{i}"} for i, url in enumerate(feeds)],
        ).config
        rx.script(500, HookReply(status=503, delay=5))  # a 500, then a hang past the 2 s timeout
        smtp.fail_next(451)
        os.environ["E2E_WEBHOOK_SECRET"] = SECRET
        app = App(load_config(config))
        db_path = disk / "monitor.db"
        jsonl = disk / "alerts.jsonl"

        def make_due() -> None:
            with sqlite3.connect(db_path) as db:
                db.execute(
                    "UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000000Z' WHERE state = 'pending'"
                )

        try:
            app.run_once()  # the alert is stored; webhook 500, SMTP 451, JSONL delivered
            make_due()
            app.run_once()  # the webhook hangs: a timeout, retried
            make_due()
            before_full = counts(rx, smtp, jsonl)
            filler = fill(disk)
            try:
                app.run_once()  # full disk: nothing stored, nothing sent
                during = counts(rx, smtp, jsonl)
            finally:
                filler.unlink()
            make_due()
            app.run_once()
            make_due()
            app.run_once()  # nothing left: nothing sent again
        finally:
            app.close()
            os.environ.pop("E2E_WEBHOOK_SECRET", None)
        with sqlite3.connect(db_path) as db:
            alerts = {title: (i, status) for i, title, status in db.execute("SELECT id, title, status FROM alerts")}
            states = dict(db.execute("SELECT id, state FROM deliveries"))
        final = counts(rx, smtp, jsonl)
    # the control story, the flaky feed's two, and nothing from the faulty feeds
    assert {t: s for t, (_, s) in alerts.items()} == {
        story.title: "final", VISIT_TITLE: "withdrawn", MEETING_TITLE: "final"}, alerts
    withdrawn = alerts[VISIT_TITLE][0]
    withdrawal = "wd_" + withdrawn.removeprefix("al_")
    expected = Counter({i: 1 for i, _ in alerts.values()}) + Counter({withdrawal: 1})
    # while the disk was full: no webhook accepted, at most the one e-mail whose reservation was written
    assert during["hook"] == before_full["hook"]
    assert sum(during["mail"].values()) - sum(before_full["mail"].values()) <= 1
    for channel in ("hook", "mail", "file"):
        assert final[channel] == expected, (channel, final[channel])  # 0 lost, 0 doubled
        for alert_id, _ in alerts.values():
            assert states[f"{alert_id}:{channel}"] == "delivered"
        assert states[f"{withdrawn}~withdrawn:{channel}"] == "delivered"
